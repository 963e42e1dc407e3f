"""R2 buckets and D1 databases: create, list, get, delete (research notes 14-15 A4).

R2: buckets live per jurisdiction, chosen by the `cf-r2-jurisdiction` request header (wrangler's
r2 helpers send it on every bucket call: workers-sdk wrangler/src/r2/helpers/bucket.ts); the same
name may exist once per jurisdiction. The list pages by cursor ("R2 buckets are paginated using
cursors instead of page numbers", Cloudflare API reference for List Buckets). Objects are not
modelled. D1: databases of an account by uuid; `GET .../d1/database/{id}` takes a uuid or a name
(`getDatabaseInfoFromIdOrName`, wrangler/src/d1/utils.ts). Error codes: codes.py, `r2_*`, `d1_*`.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import State
from tests.fakes.wire import Fail, Reply, _int_param, new_uuid, now_iso, paginate

# -- R2 -------------------------------------------------------------------------------------------

# 3-63 lowercase letters, digits and '-', starting and ending with a letter or digit: workers-sdk
# workers-utils config/validation.ts isValidR2BucketName (regex) and bucketFormatMessage ("between 3
# and 63"); Cloudflare's schema (r2_bucket_name, as copied into miniflare's local-explorer
# openapi.local.json) allows 64: the stricter 63 is kept.
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")
# "eu" | "fedramp": WU/config/environment.ts r2 binding `jurisdiction?: "eu" | "fedramp"`; no header
# (or "default") is the default jurisdiction.
JURISDICTIONS = ("default", "eu", "fedramp")
# wrangler/src/r2/constants.ts LOCATION_CHOICES; wrangler's `r2 bucket info` mock shows the location upper-cased
# ("WNAM", wrangler/src/__tests__/r2/bucket.test.ts)
_LOCATIONS = ("weur", "eeur", "apac", "wnam", "enam", "oc")
# "Standard" | "InfrequentAccess": wrangler/src/__tests__/helpers/msw/handlers/r2.ts isValidStorageClass
_STORAGE_CLASSES = ("Standard", "InfrequentAccess")


@dataclass
class Bucket:
    """An R2 bucket (no objects)."""

    account_id: str
    name: str
    jurisdiction: str = "default"
    location: str | None = None
    storage_class: str = "Standard"
    creation_date: str = field(default_factory=now_iso)

    def as_api(self) -> dict[str, Any]:
        """`{name, creation_date, location?, storage_class, jurisdiction}` (wrangler's R2BucketInfo has
        location and storage_class optional; without a location hint the fake leaves `location` out,
        so a client must not need it: where the server puts such a bucket is unverified)."""
        d: dict[str, Any] = {"name": self.name, "creation_date": self.creation_date,
                             "storage_class": self.storage_class, "jurisdiction": self.jurisdiction}
        if self.location is not None:
            d["location"] = self.location
        return d


def jurisdiction_of(ctx: Ctx) -> str:
    """The request's jurisdiction (`cf-r2-jurisdiction`); another value is refused (10040, unverified)."""
    value = ctx.req.headers.get("cf-r2-jurisdiction", "default") or "default"
    if value not in JURISDICTIONS:
        raise Fail("r2_bad_request")
    return value


def find_bucket(state: State, account_id: str, name: str, jurisdiction: str | None = None) -> Bucket | None:
    """The account's bucket `name` in `jurisdiction` (None: the default one)."""
    return state.r2_buckets.get((account_id, jurisdiction or "default", name))


def _bucket(ctx: Ctx) -> Bucket:
    b = find_bucket(ctx.state, ctx.account_id, ctx.p["bucket_name"], jurisdiction_of(ctx))
    if b is None:
        raise Fail("r2_bucket_not_found")
    return b


