"""Secret canary: known token, global key and secret values never appear in stdout, stderr,
or any file cfworker writes, with and without --debug, on success and on failure paths."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli
from tests.fakes import Status

pytestmark = pytest.mark.needs_esbuild

SECRET_VALUE = "canary-secret-value-7Hq2"
BULK_VALUE = "canary-bulk-value-9Zr4"
TOML = """name = "canary"
main = "src/index.js"
compatibility_date = "2025-06-01"

[vars]
GREETING = "hello"

[[kv_namespaces]]
binding = "CACHE"
"""


def _commands(ns_id: str) -> list[tuple[list[str], str | None]]:
    """(args, stdin) for every command, read and write, local and remote."""
    return [
        (["whoami"], None),
        (["build"], None),
        (["deploy", "--dry-run"], None),
        (["deploy"], None),
        (["deploy", "--json"], None),
        (["secret", "put", "API_KEY"], SECRET_VALUE + "\n"),
        (["secret", "list"], None),
        (["secret", "bulk", "secrets.json"], None),
        (["secret", "delete", "BULK_ONE", "--yes"], None),
        (["kv", "namespace", "list"], None),
        (["kv", "namespace", "create", "canary-extra"], None),
        (["kv", "key", "put", "k1", "--binding", "CACHE"], SECRET_VALUE),
        (["kv", "key", "list", "--binding", "CACHE"], None),
        (["kv", "key", "delete", "k1", "--binding", "CACHE"], None),
        (["kv", "bulk", "put", "items.json", "--namespace-id", ns_id], None),
        (["esbuild", "--version"], None),
        (["zones", "list"], None),
        (["dns", "set", "A", "canary.example.com", "192.0.2.5"], None),
        (["dns", "list", "--zone", "example.com"], None),
        (["dns", "delete", "canary.example.com", "--yes"], None),
        (["purge", "--file", "https://example.com/x"], None),
        (["init", "fresh", "--template", "hello", "--name", "fresh"], None),
    ]


def _snapshot(*roots: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for root in roots for p in root.rglob("*")
            if p.is_file() and "node_modules" not in p.parts and p.stat().st_size < 5_000_000}


def _written_text(before: dict[Path, bytes], after: dict[Path, bytes]) -> str:
    """The content of every file cfworker created or changed."""
    return "\n".join(data.decode("utf-8", errors="replace") for path, data in after.items()
                     if before.get(path) != data)


@pytest.mark.parametrize("auth", ["token", "global_key"])
@pytest.mark.parametrize("debug", [False, True], ids=["plain", "debug"])
@pytest.mark.parametrize("failing", [False, True], ids=["success", "failure"])
def test_no_secret_in_output_or_files(auth: str, debug: bool, failing: bool, tmp_path: Path, fake_cf,
                                      esbuild_cache: Path) -> None:
    """Every command, both auth methods, with/without --debug, success and failure: no canary anywhere."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.add_zone("example.com")
    project = tmp_path / "canary"
    (project / "src").mkdir(parents=True)
    (project / "src" / "index.js").write_text("export default { fetch() { return new Response('ok'); } };\n")
    (project / "worker.toml").write_text(TOML)
    (project / "secrets.json").write_text(json.dumps({"BULK_ONE": BULK_VALUE, "BULK_TWO": BULK_VALUE + "2"}))
    (project / "items.json").write_text(json.dumps([{"key": "s", "value": "not secret"}]))
    ns_id = fake_cf.add_kv_namespace("canary-cache")
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    canaries = [SECRET_VALUE, BULK_VALUE]
    if auth == "token":
        canaries.append(fake_cf.token)
    else:
        env.pop("CLOUDFLARE_API_TOKEN")
        env.update({"CLOUDFLARE_API_KEY": fake_cf.global_key, "CLOUDFLARE_EMAIL": fake_cf.email})
        canaries.append(fake_cf.global_key)
    if failing:
        # Every write fails with an error whose message echoes the credential back (a
        # misbehaving proxy could); secret writes also echo the secret value they carried.
        def leak(text: str) -> str:
            return json.dumps({"success": False, "result": None, "messages": [],
                               "errors": [{"code": 10000, "message": f"denied: {text}"}]})
        secret_echo = Status(500, body=leak(f"{canaries[-1]} {SECRET_VALUE} {BULK_VALUE}"),
                             content_type="application/json")
        fake_cf.inject("PUT", "/accounts/*/workers/scripts/*/secrets", secret_echo, times=1000)
        for method in ("PUT", "POST", "DELETE"):
            fake_cf.inject(method, "*", Status(500, body=leak(canaries[-1]), content_type="application/json"),
                           times=1000)
    outputs = []
    before = _snapshot(project, esbuild_cache)
    for args, stdin in _commands(ns_id):
        full = [*args, "--debug"] if debug else args
        result = run_cli(full, env=env, cwd=project, input=stdin)
        assert "Traceback" not in result.output, (args, result)
        if not failing:
            assert result.code == 0, (args, result)
        outputs.append(result.output)
    written = _written_text(before, _snapshot(project, esbuild_cache))
    assert written, "the run should have written dist/ and worker.toml at least"
    for canary in canaries:
        assert all(canary not in out for out in outputs), f"{canary[:8]}... printed"
        assert canary not in written, f"{canary[:8]}... written to a file"
    if debug:
        assert any("debug:" in out for out in outputs)
