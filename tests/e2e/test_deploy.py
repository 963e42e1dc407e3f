"""`cfworker deploy` end to end: the real CLI, the real esbuild, the fake Cloudflare API."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli, run_subprocess

pytestmark = pytest.mark.needs_esbuild


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild, a workers.dev subdomain and example.com."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def route_owners(fake_cf) -> list[tuple[str, str | None]]:
    return sorted((r.pattern, r.script) for r in fake_cf.routes(fake_cf.zone_id))


def deploy(project: Path, env: dict[str, str], *args: str):
    return run_cli(["deploy", *args], env=env, cwd=project)


def set_var(project: Path, old: str, new: str) -> None:
    toml = project / "worker.toml"
    text = toml.read_text()
    assert old in text
    toml.write_text(text.replace(old, new))


def test_hello_deploys_with_exact_metadata_then_converges(example: Callable[[str], Path], env, fake_cf) -> None:
    """hello uploads once with exact metadata, turns workers.dev on, and a rerun writes nothing."""
    project = example("hello")
    r = deploy(project, env)
    assert r.code == 0, r
    script = fake_cf.scripts["hello"]
    meta = script.metadata
    assert meta["main_module"] == "index.js"
    assert meta["bindings"] == []
    assert meta["compatibility_date"] == "2025-06-01"
    assert meta["keep_bindings"] == ["secret_text", "secret_key"]
    assert "tags" not in meta
    assert script.deployments[-1].annotations["workers/message"].startswith("cfw:")
    assert b"/api/hello" in script.modules["index.js"].content
    assert script.subdomain_enabled is True
    assert "https://hello.acme.workers.dev" in r.out

    before = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert len(fake_cf.writes()) == before, [w for w in fake_cf.writes()][before:]
    assert "upload skipped" in again.out and "everything is up to date" in again.out


def test_router_ts_vars_become_bindings_and_one_var_change_uploads_once(example, env, fake_cf) -> None:
    """router-ts vars upload as plain_text/json bindings; changing one var makes exactly one upload."""
    project = example("router-ts")
    assert deploy(project, env).code == 0
    bindings = fake_cf.scripts["router-ts"].metadata["bindings"]
    text = (project / "worker.toml").read_text()
    assert bindings and all(b["type"] in ("plain_text", "json") for b in bindings)
    first = next(b for b in bindings if b["type"] == "plain_text")
    old_line = f'{first["name"]} = "{first["text"]}"'
    assert old_line in text
    set_var(project, old_line, f'{first["name"]} = "changed value"')

    before = list(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 0, r
    new_writes = fake_cf.writes()[len(before):]
    script_path = f"/accounts/{fake_cf.account_id}/workers/scripts/router-ts"
    assert [(w.method, w.path) for w in new_writes] == [("POST", f"{script_path}/versions"),
                                                        ("POST", f"{script_path}/deployments")]
    updated = {b["name"]: b for b in fake_cf.scripts["router-ts"].metadata["bindings"]}
    assert updated[first["name"]] == {"type": "plain_text", "name": first["name"], "text": "changed value"}
    assert f"var {first['name']}: {first['text']!r} -> 'changed value'" in r.out


def test_kv_cache_provisions_namespace_writes_id_back_and_second_deploy_creates_nothing(example, env, fake_cf) -> None:
    """KV without id: one namespace created, id written into worker.toml with comments kept; rerun writes nothing."""
    project = example("kv-cache")
    original = (project / "worker.toml").read_text()
    r = deploy(project, env)
    assert r.code == 0, r
    ns = fake_cf.kv_namespace("kv-cache-cache")
    text = (project / "worker.toml").read_text()
    assert f'id = "{ns.id}"' in text
    assert text.replace(f'id = "{ns.id}"\n', "") == original, "only the id line may be added"
    bindings = fake_cf.scripts["kv-cache"].metadata["bindings"]
    assert {"type": "kv_namespace", "name": "CACHE", "namespace_id": ns.id} in bindings
    assert [s["cron"] for s in fake_cf.scripts["kv-cache"].schedules] == ["*/30 * * * *"]
    assert route_owners(fake_cf) == [("kv.example.com/*", "kv-cache")]

    before = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert len(fake_cf.writes()) == before
    assert fake_cf.count("POST", "/accounts/*/storage/kv/namespaces") == 1


def test_kv_found_by_title_when_config_lost_the_id(example, env, fake_cf) -> None:
    """A CI checkout without the written-back id finds the namespace by title instead of creating a second one."""
    project = example("kv-cache")
    pristine = (project / "worker.toml").read_text()
    assert deploy(project, env).code == 0
    (project / "worker.toml").write_text(pristine)  # as a fresh CI clone would have it
    r = deploy(project, env)
    assert r.code == 0, r
    assert fake_cf.count("POST", "/accounts/*/storage/kv/namespaces") == 1
    assert "KV namespace for " in r.out and ("already bound to the worker" in r.out or ": found " in r.out), r.out


def test_route_owned_by_another_worker_refuses_before_any_write(example, env, fake_cf) -> None:
    """A route that belongs to another worker: exit 1, zero writes, the message names the owner."""
    fake_cf.add_route(fake_cf.zone_id, "kv.example.com/*", "someone-else")
    project = example("kv-cache")
    before = len(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 1, r
    assert len(fake_cf.writes()) == before
    assert "someone-else" in r.out and "--take-over-routes" in r.out
    assert "Traceback" not in r.output


def test_take_over_routes_moves_the_route(example, env, fake_cf) -> None:
    """--take-over-routes --yes moves another worker's route to this one."""
    fake_cf.add_route(fake_cf.zone_id, "kv.example.com/*", "someone-else")
    r = deploy(example("kv-cache"), env, "--take-over-routes", "--yes")
    assert r.code == 0, r
    assert route_owners(fake_cf) == [("kv.example.com/*", "kv-cache")]