def list_buckets(ctx: Ctx) -> Reply:
    """GET /accounts/{a}/r2/buckets -> {buckets: [...]}, result_info {cursor, per_page}.

    Parameters per the API reference (research notes A4): `name_contains`, `start_after`, `per_page`
    (1-1000; default 20, unverified: the reference's example), `order=name`, `direction` asc|desc,
    `cursor`. Ordered by name. The cursor is opaque (here: the last name, base64); it is empty once
    the last bucket is listed (unverified: an absent cursor would mean the same to wrangler's
    cursor reader). Only the request's jurisdiction is listed.
    """
    jur = jurisdiction_of(ctx)
    q = ctx.req.q
    contains, start_after = q("name_contains") or "", q("start_after") or ""
    desc = q("direction") == "desc"
    per_page = min(1000, max(1, _int_param(ctx.req, "per_page", 20)))
    after = start_after
    if q("cursor"):
        try:
            after = base64.urlsafe_b64decode(q("cursor") or "").decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Fail("r2_bad_request") from None
    names = sorted((b.name for b in ctx.state.r2_buckets.values()
                    if b.account_id == ctx.account_id and b.jurisdiction == jur and contains in b.name), reverse=desc)
    if after:
        names = [n for n in names if (n < after if desc else n > after)]
    chunk, more = names[:per_page], len(names) > per_page
    buckets = [ctx.state.r2_buckets[(ctx.account_id, jur, n)].as_api() for n in chunk]
    cursor = base64.urlsafe_b64encode(chunk[-1].encode()).decode() if more else ""
    return Reply({"buckets": buckets}, result_info={"cursor": cursor, "per_page": per_page})


def create_bucket(ctx: Ctx) -> dict[str, Any]:
    """POST /accounts/{a}/r2/buckets {name, locationHint?, storageClass?} -> the bucket.

    The body wrangler sends (createR2Bucket). A taken name in the same jurisdiction: 10004/409
    (research notes A4, status unverified). A location hint together with a jurisdiction is refused:
    wrangler refuses it client-side ("Provide either a jurisdiction or location hint - not both.",
    wrangler/src/r2/bucket.ts); that the server does too is unverified, the less forgiving choice.
    """
    jur = jurisdiction_of(ctx)
    body = ctx.body()
    if not isinstance(body, dict):
        raise Fail("r2_bad_request")
    name = body.get("name")
    if not isinstance(name, str) or not _BUCKET_NAME.match(name):
        raise Fail("r2_bucket_name_invalid")
    hint, storage = body.get("locationHint"), body.get("storageClass", "Standard")
    if storage not in _STORAGE_CLASSES or (hint is not None and (not isinstance(hint, str)
                                                                 or hint.lower() not in _LOCATIONS)):
        raise Fail("r2_bad_request")
    if hint is not None and jur != "default":
        raise Fail("r2_bad_request")
    if find_bucket(ctx.state, ctx.account_id, name, jur) is not None:
        raise Fail("r2_bucket_exists")
    b = Bucket(ctx.account_id, name, jur, hint.upper() if hint else None, storage)
    ctx.state.r2_buckets[(b.account_id, b.jurisdiction, b.name)] = b
    return b.as_api()


