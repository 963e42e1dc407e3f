"""The fake Cloudflare API behaves like the real one: envelopes, auth, validation, products."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.wire import Fail
# Fixtures imported directly until tests/conftest.py loads tests.fakes.plugin (then this line is redundant).

A = "/accounts/{a}"


def errors(resp: httpx.Response) -> list[int]:
    """The error codes of an envelope."""
    return [e["code"] for e in resp.json()["errors"]]


def upload(client: httpx.Client, fake: FakeCloudflare, name: str, metadata: dict[str, Any],
           modules: dict[str, tuple[bytes, str]] | None = None) -> httpx.Response:
    """PUT a Worker the way wrangler builds the form (part name == filename == module name)."""
    modules = modules if modules is not None else {"index.js": (b"export default {}\n", "application/javascript+module")}
    files: list[Any] = [("metadata", (None, json.dumps(metadata).encode(), "application/json"))]
    files += [(n, (n, data, ctype)) for n, (data, ctype) in modules.items()]
    return client.put(f"/accounts/{fake.account_id}/workers/scripts/{name}", files=files)


# -- envelope and auth --------------------------------------------------------------------------

def test_envelope_success_and_error_shapes(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Success and failure both use {success, errors, messages, result}; lists add result_info."""
    ok = fake_cf_client.get("/zones")
    assert ok.status_code == 200 and ok.headers["cf-ray"]
    assert set(ok.json()) == {"success", "errors", "messages", "result", "result_info"}
    assert ok.json()["success"] is True and ok.json()["result"] == []
    bad = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/scripts/nope/settings")
    assert bad.status_code == 404
    assert bad.json() == {"success": False, "errors": [{"code": 10007, "message": "workers.api.error.script_not_found"}],
                          "messages": [], "result": None}


def test_token_verify_and_global_key(fake_cf: FakeCloudflare) -> None:
    """A valid token verifies as active; the global key + email authenticate too."""
    r = httpx.get(f"{fake_cf.base_url}/user/tokens/verify", headers={"Authorization": f"Bearer {fake_cf.token}"})
    assert r.json()["result"]["status"] == "active"
    assert r.json()["messages"][0]["message"] == "This API Token is valid and active"
    r = httpx.get(f"{fake_cf.base_url}/user", headers={"X-Auth-Key": fake_cf.global_key, "X-Auth-Email": fake_cf.email})
    assert r.status_code == 200 and r.json()["result"]["email"] == fake_cf.email


@pytest.mark.parametrize(("path", "headers", "status", "code"), [
    ("/user/tokens/verify", {"Authorization": "Bearer not-a-real-token"}, 401, 1000),
    ("/zones", {"Authorization": "Bearer not-a-real-token"}, 401, 9109),
    ("/zones", {}, 400, 9106),
    ("/zones", {"Authorization": "Bearer two words"}, 400, 6003),
    ("/zones", {"X-Auth-Key": "0" * 37, "X-Auth-Email": "someone@example.com"}, 403, 9103),
    ("/zones", {"X-Auth-Key": "short", "X-Auth-Email": "no-at-sign"}, 400, 6003),
])
def test_bad_credentials_are_rejected(fake_cf: FakeCloudflare, path: str, headers: dict[str, str], status: int,
                                      code: int) -> None:
    """Unknown, missing or malformed credentials get the real API's status and code."""
    r = httpx.get(f"{fake_cf.base_url}{path}", headers=headers)
    assert (r.status_code, errors(r)[0]) == (status, code), r.text


def test_missing_permission_is_authentication_error(fake_cf: FakeCloudflare) -> None:
    """A valid token without the needed scope gets 403 with code 10000."""
    token = fake_cf.add_token(["workers_kv:read"])
    with httpx.Client(base_url=fake_cf.base_url or "", headers={"Authorization": f"Bearer {token}"}) as c:
        path = f"/accounts/{fake_cf.account_id}/storage/kv/namespaces"
        assert c.get(path).status_code == 200
        r = c.post(path, json={"title": "x"})
    assert r.status_code == 403 and r.json()["errors"] == [{"code": 10000, "message": "Authentication error"}]
    assert fake_cf.kv == {}