def test_destructive_change_needs_yes_in_ci(example, env, fake_cf) -> None:
    """Removing a route from worker.toml plans a deletion that is refused without --yes, then applied with it."""
    project = example("kv-cache")
    assert deploy(project, env).code == 0
    set_var(project, 'routes = [{ pattern = "kv.example.com/*", zone_name = "example.com" }]',
            'routes = [{ pattern = "cache.example.com/*", zone_name = "example.com" }]')
    before = len(fake_cf.writes())
    refused = deploy(project, env)
    assert refused.code == 2, refused
    assert len(fake_cf.writes()) == before
    assert "delete route kv.example.com/*" in refused.out and "--yes" in refused.err + refused.out
    applied = deploy(project, env, "--yes")
    assert applied.code == 0, applied
    assert route_owners(fake_cf) == [("cache.example.com/*", "kv-cache")]


def test_dry_run_writes_nothing_and_prints_every_step(example, env, fake_cf) -> None:
    """--dry-run reads but never writes, and lists each planned step."""
    r = deploy(example("kv-cache"), env, "--dry-run")
    assert r.code == 0, r
    assert fake_cf.writes() == []
    for fragment in ("create KV namespace 'kv-cache-cache'", "create script 'kv-cache'", "add route kv.example.com/*",
                     "set cron triggers ['*/30 * * * *']", "dry run: nothing was written"):
        assert fragment in r.out, fragment


def test_dry_run_without_credentials_builds_and_lists_skipped_checks(example, esbuild_cache: Path) -> None:
    """Without credentials a dry run still builds and shows the upload form, and says what it did not check."""
    r = run_cli(["deploy", "--dry-run"], env={"CFWORKER_CACHE_DIR": str(esbuild_cache)}, cwd=example("kv-cache"))
    assert r.code == 0, r
    assert "No credentials" in r.out and "Not checked" in r.out
    assert "create script 'kv-cache'" in r.out


def test_json_output_parses_and_lists_results(example, env, fake_cf) -> None:
    """--json prints one JSON document with the plan and each step's result."""
    r = deploy(example("hello"), env, "--json")
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["ok"] is True and doc["script"] == "hello"
    assert [s["action"] for s in doc["plan"]] == ["UploadScript", "DeployVersion", "SetWorkersDev"]
    assert all(x["status"] == "applied" for x in doc["results"])
    assert doc["requests"] > 0 and doc["urls"] == ["https://hello.acme.workers.dev"]


def test_missing_required_secret_fails_before_writing(example, env, fake_cf) -> None:
    """secrets = [...] naming a secret the script lacks stops the deploy with exit 1 and no writes."""
    project = example("hello")
    assert deploy(project, env).code == 0
    set_var(project, 'compatibility_date = "2025-06-01"', 'compatibility_date = "2025-06-01"\nsecrets = ["API_KEY"]')
    before = len(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 1, r
    assert len(fake_cf.writes()) == before
    assert "API_KEY" in r.out and "cfworker secret put" in r.out


def test_secrets_survive_redeploys(example, env, fake_cf) -> None:
    """A secret set with `secret put` is still there after a code change is deployed."""
    project = example("hello")
    assert deploy(project, env).code == 0
    put = run_cli(["secret", "put", "API_KEY"], env=env, cwd=project, input="s3cr3t-value\n")
    assert put.code == 0, put
    (project / "src" / "index.js").write_text((project / "src" / "index.js").read_text() + "\n// v2\n")
    set_var(project, 'compatibility_date = "2025-06-01"', 'compatibility_date = "2025-06-01"\nsecrets = ["API_KEY"]')
    r = deploy(project, env, "--force")
    assert r.code == 0, r
    assert fake_cf.count("POST", "/accounts/*/workers/scripts/hello/versions") == 1
    assert "API_KEY" in fake_cf.scripts["hello"].secrets
    assert "s3cr3t-value" not in r.output


def test_upload_failure_after_kv_create_is_partial_and_rerun_converges(example, env, fake_cf) -> None:
    """If the upload fails after the namespace was created: exit 3 naming the rerun; the rerun finishes without duplicates."""
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/*", _status(400), times=1)
    project = example("kv-cache")
    r = deploy(project, env)
    assert r.code == 3, r
    assert "partially deployed" in r.err and "rerun" in r.err
    again = deploy(project, env)
    assert again.code == 0, again
    assert fake_cf.count("POST", "/accounts/*/storage/kv/namespaces") == 1
    assert "kv-cache" in fake_cf.scripts


def test_subprocess_deploy_of_hello(example, env, fake_cf) -> None:
    """`python -m cfworker deploy` works as a separate process against the fake over HTTP."""
    r = run_subprocess(["deploy"], env=env, cwd=example("hello"))
    assert r.code == 0, r
    assert "hello" in fake_cf.scripts


def _status(code: int):
    from tests.fakes import Status

    return Status(code)