def get_bucket(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/r2/buckets/{bucket_name} (10006 when absent in the request's jurisdiction)."""
    return _bucket(ctx).as_api()


def delete_bucket(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/r2/buckets/{bucket_name}. Scripts that bind it keep their bindings
    (unverified); a non-empty bucket would be 10008 (third-party error map), but objects are not modelled."""
    b = _bucket(ctx)
    del ctx.state.r2_buckets[(b.account_id, b.jurisdiction, b.name)]


# -- D1 -------------------------------------------------------------------------------------------

# Cloudflare's schema d1_database-name pattern (as copied into miniflare's local-explorer openapi.local.json)
_DB_NAME = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_-]*$")
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# primary_location_hint: wrangler/src/d1/create.ts --location choices; jurisdiction: "eu", "fedramp" (the
# schema's d1_jurisdiction enum) and "us" (wrangler's JURISDICTION_CHOICES and its help text)
_DB_LOCATIONS = ("weur", "eeur", "apac", "oc", "wnam", "enam")
_DB_JURISDICTIONS = ("eu", "fedramp", "us")


@dataclass
class Database:
    """A D1 database (no tables or queries)."""

    uuid: str
    account_id: str
    name: str
    primary_location_hint: str | None = None
    jurisdiction: str | None = None
    created_at: str = field(default_factory=now_iso)

    def as_api(self) -> dict[str, Any]:
        """`{uuid, name, created_at, version, num_tables, file_size, jurisdiction}` (wrangler's DatabaseInfo
        and DatabaseCreationResult, wrangler/src/d1/types.ts; version "production" as miniflare's
        local explorer answers)."""
        d: dict[str, Any] = {"uuid": self.uuid, "name": self.name, "created_at": self.created_at,
                             "version": "production", "num_tables": 0, "file_size": 0,
                             "jurisdiction": self.jurisdiction}
        if self.primary_location_hint is not None:
            d["primary_location_hint"] = self.primary_location_hint
        return d


def is_uuid(value: Any) -> bool:
    """A dashed lower-case UUID, the form of D1 ids (schema d1_database-identifier example)."""
    return isinstance(value, str) and bool(_UUID.match(value))


def find_database(state: State, account_id: str, id_or_name: str) -> Database | None:
    """The account's database with this uuid, or else with this name."""
    db = state.d1.get(id_or_name)
    if db is not None and db.account_id == account_id:
        return db
    return next((d for d in state.d1.values() if d.account_id == account_id and d.name == id_or_name), None)


def list_databases(ctx: Ctx) -> Reply:
    """GET /accounts/{a}/d1/database?name&page&per_page.

    `name` is "a database name to search for" (API reference, research notes A4): a case-insensitive
    substring, as miniflare's local explorer (resources/d1.ts) filters. per_page 10-10000, default
    1000 (API reference); outside that range: refused (unverified code). Oldest first (unverified).
    """
    per_page = _int_param(ctx.req, "per_page", 1000)
    if not 10 <= per_page <= 10_000 or _int_param(ctx.req, "page", 1) < 1:
        raise Fail("d1_bad_request", detail="per_page must be between 10 and 10000 and page at least 1")
    needle = (ctx.req.q("name") or "").lower()
    items = [d.as_api() for d in ctx.state.d1.values() if d.account_id == ctx.account_id and needle in d.name.lower()]
    return paginate(items, ctx.req, default_per_page=1000, max_per_page=10_000)


def create_database(ctx: Ctx) -> dict[str, Any]:
    """POST /accounts/{a}/d1/database {name, primary_location_hint?, jurisdiction?} (the body wrangler's
    createD1Database sends); a taken name: 7502. The 7406 database limit is not modelled."""
    body = ctx.body()
    if not isinstance(body, dict):
        raise Fail("d1_bad_request", detail="the body must be an object")
    name, hint, jur = body.get("name"), body.get("primary_location_hint"), body.get("jurisdiction")
    if not isinstance(name, str) or not _DB_NAME.match(name):
        raise Fail("d1_bad_request", detail=f"invalid database name {name!r}")
    if hint is not None and hint not in _DB_LOCATIONS:
        raise Fail("d1_bad_request", detail=f"invalid primary_location_hint {hint!r}")
    if jur is not None and jur not in _DB_JURISDICTIONS:
        raise Fail("d1_bad_request", detail=f"invalid jurisdiction {jur!r}")
    if any(d.account_id == ctx.account_id and d.name == name for d in ctx.state.d1.values()):
        raise Fail("d1_exists")
    # "if jurisdictions are set, the location hint is ignored" (wrangler d1 create --jurisdiction help)
    db = Database(new_uuid(), ctx.account_id, name, None if jur else hint, jur)
    ctx.state.d1[db.uuid] = db
    return db.as_api()


def get_database(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/d1/database/{database_id}: a uuid or a name (7404 when neither matches)."""
    db = find_database(ctx.state, ctx.account_id, ctx.p["database_id"])
    if db is None:
        raise Fail("d1_not_found", id=ctx.p["database_id"])
    return db.as_api()


def delete_database(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/d1/database/{database_id}: by uuid only (the API reference names the path
    parameter database_id; `wrangler d1 delete <name>` looks the uuid up first, wrangler/src/d1/delete.ts).
    A name here is not found: the less forgiving choice."""
    db = ctx.state.d1.get(ctx.p["database_id"])
    if db is None or db.account_id != ctx.account_id:
        raise Fail("d1_not_found", id=ctx.p["database_id"])
    del ctx.state.d1[db.uuid]


# Scopes: "d1:write" is a scope of wrangler's OAuth catalog; "r2:*" is the fake's own name (state.py).
# The paths are outside the OpenAPI subset: every query parameter the handlers read is listed, each
# from the API reference pages research notes A4 cites (R2 List Buckets; D1 List Databases).
_B = "/accounts/{account_id}/r2/buckets"
_D = "/accounts/{account_id}/d1/database"
ROUTES = [
    Route("GET", _B, list_buckets, "r2:read",
          extra_params=("cursor", "per_page", "name_contains", "start_after", "direction", "order")),
    Route("POST", _B, create_bucket, "r2:write"),
    Route("GET", _B + "/{bucket_name}", get_bucket, "r2:read"),
    Route("DELETE", _B + "/{bucket_name}", delete_bucket, "r2:write"),
    Route("GET", _D, list_databases, "d1:read", extra_params=("name", "page", "per_page")),
    Route("POST", _D, create_database, "d1:write"),
    Route("GET", _D + "/{database_id}", get_database, "d1:read"),
    Route("DELETE", _D + "/{database_id}", delete_database, "d1:write"),
]
