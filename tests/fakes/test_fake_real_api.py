"""The fake behaves like the real API where it is unkind (real-api-quirks.md, one test per behaviour)."""

from __future__ import annotations

import httpx

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.test_fake_cloudflare import errors, upload

DATED = {"Cloudflare-Workers-Script-Api-Date": "2025-08-01"}


def test_zone_routes_ignore_paging_and_always_answer_every_route(fake_cf: FakeCloudflare,
                                                                 fake_cf_client: httpx.Client) -> None:
    """#1: the routes list takes no page parameters; page=2 is dropped and the full list comes back."""
    zone = fake_cf.add_zone("example.com")
    for i in range(55):
        fake_cf.add_route(zone, f"r{i}.example.com/*", None)
    first = fake_cf_client.get(f"/zones/{zone}/workers/routes", params={"page": 1, "per_page": 50}).json()
    second = fake_cf_client.get(f"/zones/{zone}/workers/routes", params={"page": 2, "per_page": 50}).json()
    assert len(first["result"]) == 55 and second["result"] == first["result"]
    assert "result_info" not in first
    assert ("GET", "/zones/{zone_id}/workers/routes", ("page", "per_page")) in fake_cf.ignored_query


def test_kv_keys_page_by_cursor_and_ignore_page(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """#2: `page` is not a KV keys parameter, so page=2 restarts at the first page; the cursor ends empty."""
    ns = fake_cf.add_kv_namespace("n")
    fake_cf.kv[ns].entries.update({f"k{i:04}": _entry() for i in range(15)})
    path = f"/accounts/{fake_cf.account_id}/storage/kv/namespaces/{ns}/keys"
    one = fake_cf_client.get(path, params={"limit": 10}).json()
    again = fake_cf_client.get(path, params={"limit": 10, "page": 2}).json()
    assert again["result"] == one["result"] and one["result_info"]["cursor"]
    rest = fake_cf_client.get(path, params={"limit": 10, "cursor": one["result_info"]["cursor"]}).json()
    assert len(rest["result"]) == 5 and rest["result_info"]["cursor"] == ""


def test_foreign_deploy_changes_the_live_version_but_not_the_tags(fake_cf: FakeCloudflare,
                                                                  fake_cf_client: httpx.Client) -> None:
    """#4: another tool's deploy makes a new version and a new 100 % deployment; tags stay as they were."""
    fake_cf.add_script("app")
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    fake_cf_client.patch(f"{base}/script-settings", json={"tags": ["team:web"]})
    before = fake_cf.scripts["app"].current.id
    version = fake_cf.foreign_deploy("app", vars={"MODE": "dash"}, source="dash")
    live = fake_cf_client.get(f"{base}/deployments").json()["result"]["deployments"][0]
    assert live["versions"] == [{"version_id": version.id, "percentage": 100.0}] and version.id != before
    assert live["source"] == "dash" and "workers/message" not in live["annotations"]
    assert fake_cf.scripts["app"].tags == ["team:web"]
    assert {"type": "plain_text", "name": "MODE", "text": "dash"} in fake_cf.scripts["app"].bindings
    fake_cf.foreign_deploy("app", percentage=10)
    assert len(fake_cf_client.get(f"{base}/deployments").json()["result"]["deployments"][0]["versions"]) == 2


def test_put_upload_keeps_no_annotations_but_a_deployment_does(fake_cf: FakeCloudflare,
                                                               fake_cf_client: httpx.Client) -> None:
    """PUT-upload annotations are not kept (the less forgiving of Cloudflare's two documented answers);
    the annotations of a deployment POST are."""
    meta = {"main_module": "index.js", "bindings": [], "annotations": {"workers/message": "from put"}}
    assert upload(fake_cf_client, fake_cf, "app", meta, {"index.js": (b"export default {}", None)}).status_code == 200
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    first = fake_cf_client.get(f"{base}/deployments").json()["result"]["deployments"][0]
    assert first["annotations"] == {"workers/triggered_by": "upload"}
    version = first["versions"][0]["version_id"]
    r = fake_cf_client.post(f"{base}/deployments", json={"strategy": "percentage", "annotations": {"workers/message": "m"},
                                                          "versions": [{"version_id": version, "percentage": 100}]})
    assert r.status_code == 200, r.text
    assert fake_cf_client.get(f"{base}/deployments").json()["result"]["deployments"][0]["annotations"] == {
        "workers/message": "m"}


def test_custom_domain_of_another_worker_needs_override_existing_origin(fake_cf: FakeCloudflare,
                                                                        fake_cf_client: httpx.Client) -> None:
    """#6: 409/100116 for a hostname another Worker has, unless override_existing_origin."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    fake_cf.add_script("other")
    path = f"/accounts/{fake_cf.account_id}/workers/domains"
    body = {"zone_id": zone, "hostname": "shop.example.com", "service": "other", "environment": "production"}
    assert fake_cf_client.put(path, json=body).status_code == 200
    taken = fake_cf_client.put(path, json={**body, "service": "app"})
    assert taken.status_code == 409 and errors(taken) == [100116]
    assert "override_existing_origin" in taken.json()["errors"][0]["message"]
    assert fake_cf_client.put(path, json={**body, "service": "app", "override_existing_origin": True}).status_code == 200
    assert [(d.hostname, d.service) for d in fake_cf.domains] == [("shop.example.com", "app")]


def test_custom_domain_with_dns_records_needs_override_existing_dns_record(fake_cf: FakeCloudflare,
                                                                           fake_cf_client: httpx.Client) -> None:
    """#6: 409/100117 for a hostname with records of its own, unless override_existing_dns_record (records replaced)."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    fake_cf.add_dns_record(zone, "A", "shop", "192.0.2.1")
    path = f"/accounts/{fake_cf.account_id}/workers/domains"
    body = {"zone_id": zone, "hostname": "shop.example.com", "service": "app", "environment": "production"}
    refused = fake_cf_client.put(path, json=body)
    assert refused.status_code == 409 and errors(refused) == [100117]
    assert fake_cf_client.put(path, json={**body, "override_existing_dns_record": True}).status_code == 200
    assert fake_cf.dns_records(zone) == []


def test_binding_to_an_own_class_without_migration_is_10061(fake_cf: FakeCloudflare,
                                                           fake_cf_client: httpx.Client) -> None:
    """#7: a durable_object_namespace binding to a class of this script needs a migration that created it."""
    binding = {"type": "durable_object_namespace", "name": "ROOM", "class_name": "Room"}
    modules = {"index.js": (b"export class Room {}\nexport default {}", None)}
    refused = upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "bindings": [binding]}, modules)
    assert errors(refused) == [10061]
    meta = {"main_module": "index.js", "bindings": [binding],
            "migrations": {"new_tag": "v1", "steps": [{"new_sqlite_classes": ["Room"]}]}}
    assert upload(fake_cf_client, fake_cf, "app", meta, modules).status_code == 200
    assert fake_cf.scripts["app"].migration_tag == "v1"
    other = {**binding, "script_name": "elsewhere"}
    assert upload(fake_cf_client, fake_cf, "b", {"main_module": "index.js", "bindings": [other]}, modules).status_code == 200


