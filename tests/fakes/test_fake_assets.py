"""The fake's Workers static assets: upload sessions, bucket uploads, completion tokens (state_assets)."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import httpx
import pytest

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.test_fake_cloudflare import errors, upload

UPLOAD = "POST /accounts/{account_id}/workers/assets/upload"


@pytest.fixture(autouse=True)
def small_buckets(fake_cf: FakeCloudflare) -> None:
    """Ten files per bucket, so these tests meet sessions of several buckets with few files."""
    fake_cf.state.config.asset_bucket_max_files = 10


def digest(data: bytes, ext: str = "txt") -> str:
    """The service's key of a file: blake3(base64(content) + extension)[:32] (the fake checks it)."""
    import blake3

    return blake3.blake3(base64.b64encode(data) + ext.encode()).hexdigest()[:32]


def manifest_of(files: dict[str, bytes]) -> dict[str, dict[str, Any]]:
    """path -> {hash, size} for path -> bytes."""
    return {p: {"hash": digest(d, p.rpartition(".")[2]), "size": len(d)} for p, d in files.items()}


def open_session(client: httpx.Client, fake: FakeCloudflare, script: str, manifest: Any) -> httpx.Response:
    """POST .../assets-upload-session with the API token."""
    return client.post(f"/accounts/{fake.account_id}/workers/scripts/{script}/assets-upload-session",
                       json={"manifest": manifest})


def send_bucket(fake: FakeCloudflare, bearer: str, files: dict[str, bytes], *, query: str = "base64=true",
                content_type: str = "text/plain; charset=utf-8") -> httpx.Response:
    """POST one bucket the way wrangler does: part name = filename = hash, content = base64 text."""
    parts = [(h, (h, base64.b64encode(data), content_type)) for h, data in files.items()]
    return httpx.post(f"{fake.base_url}/accounts/{fake.account_id}/workers/assets/upload?{query}",
                      headers={"Authorization": f"Bearer {bearer}"}, files=parts, timeout=10)


def jwt_payload(jwt: str) -> dict[str, Any]:
    """Decode a JWT payload the way wrangler does (no signature check; deploy-helpers jwt.ts)."""
    assert jwt.count(".") == 2
    body = jwt.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


def upload_all(fake: FakeCloudflare, session: dict[str, Any], by_hash: dict[str, bytes]) -> list[httpx.Response]:
    """Send every bucket of a session in order."""
    return [send_bucket(fake, session["jwt"], {h: by_hash[h] for h in bucket}) for bucket in session["buckets"]]


def deploy_assets(client: httpx.Client, fake: FakeCloudflare, script: str, files: dict[str, bytes]) -> str:
    """Run a whole session for `files`; returns the completion token."""
    manifest = manifest_of(files)
    by_hash = {manifest[p]["hash"]: d for p, d in files.items()}
    session = open_session(client, fake, script, manifest).json()["result"]
    if not session["buckets"]:
        return str(session["jwt"])
    return str(upload_all(fake, session, by_hash)[-1].json()["result"]["jwt"])


SITE = {f"/page-{i:02}.html": f"<p>page {i}</p>".encode() for i in range(12)}


