"""The fake's Workers endpoints: multipart upload, binding checks, secrets, versions, triggers."""

from __future__ import annotations

import httpx
import pytest

from tests.fakes.cloudflare import FakeCloudflare
# Fixtures imported directly until tests/conftest.py loads tests.fakes.plugin (then this line is redundant).
from tests.fakes.test_fake_cloudflare import errors, upload

WASM = bytes(range(256)) * 4


def test_upload_stores_every_part_byte_for_byte(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Each module keeps its name, content type and exact bytes; metadata is parsed; version deployed."""
    ns = fake_cf.add_kv_namespace("cache")
    meta = {"main_module": "index.js", "compatibility_date": "2025-06-01", "compatibility_flags": ["nodejs_compat"],
            "bindings": [{"type": "plain_text", "name": "GREETING", "text": "hi"},
                         {"type": "kv_namespace", "name": "CACHE", "namespace_id": ns}]}
    modules = {"index.js": (b"import w from './a.wasm';\r\nexport default {}\n", "application/javascript+module"),
               "a.wasm": (WASM, "application/wasm"), "index.js.map": (b"{}", "application/source-map")}
    r = upload(fake_cf_client, fake_cf, "app", meta, modules)
    assert r.status_code == 200, r.text
    script = fake_cf.scripts["app"]
    assert {n: (m.content_type, m.content) for n, m in script.modules.items()} == {
        n: (ct, data) for n, (data, ct) in modules.items()}
    assert script.metadata["compatibility_flags"] == ["nodejs_compat"]
    assert [b["name"] for b in script.bindings] == ["GREETING", "CACHE"]
    assert r.json()["result"]["deployment_id"] == script.current.id
    assert r.json()["result"]["etag"] == script.etag
    deployments = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/scripts/app/deployments").json()
    assert deployments["result"]["deployments"][0]["versions"] == [{"version_id": script.current.id, "percentage": 100.0}]


@pytest.mark.parametrize(("metadata", "code"), [
    ({"main_module": "missing.js", "bindings": []}, 10021),
    ({"bindings": []}, 10021),
    ({"main_module": "index.js", "bindings": [{"type": "teleporter", "name": "T"}]}, 10021),
    ({"main_module": "index.js", "bindings": [{"type": "plain_text", "name": "X"}]}, 10021),
    ({"main_module": "index.js", "bindings": [{"name": "X", "text": "y"}]}, 10021),
    ({"main_module": "index.js", "bindings": [{"type": "kv_namespace", "name": "KV", "namespace_id": "f" * 32}]}, 10041),
    ({"main_module": "index.js", "bindings": [{"type": "kv_namespace", "name": "KV", "namespace_id": "nope"}]}, 10042),
    ({"main_module": "index.js", "bindings": [{"type": "inherit", "name": "GONE"}]}, 10057),
])
def test_upload_rejects_bad_metadata(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client, metadata: dict,
                                     code: int) -> None:
    """Missing main module, unknown binding types, missing fields and unknown KV ids are refused."""
    fake_cf_client.params = httpx.QueryParams({"bindings_inherit": "strict"})
    r = upload(fake_cf_client, fake_cf, "app", metadata)
    assert (r.status_code, errors(r)) == (400, [code]), r.text
    assert "app" not in fake_cf.scripts


def test_upload_metadata_is_checked_against_the_schema(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The metadata part is validated against the upload schema (usage_model enum)."""
    fake_cf.expect_schema_violations()
    r = upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "usage_model": "infinite"})
    assert errors(r) == [10001] and "usage_model" in r.json()["errors"][0]["message"]


def test_script_size_limit_is_10027(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """An upload above the configured size limit is refused with 10027."""
    fake_cf.state.config.script_size_limit = 1000
    r = upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js"},
               {"index.js": (b"x" * 1001, "application/javascript+module")})
    assert errors(r) == [10027]


def test_secrets_survive_uploads_and_are_never_listed_with_values(fake_cf: FakeCloudflare,
                                                                  fake_cf_client: httpx.Client) -> None:
    """Secret values never leave the fake, and a normal upload keeps them (api-notes §2.2, §4.1)."""
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    secret = {"name": "K", "text": "s3cret", "type": "secret_text"}
    assert errors(fake_cf_client.put(f"{base}/secrets", json=secret)) == [10007]
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "bindings": []})
    r = fake_cf_client.put(f"{base}/secrets", json={"name": "API_KEY", "text": "s3cret", "type": "secret_text"})
    assert r.json()["result"] == {"name": "API_KEY", "type": "secret_text"}
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "bindings": [
        {"type": "plain_text", "name": "MODE", "text": "prod"}]})
    assert fake_cf_client.get(f"{base}/secrets").json()["result"] == [{"name": "API_KEY", "type": "secret_text"}]
    settings = fake_cf_client.get(f"{base}/settings").json()["result"]
    assert settings["bindings"] == [{"type": "plain_text", "name": "MODE", "text": "prod"},
                                    {"name": "API_KEY", "type": "secret_text"}]
    assert fake_cf_client.get(f"{base}/secrets/API_KEY").json()["result"] == {"name": "API_KEY", "type": "secret_text"}
    for path in ("/secrets", "/settings", "/versions"):
        assert "s3cret" not in fake_cf_client.get(base + path).text
    assert fake_cf.scripts["app"].secrets["API_KEY"]["text"] == "s3cret"


def test_upload_secret_bindings_and_overrides(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """secret_text in an upload sets a secret; a plain binding with a secret's name replaces it."""
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "keep_bindings": ["secret_text"], "bindings": [
        {"type": "secret_text", "name": "A", "text": "1"}, {"type": "secret_text", "name": "B", "text": "2"}]})
    assert sorted(fake_cf.scripts["app"].secrets) == ["A", "B"]
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "bindings": [
        {"type": "plain_text", "name": "A", "text": "now plain"}]})
    script = fake_cf.scripts["app"]
    assert sorted(script.secrets) == ["B"] and script.bindings == [{"type": "plain_text", "name": "A", "text": "now plain"}]