def test_tags_are_limited_to_eight_without_comma_or_ampersand(fake_cf: FakeCloudflare,
                                                               fake_cf_client: httpx.Client) -> None:
    """#5: at most 8 tags per script; a tag with ',' or '&' is refused (PATCH and upload metadata alike)."""
    fake_cf.add_script("app")
    path = f"/accounts/{fake_cf.account_id}/workers/scripts/app/script-settings"
    assert fake_cf_client.patch(path, json={"tags": [f"t{i}" for i in range(8)]}).status_code == 200
    assert fake_cf_client.patch(path, json={"tags": [f"t{i}" for i in range(9)]}).status_code == 400
    assert fake_cf_client.patch(path, json={"tags": ["a,b"]}).status_code == 400
    meta = {"main_module": "index.js", "bindings": [], "tags": ["x&y"]}
    assert upload(fake_cf_client, fake_cf, "app", meta, {"index.js": (b"export default {}", None)}).status_code == 400
    assert fake_cf.scripts["app"].tags == [f"t{i}" for i in range(8)]


def test_account_owned_token_verifies_only_on_the_account_path(fake_cf: FakeCloudflare) -> None:
    """#8: /user/tokens/verify answers 1000 for an account-owned token; /accounts/{a}/tokens/verify accepts it."""
    token = fake_cf.add_token(owner="account", accounts=[fake_cf.account_id])
    assert fake_cf.base_url is not None
    with httpx.Client(base_url=fake_cf.base_url, headers={"Authorization": f"Bearer {token}"}) as client:
        assert errors(client.get("/user/tokens/verify")) == [1000]
        assert client.get(f"/accounts/{fake_cf.account_id}/tokens/verify").json()["result"]["status"] == "active"


def test_preview_urls_follow_the_api_date_header(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """#9: previews_enabled counts only with Cloudflare-Workers-Script-Api-Date; else previews follow workers.dev."""
    fake_cf.add_script("app")
    fake_cf.set_workers_subdomain("acme")
    path = f"/accounts/{fake_cf.account_id}/workers/scripts/app/subdomain"
    undated = fake_cf_client.post(path, json={"enabled": True, "previews_enabled": False}).json()["result"]
    dated = fake_cf_client.post(path, json={"enabled": True, "previews_enabled": False}, headers=DATED).json()["result"]
    assert undated == {"enabled": True, "previews_enabled": True}
    assert dated == {"enabled": True, "previews_enabled": False}


def test_every_route_of_a_script_in_one_answer(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """#14: the services routes path lists the script's routes in every zone, with zone_name on request."""
    a, b = fake_cf.add_zone("example.com"), fake_cf.add_zone("example.net")
    fake_cf.add_script("app")
    fake_cf.add_route(a, "example.com/*", "app")
    fake_cf.add_route(b, "example.net/api/*", "app")
    fake_cf.add_route(b, "example.net/*", "other")
    path = f"/accounts/{fake_cf.account_id}/workers/services/app/environments/production/routes"
    listed = fake_cf_client.get(path, params={"show_zonename": "true"}).json()["result"]
    assert sorted((r["pattern"], r["zone_name"]) for r in listed) == [("example.com/*", "example.com"),
                                                                      ("example.net/api/*", "example.net")]
    assert all("zone_name" not in r for r in fake_cf_client.get(path).json()["result"])
    assert errors(fake_cf_client.get(path.replace("/app/", "/nope/"))) == [10007]
    assert fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/scripts/app/routes").status_code == 405


def _entry():  # type: ignore[no-untyped-def]
    from tests.fakes.state_kv import KVEntry

    return KVEntry(b"v")
