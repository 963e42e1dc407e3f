"""Issue 12: cfworker against a fake that behaves like the real API where it is unkind.

Each test is a behaviour the old fake hid (real-api-quirks.md): the real CLI, the real
esbuild, the fake over HTTP.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def write_project(root: Path, toml: str, code: str = "export default { fetch() { return new Response('hi') } }\n") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "index.js").write_text(code)
    (root / "worker.toml").write_text('name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n' + toml)
    return root


def deploy(project: Path, env: dict[str, str], *args: str):
    return run_cli(["deploy", *args], env=env, cwd=project)


def writes_since(fake_cf, before: int) -> list[tuple[str, str]]:
    return [(w.method, w.path) for w in fake_cf.writes()[before:]]


# -- pagination ---------------------------------------------------------------------------------

def test_zone_with_55_routes_is_read_in_one_request(tmp_path: Path, env, fake_cf) -> None:
    """The unpaginated routes list is read once (the old page loop never ended on 50+ routes)."""
    for i in range(55):
        fake_cf.add_route(fake_cf.zone_id, f"r{i}.example.com/*", "someone-else")
    project = write_project(tmp_path, 'routes = ["api.example.com/*"]\n')
    r = deploy(project, env, "--dry-run")
    assert r.code == 0, r
    assert fake_cf.count("GET", f"/zones/{fake_cf.zone_id}/workers/routes") == 1
    assert "add route api.example.com/*" in r.out


def test_kv_key_list_of_exactly_2000_keys(tmp_path: Path, env, fake_cf) -> None:
    """Exactly two full cursor pages: 2 (or 3) requests, 2,000 keys printed, no loop."""
    from tests.fakes.state_kv import KVEntry

    ns = fake_cf.add_kv_namespace("big")
    fake_cf.kv[ns].entries.update({f"key-{i:05}": KVEntry(b"v") for i in range(2000)})
    r = run_cli(["kv", "key", "list", "--namespace-id", ns, "--json"], env=env, cwd=tmp_path)
    assert r.code == 0, r
    assert len(json.loads(r.out)) == 2000
    assert fake_cf.count("GET", f"/accounts/*/storage/kv/namespaces/{ns}/keys") in (2, 3)


# -- drift ----------------------------------------------------------------------------------------

def test_foreign_deploy_is_seen_then_one_upload_then_zero_writes(tmp_path: Path, env, fake_cf) -> None:
    """After wrangler deploys other code (tags untouched), the unchanged tree uploads once with the reason."""
    project = write_project(tmp_path, "")
    assert deploy(project, env).code == 0
    assert deploy(project, env).code == 0 and len(fake_cf.writes()) == 3  # create, deploy, workers.dev: 0 more
    tags = list(fake_cf.scripts["app"].tags)
    fake_cf.foreign_deploy("app", source="wrangler")
    assert fake_cf.scripts["app"].tags == tags

    before = len(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 0, r
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    assert writes_since(fake_cf, before) == [("POST", f"{base}/versions"), ("POST", f"{base}/deployments")]
    assert "was deployed by wrangler" in r.out and "not by cfworker from this tree" in r.out
    assert b"deployed by wrangler" not in fake_cf.scripts["app"].content("index.js")

    before = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0 and writes_since(fake_cf, before) == [], again
    assert "upload skipped" in again.out


def test_dashboard_var_edit_is_drift_in_the_plan(tmp_path: Path, env, fake_cf) -> None:
    """A var edited in the dashboard shows in the plan with both values, and the deploy restores it."""
    project = write_project(tmp_path, '[vars]\nMODE = "prod"\n')
    assert deploy(project, env).code == 0
    fake_cf.foreign_deploy("app", vars={"MODE": "debug"}, source="dash")
    r = deploy(project, env)
    assert r.code == 0, r
    assert "var MODE: 'debug' -> 'prod' (changed outside cfworker; this deploy restores worker.toml)" in r.out
    assert {"type": "plain_text", "name": "MODE", "text": "prod"} in fake_cf.scripts["app"].bindings


def test_secret_put_does_not_make_the_next_deploy_upload(tmp_path: Path, env, fake_cf) -> None:
    """A secret change makes a new version with the same code: not drift, so 0 writes."""
    project = write_project(tmp_path, "")
    assert deploy(project, env).code == 0
    assert run_cli(["secret", "put", "TOKEN"], env=env, cwd=project, input="s3cr3t\n").code == 0
    before = len(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 0 and writes_since(fake_cf, before) == [], r


def test_gradual_deployment_is_only_ended_with_yes(tmp_path: Path, env, fake_cf) -> None:
    """Traffic split by `versions deploy`: ending it is destructive, so CI needs --yes."""
    project = write_project(tmp_path, "")
    assert deploy(project, env).code == 0
    fake_cf.foreign_deploy("app", percentage=10)
    before = len(fake_cf.writes())
    refused = deploy(project, env)
    assert refused.code == 2 and writes_since(fake_cf, before) == [], refused
    assert "gradual deployment" in refused.out
    assert deploy(project, env, "--yes").code == 0
    assert fake_cf.scripts["app"].deployments[-1].versions[0]["percentage"] == 100.0


# -- routes and custom domains wherever they are ---------------------------------------------

def test_route_in_a_zone_the_config_no_longer_names_is_deleted(tmp_path: Path, env, fake_cf) -> None:
    """Moving the Worker to another zone deletes its route in the old one (found by one account read)."""
    other = fake_cf.add_zone("old-shop.net")
    project = write_project(tmp_path, 'routes = ["old-shop.net/*"]\n')
    assert deploy(project, env).code == 0
    (project / "worker.toml").write_text((project / "worker.toml").read_text()
                                         .replace('routes = ["old-shop.net/*"]', 'routes = ["api.example.com/*"]'))
    r = deploy(project, env, "--yes")
    assert r.code == 0, r
    assert "delete route old-shop.net/*" in r.out
    assert fake_cf.routes(other) == []
    assert [(x.pattern, x.script) for x in fake_cf.routes(fake_cf.zone_id)] == [("api.example.com/*", "app")]
    assert fake_cf.count("GET", "/accounts/*/workers/services/app/environments/production/routes") == 2


def test_last_custom_domain_removed_is_detached(tmp_path: Path, env, fake_cf) -> None:
    """With no custom domain left in worker.toml, the Worker's domain is still found and detached."""
    project = write_project(tmp_path, 'routes = [{ pattern = "shop.example.com", custom_domain = true }]\n')
    assert deploy(project, env).code == 0
    assert [d.hostname for d in fake_cf.domains] == ["shop.example.com"]
    (project / "worker.toml").write_text((project / "worker.toml").read_text().split("routes")[0])
    r = deploy(project, env, "--yes")
    assert r.code == 0, r
    assert "detach custom domain shop.example.com" in r.out and fake_cf.domains == []