def test_keep_bindings_and_inherit(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """keep_bindings keeps earlier vars; an inherit binding copies the previous one."""
    ns = fake_cf.add_kv_namespace("cache")
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "bindings": [
        {"type": "plain_text", "name": "OLD", "text": "x"}, {"type": "kv_namespace", "name": "KV", "namespace_id": ns}]})
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "keep_bindings": ["plain_text"],
                                            "bindings": [{"type": "inherit", "name": "KV"}]})
    assert fake_cf.scripts["app"].bindings == [{"type": "kv_namespace", "name": "KV", "namespace_id": ns},
                                               {"type": "plain_text", "name": "OLD", "text": "x"}]


def test_versions_then_deployment(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A version upload is not live until a deployment sends it 100% of traffic."""
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js"})
    first = fake_cf.scripts["app"].current.id
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    meta = b'{"main_module": "index.js", "annotations": {"workers/message": "v2"}}'
    files = [("metadata", (None, meta, "application/json")),
             ("index.js", ("index.js", b"export default {v: 2}", "application/javascript+module"))]
    version = fake_cf_client.post(f"{base}/versions", files=files).json()["result"]
    assert version["number"] == 2 and fake_cf.scripts["app"].current.id == first
    r = fake_cf_client.post(f"{base}/deployments", json={"strategy": "percentage",
                                                         "versions": [{"version_id": version["id"], "percentage": 100}]})
    assert r.status_code == 200 and fake_cf.scripts["app"].content("index.js") == b"export default {v: 2}"
    bad = fake_cf_client.post(f"{base}/deployments", json={"strategy": "percentage",
                                                           "versions": [{"version_id": first, "percentage": 50}]})
    assert bad.status_code == 400
    assert [v["id"] for v in fake_cf_client.get(f"{base}/versions").json()["result"]["items"]] == [version["id"], first]


def test_subdomain_schedules_and_settings(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """workers.dev needs an account subdomain; crons are replaced; script-settings merge."""
    base = f"/accounts/{fake_cf.account_id}/workers"
    fake_cf.add_script("app")
    assert errors(fake_cf_client.get(f"{base}/subdomain")) == [10007]
    assert errors(fake_cf_client.post(f"{base}/scripts/app/subdomain", json={"enabled": True})) == [10063]
    fake_cf.set_workers_subdomain("team")
    r = fake_cf_client.post(f"{base}/scripts/app/subdomain", json={"enabled": True, "previews_enabled": False})
    assert r.json()["result"] == {"enabled": True, "previews_enabled": True}  # no API-date header: ignored
    r = fake_cf_client.post(f"{base}/scripts/app/subdomain", json={"enabled": True, "previews_enabled": False},
                            headers={"Cloudflare-Workers-Script-Api-Date": "2025-08-01"})
    assert r.json()["result"] == {"enabled": True, "previews_enabled": False}
    r = fake_cf_client.post(f"{base}/scripts/app/subdomain", json={"enabled": False},
                            headers={"Cloudflare-Workers-Script-Api-Date": "2025-08-01"})
    assert r.json()["result"] == {"enabled": False, "previews_enabled": False}  # omitted: follows workers.dev
    r = fake_cf_client.put(f"{base}/scripts/app/schedules", json=[{"cron": "*/5 * * * *"}])
    assert [s["cron"] for s in r.json()["result"]["schedules"]] == ["*/5 * * * *"]
    assert fake_cf_client.put(f"{base}/scripts/app/schedules", json=[]).json()["result"] == {"schedules": []}
    r = fake_cf_client.patch(f"{base}/scripts/app/script-settings", json={"tags": ["cf:service=app"], "logpush": True})
    assert r.json()["result"]["tags"] == ["cf:service=app"] and fake_cf.scripts["app"].logpush is True


def test_custom_domains_refuse_existing_dns(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Attaching a hostname that has DNS records is 100117; otherwise the domain is listed."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    fake_cf.add_dns_record(zone, "A", "taken", "192.0.2.1")
    path = f"/accounts/{fake_cf.account_id}/workers/domains"
    body = {"zone_id": zone, "hostname": "taken.example.com", "service": "app", "environment": "production"}
    assert errors(fake_cf_client.put(path, json=body)) == [100117]
    r = fake_cf_client.put(path, json={**body, "hostname": "api.example.com"})
    assert r.status_code == 200
    listed = fake_cf_client.get(path, params={"service": "app"}).json()["result"]
    assert [d["hostname"] for d in listed] == ["api.example.com"]
    assert fake_cf_client.delete(f"{path}/{r.json()['result']['id']}").status_code == 200
    assert fake_cf.domains == []


def test_script_routes_put_replaces_the_set(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The account-level routes PUT drops the script's old routes and refuses other scripts' patterns."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    fake_cf.add_route(zone, "old.example.com/*", "app")
    fake_cf.add_route(zone, "other.example.com/*", "someone-else")
    path = f"/accounts/{fake_cf.account_id}/workers/scripts/app/routes"
    r = fake_cf_client.put(path, json=[{"pattern": "example.com/*", "zone_name": "example.com"},
                                       {"pattern": "api.example.com/*"}])
    assert r.status_code == 200, r.text
    assert sorted((x.pattern, x.script) for x in fake_cf.routes(zone)) == [
        ("api.example.com/*", "app"), ("example.com/*", "app"), ("other.example.com/*", "someone-else")]
    assert errors(fake_cf_client.put(path, json=[{"pattern": "other.example.com/*"}])) == [10020]
