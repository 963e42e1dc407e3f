"""`cfworker secret ...` and `cfworker kv ...` against the fake Cloudflare API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

WORKER_TOML = """name = "app"
main = "src/index.js"
compatibility_date = "2025-06-01"

[[kv_namespaces]]
binding = "CACHE"
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default { fetch() { return new Response('ok') } }\n")
    (tmp_path / "worker.toml").write_text(WORKER_TOML)
    return tmp_path


def test_secret_put_reads_stdin_creates_placeholder_worker_and_never_echoes(fake_cf, project: Path) -> None:
    """secret put takes the value from stdin, creates a placeholder worker if needed, never prints the value."""
    r = run_cli(["secret", "put", "API_KEY", "--debug"], env=fake_cf.env, cwd=project, input="hunter2-secret\n")
    assert r.code == 0, r
    assert fake_cf.scripts["app"].secrets["API_KEY"]["text"] == "hunter2-secret"
    assert "placeholder" in r.out
    assert "hunter2-secret" not in r.output


def test_secret_list_and_delete(fake_cf, project: Path) -> None:
    """list shows names only; delete needs --yes outside a terminal and removes the secret."""
    run_cli(["secret", "put", "ONE"], env=fake_cf.env, cwd=project, input="value-one")
    run_cli(["secret", "put", "TWO"], env=fake_cf.env, cwd=project, input="value-two")
    listed = run_cli(["secret", "list", "--json"], env=fake_cf.env, cwd=project)
    assert json.loads(listed.out) == {"worker": "app", "secrets": ["ONE", "TWO"]}
    assert "value-one" not in listed.output
    refused = run_cli(["secret", "delete", "ONE"], env=fake_cf.env, cwd=project)
    assert refused.code == 2 and "--yes" in refused.err
    done = run_cli(["secret", "delete", "ONE", "--yes"], env=fake_cf.env, cwd=project)
    assert done.code == 0, done
    assert sorted(fake_cf.scripts["app"].secrets) == ["TWO"]


def test_secret_put_empty_value_is_refused(fake_cf, project: Path) -> None:
    """An empty value is a usage error and nothing is sent."""
    r = run_cli(["secret", "put", "EMPTY"], env=fake_cf.env, cwd=project, input="")
    assert r.code == 2 and "empty" in r.err
    assert fake_cf.writes() == []


def test_secret_bulk_from_json_and_dotenv(fake_cf, project: Path) -> None:
    """bulk sets every secret of a JSON object file or a .env file."""
    (project / "s.json").write_text(json.dumps({"A": "alpha-val", "B": "beta-val"}))
    (project / ".env.prod").write_text("# comment\nC=gamma-val\nexport D='delta val'\n")
    assert run_cli(["secret", "bulk", "s.json"], env=fake_cf.env, cwd=project).code == 0
    r = run_cli(["secret", "bulk", ".env.prod"], env=fake_cf.env, cwd=project)
    assert r.code == 0, r
    secrets = fake_cf.scripts["app"].secrets
    assert {k: v["text"] for k, v in secrets.items()} == {"A": "alpha-val", "B": "beta-val", "C": "gamma-val", "D": "delta val"}
    assert "alpha-val" not in r.output and "delta val" not in r.output
    # One merge-patch request per file, not one version per secret (real-api-quirks #11).
    assert fake_cf.count("PATCH", "/accounts/*/workers/scripts/app/secrets-bulk") == 2
    assert fake_cf.count("PUT", "/accounts/*/workers/scripts/app/secrets") == 0


def test_secret_bulk_sends_one_request_per_hundred(fake_cf, project: Path) -> None:
    """250 secrets go out in 3 requests (100 operations each at most) and make 3 versions, not 250."""
    (project / "many.json").write_text(json.dumps({f"S{i:03}": f"value-{i}" for i in range(250)}))
    r = run_cli(["secret", "bulk", "many.json"], env=fake_cf.env, cwd=project)
    assert r.code == 0, r
    assert fake_cf.count("PATCH", "/accounts/*/workers/scripts/app/secrets-bulk") == 3
    assert len(fake_cf.scripts["app"].secrets) == 250
    assert len(fake_cf.scripts["app"].versions) == 1 + 3  # the placeholder, then one per request