def test_custom_domain_take_over_and_dns_override(tmp_path: Path, env, fake_cf) -> None:
    """--take-over-routes sends override_existing_origin; records of the hostname need --override-dns."""
    fake_cf.add_script("other")
    body = {"zone_id": fake_cf.zone_id, "hostname": "shop.example.com", "service": "other", "environment": "production"}
    import httpx

    with httpx.Client(base_url=fake_cf.base_url, headers={"Authorization": f"Bearer {fake_cf.token}"}) as c:
        assert c.put(f"/accounts/{fake_cf.account_id}/workers/domains", json=body).status_code == 200
    project = write_project(tmp_path, 'routes = [{ pattern = "shop.example.com", custom_domain = true }]\n')
    conflict = deploy(project, env)
    assert conflict.code == 1 and "--take-over-routes" in conflict.out
    taken = deploy(project, env, "--take-over-routes", "--yes")
    assert taken.code == 0, taken
    put = [w for w in fake_cf.writes() if w.method == "PUT" and w.path.endswith("/workers/domains")][-1]
    assert put.json()["override_existing_origin"] is True and "override_existing_dns_record" not in put.json()

    fake_cf.add_dns_record(fake_cf.zone_id, "A", "blog", "192.0.2.7")
    (project / "worker.toml").write_text((project / "worker.toml").read_text().replace("shop.example.com", "blog.example.com"))
    before = len(fake_cf.writes())
    blocked = deploy(project, env, "--take-over-routes", "--yes")
    assert blocked.code == 1 and writes_since(fake_cf, before) == [], blocked
    assert "blog.example.com has DNS record(s) of its own: A blog.example.com 192.0.2.7" in blocked.out
    assert "--override-dns" in blocked.out
    done = deploy(project, env, "--override-dns", "--yes")
    assert done.code == 0, done
    put = [w for w in fake_cf.writes() if w.method == "PUT" and w.path.endswith("/workers/domains")][-1]
    assert put.json()["override_existing_dns_record"] is True
    assert sorted(d.hostname for d in fake_cf.domains) == ["blog.example.com"]


# -- hooks, tags, preview URLs --------------------------------------------------------------------

def test_env_deploy_never_acts_on_top_level_hooks(tmp_path: Path, env, fake_cf) -> None:
    """`deploy --env staging` creates no top-level [[dns]] record and purges nothing of production's."""
    project = write_project(tmp_path, 'routes = ["example.com/*"]\n'
                                      '[[dns]]\ntype = "A"\nname = "www"\ncontent = "192.0.2.1"\n'
                                      '[purge]\neverything = true\n'
                                      '[env.staging]\nroutes = ["staging.example.com/*"]\n')
    r = deploy(project, env, "--env", "staging")
    assert r.code == 0, r
    assert fake_cf.dns_records(fake_cf.zone_id) == [] and fake_cf.purges == []
    assert "post-deploy hooks are not inherited" in r.output
    assert deploy(project, env).code == 0
    assert [x["name"] for x in fake_cf.dns_records(fake_cf.zone_id)] == ["www.example.com"]
    assert len(fake_cf.purges) == 1