def test_session_buckets_only_missing_hashes(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Known hashes are not asked for; a hash at two paths is asked once; buckets hold at most 10 files;
    the script need not exist; the jwt looks like a JWT with exp and no single-upload claim."""
    files = dict(SITE, **{"/copy.html": SITE["/page-00.html"], "/old.css": b"body{}"})
    manifest = manifest_of(files)
    fake_cf.add_asset(manifest["/old.css"]["hash"], b"body{}")
    r = open_session(fake_cf_client, fake_cf, "site", manifest)
    assert r.status_code == 201, r.text
    result = r.json()["result"]
    wanted = [manifest[f"/page-{i:02}.html"]["hash"] for i in range(12)]
    assert [h for b in result["buckets"] for h in b] == wanted
    assert [len(b) for b in result["buckets"]] == [10, 2]
    payload = jwt_payload(result["jwt"])
    assert isinstance(payload["exp"], int) and "wrangler_single_asset_uploads" not in payload
    assert "site" not in fake_cf.scripts
    [session] = fake_cf.asset_sessions
    assert session.manifest == manifest and session.missing == set(wanted)


def test_upload_flow_202_then_201_and_store_persists(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Partial buckets answer 202 {}; the last 201 {jwt}; a later session asks for nothing and its jwt is
    the completion token; the version keeps the manifest and config."""
    manifest = manifest_of(SITE)
    by_hash = {manifest[p]["hash"]: d for p, d in SITE.items()}
    session = open_session(fake_cf_client, fake_cf, "site", manifest).json()["result"]
    first, last = upload_all(fake_cf, session, by_hash)
    assert (first.status_code, first.json()["result"]) == (202, {})
    assert last.status_code == 201, last.text
    completion = last.json()["result"]["jwt"]
    assert completion != session["jwt"] and "exp" in jwt_payload(completion)
    assert fake_cf.asset_store == by_hash
    assert fake_cf.asset_content_types[next(iter(by_hash))] == "text/plain; charset=utf-8"
    assert fake_cf.asset_uploads == [(session["jwt"], session["buckets"][0]), (session["jwt"], session["buckets"][1])]
    assert UPLOAD in fake_cf.unvalidated_paths  # outside the OpenAPI subset: not schema-checked

    again = open_session(fake_cf_client, fake_cf, "site", manifest)
    assert again.json()["result"]["buckets"] == []
    config = {"html_handling": "drop-trailing-slash", "not_found_handling": "404-page", "run_worker_first": ["/api/*"],
              "_headers": "/*\n  X-Frame-Options: DENY\n"}
    r = upload(fake_cf_client, fake_cf, "site", {"main_module": "index.js", "assets": {
        "jwt": again.json()["result"]["jwt"], "config": config}, "bindings": [{"type": "assets", "name": "ASSETS"}]})
    assert r.status_code == 200, r.text
    assert r.json()["result"]["has_assets"] is True
    live = fake_cf.script_assets("site")
    assert live is not None and live.manifest == manifest and live.config == config
    # the first session's completion token is still unused: a version upload may redeem it
    r = fake_cf_client.post(f"/accounts/{fake_cf.account_id}/workers/scripts/site/versions", files=[
        ("metadata", (None, json.dumps({"main_module": "index.js", "assets": {"jwt": completion}}).encode(),
                      "application/json")),
        ("index.js", ("index.js", b"export default {}", "application/javascript+module"))])
    assert r.status_code == 200, r.text
    assert fake_cf.script("site").versions[-1].assets.manifest == manifest  # type: ignore[union-attr]


def test_api_token_and_other_credentials_refused_on_upload(fake_cf: FakeCloudflare,
                                                           fake_cf_client: httpx.Client) -> None:
    """The upload endpoint takes only a live session jwt as bearer: the API token gets 401."""
    manifest = manifest_of({"/a.txt": b"a"})
    session = open_session(fake_cf_client, fake_cf, "site", manifest).json()["result"]
    h = manifest["/a.txt"]["hash"]
    for bearer in (fake_cf.token, "not.a.jwt"):
        r = send_bucket(fake_cf, bearer, {h: b"a"})
        assert (r.status_code, errors(r)) == (401, [10000]), r.text
        assert r.json()["success"] is False and r.json()["result"] is None
    r = httpx.post(f"{fake_cf.base_url}/accounts/{fake_cf.account_id}/workers/assets/upload?base64=true",
                   headers={"X-Auth-Key": fake_cf.global_key, "X-Auth-Email": fake_cf.email},
                   files=[(h, (h, b"YQ==", "text/plain"))])
    assert r.status_code == 401
    assert fake_cf.asset_store == {}
    assert send_bucket(fake_cf, session["jwt"], {h: b"a"}).status_code == 201


@pytest.mark.parametrize("case", ["not_requested", "unknown", "size", "not_base64", "base64_false", "filename"])
def test_wrong_files_refused(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client, case: str) -> None:
    """Hashes the session did not ask for, wrong sizes, non-base64 content and base64!=true are 400;
    a refused request stores nothing."""
    files = {"/a.txt": b"aaa", "/b.txt": b"bbb"}
    manifest = manifest_of(files)
    ha, hb = manifest["/a.txt"]["hash"], manifest["/b.txt"]["hash"]
    fake_cf.add_asset(hb, b"bbb")
    jwt = open_session(fake_cf_client, fake_cf, "site", manifest).json()["result"]["jwt"]
    url = f"{fake_cf.base_url}/accounts/{fake_cf.account_id}/workers/assets/upload?base64=true"
    auth = {"Authorization": f"Bearer {jwt}"}
    if case == "not_requested":
        r = send_bucket(fake_cf, jwt, {ha: b"aaa", hb: b"bbb"})
    elif case == "unknown":
        r = send_bucket(fake_cf, jwt, {ha: b"aaa", "f" * 32: b"x"})
    elif case == "size":
        r = send_bucket(fake_cf, jwt, {ha: b"aaaa"})
    elif case == "not_base64":
        r = httpx.post(url, headers=auth, files=[(ha, (ha, b"aaa", "text/plain"))])
    elif case == "base64_false":
        r = send_bucket(fake_cf, jwt, {ha: b"aaa"}, query="base64=false")
    else:
        r = httpx.post(url, headers=auth, files=[(ha, ("a.txt", b"YWFh", "text/plain"))])
    assert (r.status_code, errors(r)) == (400, [10001]), r.text
    assert set(fake_cf.asset_store) == {hb} and fake_cf.asset_uploads == []


@pytest.mark.parametrize("manifest", [
    ["/a.txt"],
    {"a.txt": {"hash": "0" * 32, "size": 1}},
    {"/a.txt": {"hash": "0" * 31, "size": 1}},
    {"/a.txt": {"hash": "A" * 32, "size": 1}},
    {"/a.txt": {"hash": "0" * 32, "size": -1}},
    {"/a.txt": {"hash": "0" * 32, "size": True}},
    {"/a.txt": {"hash": "0" * 32, "size": 1.5}},
    {"/a.txt": {"hash": "0" * 32, "size": 25 * 1024 * 1024 + 1}},
    {"/a.txt": {"hash": "0" * 32}},
    {"/a.txt": {"hash": "0" * 32, "size": 1}, "/b.txt": {"hash": "0" * 32, "size": 2}},
])
def test_bad_manifests_refused(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client, manifest: Any) -> None:
    """Manifest shape, key, hash and size rules (25 MiB max per file)."""
    r = open_session(fake_cf_client, fake_cf, "site", manifest)
    assert (r.status_code, errors(r)) == (400, [10001]), r.text
    assert fake_cf.asset_sessions == []


def test_exactly_25_mib_and_empty_files_are_fine(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """size == 25 MiB passes (wrangler refuses only `size > MAX`); a 0-byte file uploads as empty base64."""
    empty = digest(b"", "txt")
    r = open_session(fake_cf_client, fake_cf, "site", {"/big.bin": {"hash": "1" * 32, "size": 25 * 1024 * 1024},
                                                      "/empty.txt": {"hash": empty, "size": 0}})
    assert r.status_code == 201, r.text
    assert send_bucket(fake_cf, r.json()["result"]["jwt"], {empty: b""}).status_code == 202
    assert fake_cf.asset_store == {empty: b""}


def test_assets_only_upload(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """An upload with only the metadata part is accepted when metadata.assets is present (PUT and versions);
    without assets, or with module parts but no main_module, it is refused."""
    jwt = deploy_assets(fake_cf_client, fake_cf, "static", {"/index.html": b"<h1>hi</h1>"})
    files = [("metadata", (None, json.dumps({"assets": {"jwt": jwt, "config": {}},
                                             "compatibility_date": "2025-06-01"}).encode(), "application/json"))]
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/static"
    r = fake_cf_client.put(base, files=files)
    assert r.status_code == 200, r.text
    assert r.json()["result"]["has_modules"] is False and r.json()["result"]["has_assets"] is True
    assert fake_cf.script("static").current.modules == {}
    assert list(fake_cf.script_assets("static").manifest) == ["/index.html"]  # type: ignore[union-attr]

    jwt2 = open_session(fake_cf_client, fake_cf, "static", manifest_of({"/index.html": b"<h1>hi</h1>"})
                        ).json()["result"]["jwt"]
    meta = json.dumps({"assets": {"jwt": jwt2}}).encode()
    r = fake_cf_client.post(f"{base}/versions", files=[("metadata", (None, meta, "application/json"))])
    assert r.status_code == 200, r.text

    r = fake_cf_client.put(base, files=[("metadata", (None, b'{"compatibility_date": "2025-06-01"}',
                                                      "application/json"))])
    assert (r.status_code, errors(r)) == (400, [10021])
    jwt3 = open_session(fake_cf_client, fake_cf, "static", {}).json()["result"]["jwt"]
    r = upload(fake_cf_client, fake_cf, "static", {"assets": {"jwt": jwt3}})  # module part, no main_module
    assert (r.status_code, errors(r)) == (400, [10021])


@pytest.mark.parametrize("case", ["garbage", "session_unfinished", "used_twice", "other_script", "binding_only",
                                  "expired", "bad_config"])
def test_script_upload_with_bad_assets_refused(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client,
                                               case: str) -> None:
    """metadata.assets.jwt must be an unused, live completion token for this Worker; an assets binding
    needs assets; config keys are checked."""
    files = {"/a.txt": b"a", "/b.txt": b"b"}
    meta: dict[str, Any] = {"main_module": "index.js"}
    if case == "garbage":
        meta["assets"] = {"jwt": "eyJhbGciOiJIUzI1NiJ9.e30.c2ln", "config": {}}
    elif case == "session_unfinished":
        meta["assets"] = {"jwt": open_session(fake_cf_client, fake_cf, "app", manifest_of(files)).json()["result"]["jwt"]}
    elif case == "used_twice":
        jwt = deploy_assets(fake_cf_client, fake_cf, "app", files)
        assert upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "assets": {"jwt": jwt}}).status_code == 200
        meta["assets"] = {"jwt": jwt}
    elif case == "other_script":
        meta["assets"] = {"jwt": deploy_assets(fake_cf_client, fake_cf, "other", files)}
    elif case == "binding_only":
        meta["bindings"] = [{"type": "assets", "name": "ASSETS"}]
    elif case == "expired":
        meta["assets"] = {"jwt": deploy_assets(fake_cf_client, fake_cf, "app", files)}
        assert fake_cf.expire_asset_sessions(completion_tokens=True) >= 1
    else:
        meta["assets"] = {"jwt": deploy_assets(fake_cf_client, fake_cf, "app", files),
                          "config": {"html_handling": "sometimes"}}
    versions_before = len(fake_cf.scripts["app"].versions) if "app" in fake_cf.scripts else 0
    r = upload(fake_cf_client, fake_cf, "app", meta)
    assert (r.status_code, errors(r)) == (400, [10021]), r.text
    assert (len(fake_cf.scripts["app"].versions) if "app" in fake_cf.scripts else 0) == versions_before


def test_refused_upload_does_not_spend_the_token(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A script upload refused for another reason leaves its completion token usable (a retry passes)."""
    jwt = deploy_assets(fake_cf_client, fake_cf, "app", {"/a.txt": b"a"})
    bad = upload(fake_cf_client, fake_cf, "app", {"main_module": "missing.js", "assets": {"jwt": jwt}})
    assert bad.status_code == 400
    assert upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "assets": {"jwt": jwt}}).status_code == 200


def test_expired_session_and_retries(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A resent bucket is accepted (wrangler retries), the last one again yields the completion jwt;
    an expired session gets 401 "Expired JWT"."""
    manifest = manifest_of(SITE)
    by_hash = {manifest[p]["hash"]: d for p, d in SITE.items()}
    session = open_session(fake_cf_client, fake_cf, "site", manifest).json()["result"]
    first, last = session["buckets"]
    assert send_bucket(fake_cf, session["jwt"], {h: by_hash[h] for h in first}).status_code == 202
    assert send_bucket(fake_cf, session["jwt"], {h: by_hash[h] for h in first}).status_code == 202
    done = send_bucket(fake_cf, session["jwt"], {h: by_hash[h] for h in last})
    again = send_bucket(fake_cf, session["jwt"], {h: by_hash[h] for h in last})
    assert (again.status_code, again.json()["result"]) == (201, done.json()["result"])

    other = open_session(fake_cf_client, fake_cf, "site", manifest_of({"/new.txt": b"new"})).json()["result"]
    assert fake_cf.expire_asset_sessions() == 2
    r = send_bucket(fake_cf, other["jwt"], {other["buckets"][0][0]: b"new"})
    assert (r.status_code, errors(r), r.json()["errors"][0]["message"]) == (401, [10000], "Expired JWT")


def test_keep_assets_and_secret_redeploys_keep_them(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """keep_assets reuses the live version's assets; a secret change keeps them; a plain upload drops them."""
    jwt = deploy_assets(fake_cf_client, fake_cf, "app", {"/a.txt": b"a"})
    upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "assets": {"jwt": jwt, "config": {
        "not_found_handling": "single-page-application"}}})
    kept = fake_cf.script_assets("app")
    r = upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "keep_assets": True})
    assert r.status_code == 200, r.text
    assert fake_cf.script_assets("app") == kept
    base = f"/accounts/{fake_cf.account_id}/workers/scripts/app"
    assert fake_cf_client.put(f"{base}/secrets", json={"name": "K", "text": "v", "type": "secret_text"}).status_code == 200
    assert fake_cf.script_assets("app") == kept
    assert upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js"}).status_code == 200
    assert fake_cf.script_assets("app") is None
    r = upload(fake_cf_client, fake_cf, "app", {"main_module": "index.js", "keep_assets": True})
    assert (r.status_code, errors(r)) == (400, [10021])


def test_a_file_whose_hash_is_not_the_services_is_refused(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A client hashing differently (here md5) must not store files under the wrong key."""
    wrong = hashlib.md5(b"aGVsbG8=html").hexdigest()
    session = open_session(fake_cf_client, fake_cf, "site", {"/index.html": {"hash": wrong, "size": 5}}).json()["result"]
    r = send_bucket(fake_cf, session["jwt"], {wrong: b"hello"})
    assert r.status_code == 400 and wrong not in fake_cf.asset_store