def test_zone_scoped_token_cannot_replace_script_routes(fake_cf: FakeCloudflare) -> None:
    """The account-level routes PUT needs an all-zones token (wrangler's 10000 fallback trigger)."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    token = fake_cf.add_token(zones=[zone])
    with httpx.Client(base_url=fake_cf.base_url or "", headers={"Authorization": f"Bearer {token}"}) as c:
        r = c.put(f"/accounts/{fake_cf.account_id}/workers/scripts/app/routes", json=[{"pattern": "example.com/*"}])
        assert (r.status_code, errors(r)) == (403, [10000])
        r = c.post(f"/zones/{zone}/workers/routes", json={"pattern": "example.com/*", "script": "app"})
        assert r.status_code == 200


def test_credentials_are_redacted_in_the_request_log(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Recorded requests never keep the token or global key."""
    fake_cf_client.get("/zones")
    httpx.get(f"{fake_cf.base_url}/zones", headers={"X-Auth-Key": fake_cf.global_key, "X-Auth-Email": fake_cf.email})
    assert [r.headers.get("authorization") for r in fake_cf.requests] == ["REDACTED", None]
    assert fake_cf.requests[1].headers["x-auth-key"] == "REDACTED"
    assert fake_cf.token not in repr(fake_cf.requests)
    assert fake_cf.count("GET", "/zones") == 2 and fake_cf.writes() == []


# -- routing and validation ----------------------------------------------------------------------

def test_fake_rejects_a_request_body_that_violates_the_schema(fake_cf: FakeCloudflare,
                                                               fake_cf_client: httpx.Client) -> None:
    """A body the OpenAPI document rejects gets 400/10001 naming the error, is not applied, and is recorded."""
    fake_cf.expect_schema_violations()
    r = fake_cf_client.post(f"/accounts/{fake_cf.account_id}/storage/kv/namespaces", json={"name": "oops"})
    assert r.status_code == 400 and errors(r) == [10001]
    assert "'title' is a required property" in r.json()["errors"][0]["message"]
    assert fake_cf.kv == {}
    [violation] = fake_cf.schema_violations
    assert violation.operation_id == "workers-kv-namespace-create-a-namespace"


def test_query_parameters_are_validated_against_the_schema(fake_cf: FakeCloudflare,
                                                           fake_cf_client: httpx.Client) -> None:
    """Out-of-range page sizes and bad path parameters are schema violations too."""
    fake_cf.expect_schema_violations()
    r = fake_cf_client.get("/zones", params={"per_page": 500})
    assert errors(r) == [10001] and "per_page" in r.json()["errors"][0]["message"]
    r = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/scripts/Bad_Name/settings")
    assert errors(r) == [10001] and "script_name" in r.json()["errors"][0]["message"]
    assert len(fake_cf.schema_violations) == 2