def test_tags_set_elsewhere_survive_and_worker_toml_tags_are_added(tmp_path: Path, env, fake_cf) -> None:
    """A dashboard tag stays; worker.toml's tag is added with one PATCH; a rerun writes nothing."""
    project = write_project(tmp_path, 'tags = ["team:web"]\n')
    assert deploy(project, env).code == 0
    with fake_cf.lock:
        fake_cf.scripts["app"].tags = ["cf:service=app", "team:web", "owner:ops"]
    before = len(fake_cf.writes())
    assert deploy(project, env).code == 0 and writes_since(fake_cf, before) == []
    with fake_cf.lock:
        fake_cf.scripts["app"].tags = ["owner:ops"]
    r = deploy(project, env)
    assert r.code == 0, r
    assert fake_cf.scripts["app"].tags == ["owner:ops", "team:web"]
    assert writes_since(fake_cf, before) == [("PATCH", f"/accounts/{fake_cf.account_id}/workers/scripts/app/script-settings")]


def test_preview_urls_are_sent_with_the_api_date_and_changed_when_they_differ(tmp_path: Path, env, fake_cf) -> None:
    """preview_urls = false turns previews off (the header makes the API honour it); a rerun leaves it."""
    project = write_project(tmp_path, "preview_urls = false\n")
    assert deploy(project, env).code == 0
    script = fake_cf.scripts["app"]
    assert script.subdomain_enabled is True and script.previews_enabled is False
    post = [w for w in fake_cf.writes() if w.path.endswith("/subdomain")][-1]
    assert post.headers["cloudflare-workers-script-api-date"] == "2025-08-01"
    with fake_cf.lock:
        script.previews_enabled = True  # turned on in the dashboard
    r = deploy(project, env)
    assert r.code == 0 and "preview URLs: on -> off" in r.out, r
    before = len(fake_cf.writes())
    assert deploy(project, env).code == 0 and writes_since(fake_cf, before) == []


# -- one account rule -----------------------------------------------------------------------------

ACCOUNT_COMMANDS = (
    (["zones", "list"], 0),
    (["kv", "namespace", "list"], 0),
    (["dns", "list", "--zone", "second.example"], 0),
    (["purge", "--everything", "--zone", "second.example", "--yes"], 0),
    (["secret", "list", "--name", "x"], 2),  # that Worker does not exist: found out in the right account
)


def test_every_command_takes_the_account_from_worker_toml_and_the_flag(tmp_path: Path, env, fake_cf) -> None:
    """kv, zones, dns, purge and secret resolve the account as deploy does, and all accept --account-id."""
    second = fake_cf.add_account("second")
    zone = fake_cf.add_zone("second.example", account_id=second)
    fake_cf.add_kv_namespace("in-second", account_id=second)
    project = write_project(tmp_path / "p", f'account_id = "{second}"\n')
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    no_env_account = {k: v for k, v in env.items() if k != "CLOUDFLARE_ACCOUNT_ID"}
    for args, code in ACCOUNT_COMMANDS:
        for cwd, extra in ((project, []), (elsewhere, ["--account-id", second])):
            start = len(fake_cf.requests)
            r = run_cli([*args, *extra], env=no_env_account, cwd=cwd)
            assert r.code == code, r
            used = {q.path.split("/")[2] for q in fake_cf.requests[start:] if q.path.startswith("/accounts/")}
            scoped = {q.query for q in fake_cf.requests[start:] if q.path == "/zones"}
            assert used <= {second} and all(f"account.id={second}" in q for q in scoped), (args, used, scoped)
            assert used or scoped, args
    assert any(p.zone_id == zone for p in fake_cf.purges)


def test_with_two_accounts_and_none_chosen_every_hint_names_a_flag_the_command_has(tmp_path: Path, env, fake_cf) -> None:
    """No account configured and two visible: exit 2, and the hint's --account-id works on that command."""
    second = fake_cf.add_account("second")
    fake_cf.add_zone("second.example", account_id=second)
    no_env_account = {k: v for k, v in env.items() if k != "CLOUDFLARE_ACCOUNT_ID"}
    for args, code in ACCOUNT_COMMANDS:
        r = run_cli(args, env=no_env_account, cwd=tmp_path)
        assert r.code == 2 and "--account-id" in r.err, r
        assert run_cli([*args, "--account-id", second], env=no_env_account, cwd=tmp_path).code == code
