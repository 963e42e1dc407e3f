"""New projects and converted wrangler configs build with the real esbuild and deploy to the fake.

Each template is created in a temp dir, built, dry-run deployed (no writes) and deployed for
real; a second deploy writes nothing. Three wrangler configs (TOML with routes, vars, KV,
crons and an env; JSONC with a provisioned KV namespace and a custom domain; a real corpus
file with D1 and two KV namespaces) are converted, deployed, and what the fake stores is
compared with the bindings, routes and schedules the wrangler config declares.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import run_cli
from tests.fakes import state_kv

pytestmark = pytest.mark.needs_esbuild

CORPUS = Path(__file__).resolve().parents[1] / "data" / "wrangler-corpus"
NODE = shutil.which("node")
STUB_WORKER = "export default { async fetch() { return new Response('ok'); } };\n"


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild, a workers.dev subdomain and example.com."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def init(tmp_path: Path, template: str, name: str) -> Path:
    r = run_cli(["init", name, "--template", template], cwd=tmp_path)
    assert r.code == 0, r
    return tmp_path / name


def by_name(bindings: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {b["name"]: b for b in bindings}


def deploy_twice(project: Path, env: dict[str, str], fake_cf, *args: str) -> None:
    """Dry run writes nothing; the deploy succeeds; a second deploy writes nothing."""
    dry = run_cli(["deploy", "--dry-run", *args], env=env, cwd=project)
    assert dry.code == 0, dry
    # an assets upload session only counts the new files (it changes nothing live)
    writes = [w for w in fake_cf.writes() if not w.path.endswith("/assets-upload-session")]
    assert writes == [] and "dry run: nothing was written" in dry.out
    real = run_cli(["deploy", *args], env=env, cwd=project)
    assert real.code == 0, real
    before = len(fake_cf.writes())
    again = run_cli(["deploy", *args], env=env, cwd=project)
    assert again.code == 0, again
    assert len(fake_cf.writes()) == before, fake_cf.writes()[before:]


# -- templates --------------------------------------------------------------------------------

def test_hello_template_builds_and_deploys(tmp_path: Path, env, fake_cf) -> None:
    """hello: builds, deploys with its var, answers on workers.dev."""
    project = init(tmp_path, "hello", "hello-app")
    built = run_cli(["build"], env=env, cwd=project)
    assert built.code == 0, built
    assert (project / "dist" / "index.js").is_file()
    deploy_twice(project, env, fake_cf)
    script = fake_cf.scripts["hello-app"]
    assert script.metadata["main_module"] == "index.js"
    assert script.metadata["bindings"] == [{"type": "plain_text", "name": "GREETING", "text": "Hello"}]
    assert b"/api/hello" in script.modules["index.js"].content
    assert script.subdomain_enabled is True


def test_typescript_router_template_builds_and_deploys(tmp_path: Path, env, fake_cf) -> None:
    """typescript-router: esbuild compiles the TS router with no npm install; vars become bindings."""
    project = init(tmp_path, "typescript-router", "ts-app")
    built = run_cli(["build"], env=env, cwd=project)
    assert built.code == 0, built
    bundle = (project / "dist" / "index.js").read_text()
    assert "method not allowed" in bundle and "satisfies" not in bundle
    deploy_twice(project, env, fake_cf)
    assert fake_cf.scripts["ts-app"].metadata["bindings"] == [{"type": "plain_text", "name": "API_VERSION", "text": "v1"}]


def test_kv_cache_template_provisions_its_namespace_and_cron(tmp_path: Path, env, fake_cf) -> None:
    """kv-cache: the first deploy creates the namespace, binds it, writes the id back and sets the cron."""
    project = init(tmp_path, "kv-cache", "kv-app")
    assert run_cli(["build"], env=env, cwd=project).code == 0
    deploy_twice(project, env, fake_cf)
    ns = fake_cf.kv_namespace("kv-app-cache")
    script = fake_cf.scripts["kv-app"]
    assert by_name(script.metadata["bindings"])["CACHE"] == {"type": "kv_namespace", "name": "CACHE", "namespace_id": ns.id}
    assert [s["cron"] for s in script.schedules] == ["*/30 * * * *"]
    assert f'id = "{ns.id}"' in (project / "worker.toml").read_text()
    assert fake_cf.count("POST", "/accounts/*/storage/kv/namespaces") == 1


def test_scheduled_template_deploys_cron_only(tmp_path: Path, env, fake_cf) -> None:
    """scheduled: cron trigger set, workers.dev left off (no fetch handler)."""
    project = init(tmp_path, "scheduled", "cron-app")
    assert run_cli(["build"], env=env, cwd=project).code == 0
    deploy_twice(project, env, fake_cf)
    script = fake_cf.scripts["cron-app"]
    assert [s["cron"] for s in script.schedules] == ["0 * * * *"]
    assert script.subdomain_enabled is False
    assert by_name(script.metadata["bindings"])["CHECK_URL"]["type"] == "plain_text"


@pytest.mark.skipif(NODE is None, reason="node is not installed")
@pytest.mark.parametrize("template", ["hello", "kv-cache", "scheduled"])
def test_template_tests_pass_with_node(tmp_path: Path, template: str) -> None:
    """The tests a template ships pass with `node --test` in the new project."""
    project = init(tmp_path, template, "node-app")
    proc = subprocess.run([NODE, "--test"], cwd=project, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stdout + proc.stderr


# -- wrangler conversion deploys what the wrangler config declares --------------------------------

def convert(project: Path, config_name: str, text: str, main: str, *args: str) -> None:
    (project / config_name).write_text(text)
    (project / main).parent.mkdir(parents=True, exist_ok=True)
    (project / main).write_text(STUB_WORKER)
    r = run_cli(["init", "--from-wrangler", *args], cwd=project)
    assert r.code == 0, r


def routes_of(fake_cf, zone_id: str) -> list[tuple[str, str | None]]:
    return sorted((r.pattern, r.script) for r in fake_cf.routes(zone_id))


def test_converted_toml_with_routes_vars_kv_crons_and_env_deploys_the_same_metadata(
        tmp_path: Path, env, fake_cf) -> None:
    """wrangler.toml: top level and [env.staging] deploy exactly the bindings, routes and crons it declares."""
    sessions = fake_cf.add_kv_namespace("shop-sessions")
    staging_sessions = fake_cf.add_kv_namespace("shop-sessions-staging")
    convert(tmp_path, "wrangler.toml", f'''name = "shop-api"
main = "src/index.js"
compatibility_date = "2025-03-01"
compatibility_flags = ["nodejs_compat"]
account_id = ""
routes = [
  {{ pattern = "api.example.com/*", zone_name = "example.com" }},
]

[vars]
API_HOST = "https://api.example.com"
FEATURES = {{ search = true, beta = false }}

[[kv_namespaces]]
binding = "SESSIONS"
id = "{sessions}"
preview_id = "local-only"

[triggers]
crons = ["0 3 * * *"]

[dev]
port = 8787

[env.staging]
routes = [{{ pattern = "staging-api.example.com/*", zone_name = "example.com" }}]

[env.staging.vars]
API_HOST = "https://staging-api.example.com"

[[env.staging.kv_namespaces]]
binding = "SESSIONS"
id = "{staging_sessions}"

[env.staging.triggers]
crons = []
''', "src/index.js")
    deploy_twice(tmp_path, env, fake_cf)
    top = fake_cf.scripts["shop-api"]
    assert by_name(top.metadata["bindings"]) == {
        "API_HOST": {"type": "plain_text", "name": "API_HOST", "text": "https://api.example.com"},
        "FEATURES": {"type": "json", "name": "FEATURES", "json": {"search": True, "beta": False}},
        "SESSIONS": {"type": "kv_namespace", "name": "SESSIONS", "namespace_id": sessions},
    }
    assert top.metadata["compatibility_date"] == "2025-03-01"
    assert top.metadata["compatibility_flags"] == ["nodejs_compat"]
    assert [s["cron"] for s in top.schedules] == ["0 3 * * *"]

    staged = run_cli(["deploy", "--env", "staging"], env=env, cwd=tmp_path)
    assert staged.code == 0, staged
    staging = fake_cf.scripts["shop-api-staging"]
    assert by_name(staging.metadata["bindings"]) == {
        "API_HOST": {"type": "plain_text", "name": "API_HOST", "text": "https://staging-api.example.com"},
        "SESSIONS": {"type": "kv_namespace", "name": "SESSIONS", "namespace_id": staging_sessions},
    }
    assert staging.metadata["compatibility_flags"] == ["nodejs_compat"]  # inherited, as in wrangler
    assert staging.schedules == []
    assert routes_of(fake_cf, fake_cf.zone_id) == [("api.example.com/*", "shop-api"),
                                                   ("staging-api.example.com/*", "shop-api-staging")]


def test_converted_jsonc_with_provisioned_kv_and_custom_domain_deploys_the_same_metadata(
        tmp_path: Path, env, fake_cf) -> None:
    """wrangler.jsonc: KV without id is provisioned, the custom domain attached, vars and cron set."""
    convert(tmp_path, "wrangler.jsonc", '''/** Imported from a wrangler project. */
{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "links",
  "main": "src/worker.ts", // TypeScript entry
  "compatibility_date": "2025-01-15",
  "routes": [
    { "pattern": "go.example.com", "custom_domain": true }, // a custom domain
  ],
  "kv_namespaces": [
    { "binding": "LINKS" }, // no id: provisioned at first deploy
  ],
  "vars": { "DEFAULT_URL": "https://example.com/", "MAX_HITS": 1000 },
  "triggers": { "crons": ["*/15 * * * *"], },
  "observability": { "enabled": true },
  "assets": { "directory": "./public" },
}
''', "src/worker.ts")
    (tmp_path / "public").mkdir()
    (tmp_path / "public" / "index.html").write_text("<h1>links</h1>")
    deploy_twice(tmp_path, env, fake_cf)
    script = fake_cf.scripts["links"]
    assert sorted(fake_cf.script_assets("links").manifest) == ["/index.html"]  # [assets] carried over
    ns = fake_cf.kv_namespace("links-links")
    assert by_name(script.metadata["bindings"]) == {
        "DEFAULT_URL": {"type": "plain_text", "name": "DEFAULT_URL", "text": "https://example.com/"},
        "MAX_HITS": {"type": "json", "name": "MAX_HITS", "json": 1000},
        "LINKS": {"type": "kv_namespace", "name": "LINKS", "namespace_id": ns.id},
    }
    assert [s["cron"] for s in script.schedules] == ["*/15 * * * *"]
    assert "observability" not in script.metadata and script.observability == {"enabled": True}
    assert [(d.hostname, d.service) for d in fake_cf.domains] == [("go.example.com", "links")]


def test_converted_corpus_file_with_d1_and_two_kv_namespaces_deploys_the_same_metadata(
        tmp_path: Path, env, fake_cf) -> None:
    """A real wrangler.toml (corpus 043): its D1, KV and vars bindings and its route deploy unchanged."""
    zone = fake_cf.add_zone("blazesportsintel.com")
    for ns_id, title in (("7741a629a93a4d3e8ecdb8a06be0382e", "cache"), ("18c9e217239b4ae8996b9da988305300", "keys")):
        with fake_cf.lock:
            fake_cf.state.kv[ns_id] = state_kv.Namespace(ns_id, fake_cf.account_id, title)
    text = (CORPUS / "043-Blaze-sports-Intel-college-baseball-api.toml").read_text()
    convert(tmp_path, "wrangler.toml", text, "src/index.ts")
    deploy_twice(tmp_path, env, fake_cf)
    script = fake_cf.scripts["cbb-api"]
    assert by_name(script.metadata["bindings"]) == {
        "DB": {"type": "d1", "name": "DB", "id": "fa31fba5-1b4e-4f66-9bec-79483993c9e0"},
        "CACHE": {"type": "kv_namespace", "name": "CACHE", "namespace_id": "7741a629a93a4d3e8ecdb8a06be0382e"},
        "API_KEYS": {"type": "kv_namespace", "name": "API_KEYS", "namespace_id": "18c9e217239b4ae8996b9da988305300"},
        "ENVIRONMENT": {"type": "plain_text", "name": "ENVIRONMENT", "text": "production"},
        "API_VERSION": {"type": "plain_text", "name": "API_VERSION", "text": "v1"},
    }
    assert script.metadata["compatibility_date"] == "2025-02-14"
    assert routes_of(fake_cf, zone) == [("api.blazesportsintel.com/*", "cbb-api")]
    assert script.subdomain_enabled is True  # workers_dev = true alongside the route