def test_unknown_paths_and_ids(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Unknown URIs are 404/7000, wrong methods 405/7001, unknown account or zone ids 7003."""
    r = fake_cf_client.get("/no/such/thing")
    assert (r.status_code, errors(r)) == (404, [7000])
    assert [u.path for u in fake_cf.unknown_requests] == ["/no/such/thing"]
    assert errors(fake_cf_client.post("/user")) == [7001]
    r = fake_cf_client.get("/accounts/someone@example.com/workers/scripts")
    assert errors(r) == [7003] and "perhaps your object identifier is invalid" in r.json()["errors"][0]["message"]
    assert errors(fake_cf_client.get(f"/zones/{'0' * 32}/dns_records")) == [7003]


def test_paths_missing_from_the_schema_are_served_and_noted(fake_cf: FakeCloudflare,
                                                            fake_cf_client: httpx.Client) -> None:
    """Endpoints the fake implements beyond the OpenAPI subset work and are listed as unvalidated."""
    fake_cf.add_script("app")
    r = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/services/app")
    assert r.json()["result"]["default_environment"]["environment"] == "production"
    assert "GET /accounts/{account_id}/workers/services/{script_name}" in fake_cf.unvalidated_paths


# -- accounts, zones, pagination -----------------------------------------------------------------

def test_kv_namespaces_page_through_three_pages(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """page/per_page slice the list and result_info counts pages and items."""
    for i in range(12):
        fake_cf.add_kv_namespace(f"ns-{i:02d}")
    seen, infos = [], []
    for page in (1, 2, 3, 4):
        body = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/storage/kv/namespaces",
                                  params={"page": page, "per_page": 5, "order": "title"}).json()
        seen += [n["title"] for n in body["result"]]
        infos.append(body["result_info"])
    assert seen == [f"ns-{i:02d}" for i in range(12)]
    assert [i["count"] for i in infos] == [5, 5, 2, 0]
    assert infos[0] == {"page": 1, "per_page": 5, "count": 5, "total_count": 12, "total_pages": 3}


def test_zones_filter_by_name_and_account(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """GET /zones honours name, account.id and page pagination; accounts and memberships list the account."""
    other = fake_cf.add_account("other")
    fake_cf.add_zone("example.com")
    fake_cf.add_zone("example.com", account_id=other)
    for i in range(11):
        fake_cf.add_zone(f"z{i:02d}.dev")
    r = fake_cf_client.get("/zones", params={"name": "example.com", "account.id": fake_cf.account_id}).json()
    assert [(z["name"], z["account"]["id"]) for z in r["result"]] == [("example.com", fake_cf.account_id)]
    r = fake_cf_client.get("/zones", params={"per_page": 5, "page": 3}).json()
    assert r["result_info"]["total_count"] == 13 and r["result_info"]["total_pages"] == 3 and len(r["result"]) == 3
    assert {a["id"] for a in fake_cf_client.get("/accounts").json()["result"]} == {fake_cf.account_id, other}
    assert len(fake_cf_client.get("/memberships").json()["result"]) == 2


# -- KV ------------------------------------------------------------------------------------------

def test_kv_duplicate_title_is_10014(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Creating a namespace whose title exists fails with code 10014."""
    path = f"/accounts/{fake_cf.account_id}/storage/kv/namespaces"
    assert fake_cf_client.post(path, json={"title": "cache"}).status_code == 200
    r = fake_cf_client.post(path, json={"title": "cache"})
    assert (r.status_code, errors(r)) == (400, [10014])
    assert len(fake_cf.kv) == 1


def test_kv_values_round_trip_and_keys_use_cursors(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Values keep their bytes; key listing follows result_info.cursor; bulk writes land."""
    ns = fake_cf.add_kv_namespace("data")
    base = f"/accounts/{fake_cf.account_id}/storage/kv/namespaces/{ns}"
    files = [("value", (None, b"\x00\xffbin", "application/octet-stream")),
             ("metadata", (None, b'{"v": 1}', "application/json"))]
    assert fake_cf_client.put(f"{base}/values/a%2Fb", files=files).status_code == 200
    r = fake_cf_client.get(f"{base}/values/a%2Fb")
    assert r.content == b"\x00\xffbin"
    assert errors(fake_cf_client.get(f"{base}/values/missing")) == [10009]
    fake_cf_client.put(f"{base}/bulk", json=[{"key": f"k{i:02d}", "value": str(i)} for i in range(25)])
    names, cursor = [], None
    while True:
        params = {"limit": 10, **({"cursor": cursor} if cursor else {})}
        body = fake_cf_client.get(f"{base}/keys", params=params).json()
        names += [k["name"] for k in body["result"]]
        cursor = body["result_info"]["cursor"]
        if not cursor:
            break
    assert names == ["a/b"] + [f"k{i:02d}" for i in range(25)]
    assert fake_cf.kv[ns].entries["a/b"].metadata == {"v": 1}


# -- routes, DNS, purge --------------------------------------------------------------------------

def test_duplicate_route_pattern_is_409_10020(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A zone refuses a second route with the same pattern."""
    zone = fake_cf.add_zone("example.com")
    fake_cf.add_script("app")
    body = {"pattern": "example.com/*", "script": "app"}
    assert fake_cf_client.post(f"/zones/{zone}/workers/routes", json=body).status_code == 200
    r = fake_cf_client.post(f"/zones/{zone}/workers/routes", json=body)
    assert (r.status_code, errors(r)) == (409, [10020])
    assert [(x.pattern, x.script) for x in fake_cf.routes(zone)] == [("example.com/*", "app")]


def test_dns_conflicts(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Identical record 81058, CNAME beside other records 81053, record beside a CNAME 81054."""
    zone = fake_cf.add_zone("example.com")
    url = f"/zones/{zone}/dns_records"
    assert fake_cf_client.post(url, json={"type": "A", "name": "www", "content": "192.0.2.1"}).status_code == 200
    assert errors(fake_cf_client.post(url, json={"type": "A", "name": "www.example.com", "content": "192.0.2.1"})) == [81058]
    assert errors(fake_cf_client.post(url, json={"type": "CNAME", "name": "www", "content": "x.example.net"})) == [81053]
    fake_cf_client.post(url, json={"type": "CNAME", "name": "api", "content": "x.example.net"})
    assert errors(fake_cf_client.post(url, json={"type": "A", "name": "api", "content": "192.0.2.2"})) == [81054]
    fake_cf.errors["dns_identical_record"] = fake_cf.errors["dns_identical_record"].__class__(400, 81057, "old code")
    assert errors(fake_cf_client.post(url, json={"type": "A", "name": "www", "content": "192.0.2.1"})) == [81057]
    listed = fake_cf_client.get(url, params={"type": "A", "name": "www.example.com"}).json()
    assert [r["content"] for r in listed["result"]] == ["192.0.2.1"]


def test_dns_batch_is_all_or_nothing(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A failing post rolls back the batch's deletes; a good batch applies deletes before posts."""
    zone = fake_cf.add_zone("example.com")
    old = fake_cf.add_dns_record(zone, "A", "www", "192.0.2.1")
    fake_cf.add_dns_record(zone, "TXT", "txt", "hello")
    bad = {"deletes": [{"id": old}], "posts": [{"type": "TXT", "name": "txt", "content": "hello"}]}
    r = fake_cf_client.post(f"/zones/{zone}/dns_records/batch", json=bad)
    assert errors(r) == [81058] and r.json()["errors"][0]["meta"] == {"operation": "posts[0]"}
    assert {x["id"] for x in fake_cf.dns_records(zone)} >= {old}
    good = {"deletes": [{"id": old}], "posts": [{"type": "CNAME", "name": "www", "content": "edge.example.net"}]}
    r = fake_cf_client.post(f"/zones/{zone}/dns_records/batch", json=good)
    assert r.status_code == 200 and [x["id"] for x in r.json()["result"]["deletes"]] == [old]
    assert sorted((x["type"], x["name"]) for x in fake_cf.dns_records(zone)) == [
        ("CNAME", "www.example.com"), ("TXT", "txt.example.com")]


def test_purge_limits(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """At most 100 items (500 on enterprise), exactly one kind per request; accepted purges are recorded."""
    zone = fake_cf.add_zone("example.com")
    ent = fake_cf.add_zone("big.example", plan="enterprise")
    urls = [f"https://example.com/{i}" for i in range(101)]
    assert fake_cf_client.post(f"/zones/{zone}/purge_cache", json={"files": urls[:100]}).status_code == 200
    r = fake_cf_client.post(f"/zones/{zone}/purge_cache", json={"files": urls})
    assert r.status_code == 400 and "limit 100" in r.json()["errors"][0]["message"]
    assert fake_cf_client.post(f"/zones/{ent}/purge_cache", json={"files": urls}).status_code == 200
    r = fake_cf_client.post(f"/zones/{zone}/purge_cache", json={"files": urls[:1], "tags": ["a"]})
    assert r.status_code == 400
    assert [(p.kind, len(p.items)) for p in fake_cf.purges] == [("files", 100), ("files", 101)]


def test_purge_token_bucket(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """With the emulation on, tag purges beyond the free bucket get 429 and Retry-After."""
    fake_cf.state.config.purge_rate_limit = True
    zone = fake_cf.add_zone("example.com")
    statuses = [fake_cf_client.post(f"/zones/{zone}/purge_cache", json={"tags": ["t"]}).status_code for _ in range(26)]
    assert statuses[:25] == [200] * 25 and statuses[25] == 429
    r = fake_cf_client.post(f"/zones/{zone}/purge_cache", json={"tags": ["t"]})
    assert int(r.headers["Retry-After"]) >= 1


def test_dns_record_attributes_follow_the_zone_plan(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Free zones: no tags (1004 > 9300), comments up to 100 (9313); paid zones: 20 tags, 500 characters."""
    free, pro = fake_cf.add_zone("free.example"), fake_cf.add_zone("pro.example", plan="pro")

    def chain(zone: str, **fields: Any) -> list[int]:
        r = fake_cf_client.post(f"/zones/{zone}/dns_records", json={"type": "A", "name": "x", "content": "192.0.2.1",
                                                                     **fields})
        return [c["code"] for e in r.json()["errors"] for c in e.get("error_chain", [])]
    assert chain(free, tags=["a:b"]) == [9300]
    assert chain(free, comment="c" * 101) == [9313]
    assert chain(pro, tags=[f"t{i}:v" for i in range(21)]) == [9300]
    assert chain(pro, comment="c" * 500, tags=["a:b"]) == []


def test_dns_list_filters_and_updates(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """comment/tag/content filters with match=any|all, PATCH merges, PUT replaces, DELETE removes."""
    zone = fake_cf.add_zone("example.com", plan="pro")  # record tags need a paid plan
    url = f"/zones/{zone}/dns_records"
    a = fake_cf.add_dns_record(zone, "A", "a", "192.0.2.1", comment="managed by cfworker", tags=["owner:cfworker"])
    b = fake_cf.add_dns_record(zone, "TXT", "b", "v=spf1 -all")

    def names(**params: Any) -> list[str]:
        return sorted(r["name"] for r in fake_cf_client.get(url, params=params).json()["result"])
    assert names(**{"comment.contains": "cfworker"}) == ["a.example.com"]
    assert names(tag="owner:cfworker") == ["a.example.com"]
    assert names(**{"tag.present": "owner"}) == ["a.example.com"]
    assert names(type="TXT", **{"content.startswith": "v=spf1"}) == ["b.example.com"]
    assert names(type="TXT", name="a.example.com", match="any") == ["a.example.com", "b.example.com"]
    assert names(type="TXT", name="a.example.com") == []
    r = fake_cf_client.patch(f"{url}/{a}", json={"content": "192.0.2.9"}).json()["result"]
    assert (r["content"], r["comment"]) == ("192.0.2.9", "managed by cfworker")
    body = {"type": "A", "name": "a", "content": "192.0.2.10", "ttl": 300}
    r = fake_cf_client.put(f"{url}/{a}", json=body).json()["result"]
    assert (r["content"], r["ttl"], r["comment"]) == ("192.0.2.10", 300, None)
    assert fake_cf_client.delete(f"{url}/{b}").json()["result"] == {"id": b}
    assert errors(fake_cf_client.get(f"{url}/{b}")) == [81044]
    fake_cf.expect_schema_violations()  # the schema's ipv4 format already rejects this one
    assert errors(fake_cf_client.post(url, json={"type": "A", "name": "bad", "content": "not-an-ip"})) == [10001]
    with pytest.raises(Fail) as exc:  # the fake's own check, for requests the schema lets through
        fake_cf.add_dns_record(zone, "AAAA", "bad", "192.0.2.1")
    assert exc.value.chain == [{"code": 9005, "message": "Content for AAAA record must be a valid IPv6 address."}]