@pytest.mark.parametrize(("content", "fragment"), [
    ("{not json", "invalid JSON"),
    ("[1, 2]", "expected a JSON object"),
    ('{"A": 1}', "must be a string"),
    ('{"1BAD": "x"}', "not valid"),
    ("NOEQUALS\n", "expected NAME=value"),
])
def test_secret_bulk_bad_file_exit_2_nothing_written(fake_cf, project: Path, content: str, fragment: str) -> None:
    """A malformed bulk file names the file and the problem, exits 2, and writes nothing."""
    (project / "bad.json" if content.startswith(("{", "[")) else project / "bad.env").write_text(content)
    name = "bad.json" if content.startswith(("{", "[")) else "bad.env"
    r = run_cli(["secret", "bulk", name], env=fake_cf.env, cwd=project)
    assert r.code == 2, r
    assert fragment in r.err and name in r.err
    assert fake_cf.writes() == []


def test_kv_namespace_create_is_idempotent_and_listed(fake_cf, project: Path) -> None:
    """namespace create makes one namespace; running it again reports the existing id."""
    first = run_cli(["kv", "namespace", "create", "my-cache", "--json"], env=fake_cf.env, cwd=project)
    again = run_cli(["kv", "namespace", "create", "my-cache", "--json"], env=fake_cf.env, cwd=project)
    a, b = json.loads(first.out), json.loads(again.out)
    assert a["created"] is True and b["created"] is False and a["id"] == b["id"]
    listed = json.loads(run_cli(["kv", "namespace", "list", "--json"], env=fake_cf.env, cwd=project).out)
    assert listed == [{"id": a["id"], "title": "my-cache"}]


def test_kv_keys_by_binding_roundtrip(fake_cf, project: Path) -> None:
    """put/get/list/delete a key of the namespace found by the binding's title."""
    fake_cf.add_kv_namespace("app-cache")
    env, cwd = fake_cf.env, project
    assert run_cli(["kv", "key", "put", "greeting", "hello world", "--binding", "CACHE"], env=env, cwd=cwd).code == 0
    assert run_cli(["kv", "key", "put", "k/with/slash", "--binding", "CACHE"], env=env, cwd=cwd, input="from stdin").code == 0
    keys = json.loads(run_cli(["kv", "key", "list", "--binding", "CACHE", "--json"], env=env, cwd=cwd).out)
    assert sorted(k["name"] for k in keys) == ["greeting", "k/with/slash"]
    got = run_cli(["kv", "key", "get", "greeting", "--binding", "CACHE"], env=env, cwd=cwd)
    assert got.code == 0 and got.out == "hello world"
    assert run_cli(["kv", "key", "delete", "greeting", "--binding", "CACHE"], env=env, cwd=cwd).code == 0
    missing = run_cli(["kv", "key", "get", "greeting", "--binding", "CACHE"], env=env, cwd=cwd)
    assert missing.code == 2 and "does not exist" in missing.err


def test_kv_bulk_put_and_bad_bulk_file(fake_cf, project: Path) -> None:
    """bulk put writes every item; a malformed file is refused with its position and nothing is written."""
    ns = fake_cf.add_kv_namespace("bulk-target")
    (project / "items.json").write_text(json.dumps([{"key": f"k{i}", "value": f"v{i}"} for i in range(25)]))
    r = run_cli(["kv", "bulk", "put", "items.json", "--namespace-id", ns], env=fake_cf.env, cwd=project)
    assert r.code == 0, r
    keys = json.loads(run_cli(["kv", "key", "list", "--namespace-id", ns, "--json"], env=fake_cf.env, cwd=project).out)
    assert len(keys) == 25
    before = len(fake_cf.writes())
    (project / "bad.json").write_text('[{"key": "a", "value": 1}]')
    bad = run_cli(["kv", "bulk", "put", "bad.json", "--namespace-id", ns], env=fake_cf.env, cwd=project)
    assert bad.code == 2 and "bad.json: item [0].value" in bad.err
    (project / "broken.json").write_text('[{"key": "a",}]')
    broken = run_cli(["kv", "bulk", "put", "broken.json", "--namespace-id", ns], env=fake_cf.env, cwd=project)
    assert broken.code == 2 and "broken.json:1:" in broken.err
    assert len(fake_cf.writes()) == before


def test_kv_bad_namespace_id_is_refused_locally(fake_cf, project: Path) -> None:
    """A namespace id that is not 32 hex characters fails before any request."""
    r = run_cli(["kv", "key", "list", "--namespace-id", "not-an-id"], env=fake_cf.env, cwd=project)
    assert r.code == 2 and "32 hexadecimal" in r.err
    assert fake_cf.requests == []
