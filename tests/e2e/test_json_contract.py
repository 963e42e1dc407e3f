"""--json means exactly one JSON document on stdout on every path (issue 17), and each one matches
the schema shipped in the package (cfworker/schemas/json-output.schema.json)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from cfworker.schemas import output_schema
from tests.e2e.cli import run_cli
from tests.fakes import Status

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NS = "0123456789abcdef0123456789abcdef"  # the namespace id the kv commands act on (seeded where they succeed)
SCHEMA = output_schema()

# every command that takes --json, with arguments that make it do its work on the hello example
COMMANDS: list[tuple[str, list[str]]] = [
    ("deploy", ["deploy", "--no-check"]),
    ("build", ["build"]),
    ("whoami", ["whoami"]),
    ("zones_list", ["zones", "list"]),
    ("dns_list", ["dns", "list", "example.com"]),
    ("dns_set", ["dns", "set", "A", "www.example.com", "192.0.2.1"]),
    ("dns_delete", ["dns", "delete", "www.example.com", "--yes"]),
    ("kv_namespace_list", ["kv", "namespace", "list"]),
    ("kv_namespace_create", ["kv", "namespace", "create", "things"]),
    ("kv_namespace_delete", ["kv", "namespace", "delete", "--namespace-id", NS, "--yes"]),
    ("kv_key_list", ["kv", "key", "list", "--namespace-id", NS]),
    ("kv_key_delete", ["kv", "key", "delete", "k", "--namespace-id", NS]),
    ("kv_bulk_put", ["kv", "bulk", "put", "bulk.json", "--namespace-id", NS]),
    ("secret_put", ["secret", "put", "TOKEN"]),
    ("secret_list", ["secret", "list"]),
    ("secret_delete", ["secret", "delete", "TOKEN", "--yes"]),
    ("secret_bulk", ["secret", "bulk", "secrets.json"]),
    ("purge", ["purge", "--everything", "--zone", "example.com", "--yes"]),
    ("esbuild", ["esbuild", "which"]),
    ("init_list", ["init", "--list"]),
]
NEEDS_CREDENTIALS = {name for name, _ in COMMANDS} - {"build", "esbuild", "init_list"}
NEEDS_PROJECT = {"deploy", "build", "secret_put", "secret_list", "secret_delete", "secret_bulk"}


def one_document(out: str) -> object:
    """stdout must hold exactly one JSON value (json.loads refuses trailing text)."""
    assert out.strip(), "nothing on stdout"
    return json.loads(out)


def check(doc: object, name: str | None) -> None:
    ref = "#/$defs/error" if isinstance(doc, dict) and doc.get("ok") is False and "error" in doc else \
        (f"#/$defs/{name}" if name and name in SCHEMA["$defs"] else None)
    jsonschema.validate(doc, {**SCHEMA, "$ref": ref} if ref else SCHEMA)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "hello"
    shutil.copytree(EXAMPLES / "hello", dest, ignore=shutil.ignore_patterns("dist"))
    (dest / "bulk.json").write_text('[{"key": "k", "value": "v"}]')
    (dest / "secrets.json").write_text('{"A": "1"}')
    return dest


@pytest.mark.needs_esbuild
@pytest.mark.parametrize(("name", "argv"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_success_documents_match_the_schema(name: str, argv: list[str], project: Path, fake_cf,
                                            esbuild_cache: Path) -> None:
    fake_cf.set_workers_subdomain("acme")
    fake_cf.add_zone("example.com")
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    if name.startswith("kv_") and name not in ("kv_namespace_list", "kv_namespace_create"):
        from tests.fakes import state_kv

        with fake_cf.lock:
            fake_cf.state.kv[NS] = state_kv.Namespace(NS, fake_cf.account_id, "things")
    if name in ("secret_list", "secret_delete", "dns_delete"):
        setup = {"secret_list": ["secret", "put", "TOKEN"], "secret_delete": ["secret", "put", "TOKEN"],
                 "dns_delete": ["dns", "set", "A", "www.example.com", "192.0.2.1"]}[name]
        assert run_cli(setup, env=env, cwd=project, input="v").code == 0
    r = run_cli([*argv, "--json"], env=env, cwd=project, input="s3cret")
    assert r.code == 0, r
    check(one_document(r.out), name)


@pytest.mark.parametrize(("name", "argv"), [c for c in COMMANDS if c[0] in NEEDS_CREDENTIALS],
                         ids=[n for n, _ in COMMANDS if n in NEEDS_CREDENTIALS])
def test_missing_credentials_is_one_error_document(name: str, argv: list[str], project: Path,
                                                   esbuild_cache: Path) -> None:
    r = run_cli([*argv, "--json"], env={"CFWORKER_CACHE_DIR": str(esbuild_cache)}, cwd=project, input="x")
    assert r.code == 2, r
    doc = one_document(r.out)
    check(doc, name)
    assert doc["error"]["code"] == "credentials"


@pytest.mark.parametrize(("name", "argv"), [c for c in COMMANDS if c[0] in NEEDS_PROJECT],
                         ids=[n for n, _ in COMMANDS if n in NEEDS_PROJECT])
def test_a_config_error_names_file_key_and_line(name: str, argv: list[str], project: Path, fake_cf) -> None:
    (project / "worker.toml").write_text((project / "worker.toml").read_text() + "\nworkers_dev = 3\n")
    r = run_cli([*argv, "--json"], env=fake_cf.env, cwd=project, input="x")
    assert r.code == 2, r
    doc = one_document(r.out)
    check(doc, name)
    error = doc["error"]
    assert (error["code"], error["file"], error["key"]) == ("config", "worker.toml", "workers_dev")
    assert isinstance(error["line"], int)


@pytest.mark.parametrize(("name", "argv"), [c for c in COMMANDS if c[0] in NEEDS_PROJECT],
                         ids=[n for n, _ in COMMANDS if n in NEEDS_PROJECT])
def test_no_config_at_all_is_one_error_document(name: str, argv: list[str], tmp_path: Path, fake_cf) -> None:
    (tmp_path / "bulk.json").write_text("[]")
    (tmp_path / "secrets.json").write_text('{"A": "1"}')
    r = run_cli([*argv, "--json"], env=fake_cf.env, cwd=tmp_path, input="x")
    assert r.code == 2, r
    doc = one_document(r.out)
    check(doc, name)
    assert doc["error"]["code"] == "config" and "no worker.toml" in doc["error"]["message"]


@pytest.mark.parametrize(("name", "argv"), [c for c in COMMANDS if c[0] in NEEDS_CREDENTIALS],
                         ids=[n for n, _ in COMMANDS if n in NEEDS_CREDENTIALS])
def test_an_api_failure_is_one_document(name: str, argv: list[str], project: Path, fake_cf,
                                        esbuild_cache: Path) -> None:
    """Cloudflare answers 403 to everything: the command's own refusal document or the error one."""
    fake_cf.add_zone("example.com")
    fake_cf.inject("*", "*", Status(403, code=10000), times=None)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    r = run_cli([*argv, "--json", "--no-check"] if name == "deploy" else [*argv, "--json"], env=env, cwd=project,
                input="x")
    assert r.code != 0, r
    doc = one_document(r.out)
    check(doc, name)


@pytest.mark.parametrize(("name", "argv"), COMMANDS, ids=[n for n, _ in COMMANDS])
def test_a_usage_error_is_one_error_document(name: str, argv: list[str], project: Path) -> None:
    r = run_cli([*argv, "--json", "--no-such-flag"], cwd=project)
    assert r.code == 2, r
    doc = one_document(r.out)
    check(doc, name)
    assert doc["error"]["code"] == "usage"
