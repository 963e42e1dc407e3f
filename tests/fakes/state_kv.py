"""Workers KV: namespaces (page-paginated, unique titles -> 10014) and keys (cursor-paginated).

Values are stored as exact bytes. `PUT .../values/{key}` takes the multipart form of the schema
(`value` + `metadata` parts) and also a raw body, which is what wrangler sends when there is no
metadata (workers-sdk wrangler/src/kv/helpers.ts putKVKeyValue). Expired keys disappear.
Limits and texts follow workers-sdk miniflare/src/workers/kv/{constants,validator.worker}.ts
(Cloudflare's local emulation of KV) unless a line says otherwise.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes import multipart
from tests.fakes.routing import Ctx, Route
from tests.fakes.wire import Fail, Reply, new_id, paginate

MAX_BULK = 10_000  # "up to 10,000 key-value pairs" (schema: PUT .../bulk description); same cap for bulk delete, unverified
MAX_KEY_BYTES = 512  # schema: workers-kv_key_name maxLength / "at most 512 bytes"
MAX_VALUE_BYTES = 25 * 1024 * 1024  # miniflare KVLimits.MAX_VALUE_SIZE_BYTES
MAX_METADATA_BYTES = 1024  # miniflare KVLimits.MAX_METADATA_SIZE_BYTES
MIN_TTL = 60  # schema: workers-kv_expiration_ttl "At least 60."; miniflare MIN_EXPIRATION_TTL_SECONDS


@dataclass
class KVEntry:
    """One stored value with its metadata and absolute expiry (epoch seconds)."""

    value: bytes = field(repr=False)
    metadata: Any = None
    expiration: int | None = None


@dataclass
class Namespace:
    """A KV namespace and its keys."""

    id: str
    account_id: str
    title: str
    entries: dict[str, KVEntry] = field(default_factory=dict)

    def as_api(self) -> dict[str, Any]:
        """`{id, title, supports_url_encoding}` (schema: workers-kv_namespace)."""
        return {"id": self.id, "title": self.title, "supports_url_encoding": True}

    def live(self) -> dict[str, KVEntry]:
        """Entries that have not expired."""
        now = time.time()
        return {k: e for k, e in self.entries.items() if e.expiration is None or e.expiration > now}


def _ns(ctx: Ctx, op: str) -> Namespace:
    ns = ctx.state.kv.get(ctx.p["namespace_id"])
    if ns is None or ns.account_id != ctx.account_id:  # another account's namespace is not found either
        raise Fail("kv_namespace_not_found", op=op)
    return ns


# Titles are unique per account (api-notes §3.1: 10014); that a rename to a taken title fails the
# same way is not documented: the less forgiving choice.
def _title_taken(ctx: Ctx, title: str, except_id: str | None = None) -> bool:
    return any(n.account_id == ctx.account_id and n.title == title and n.id != except_id
               for n in ctx.state.kv.values())


def _expiry(ctx: Ctx, expiration: Any, ttl: Any) -> int | None:
    # ttl wins when both are given (schema: PUT .../bulk and .../values descriptions); both floors and
    # texts: miniflare validator.worker.ts validatePutOptions
    if ttl not in (None, ""):
        ttl = int(float(ttl))
        if ttl < MIN_TTL:
            raise Fail("kv_bad_request", detail=f"Invalid expiration_ttl of {ttl}. Expiration TTL must be at least 60.")
        return int(time.time()) + ttl
    if expiration not in (None, ""):
        exp = int(float(expiration))
        if exp < time.time() + MIN_TTL:
            raise Fail("kv_bad_request", detail=f"Invalid expiration of {exp}. Expiration times must be at least "
                                                "60 seconds in the future.")
        return exp
    return None


def _check_key(key: str) -> None:
    # not empty, not "." or "..", at most 512 UTF-8 bytes (miniflare validateKey; schema maxLength 512).
    # miniflare answers 414 for a long key; the fake keeps 400/10001 (status unverified for the API).
    if not key or len(key.encode()) > MAX_KEY_BYTES or key in (".", ".."):
        raise Fail("kv_bad_request", detail=f"Invalid key name {key[:64]!r}: 1-512 bytes, not '.' or '..'")


def _check_sizes(key: str, value: bytes, metadata: Any) -> None:
    """Value and metadata size limits (miniflare KVLimits and its texts)."""
    if len(value) > MAX_VALUE_BYTES:
        raise Fail("kv_bad_request", detail=f"Value length of {len(value)} exceeds limit of {MAX_VALUE_BYTES}.")
    if metadata is not None:
        size = len(json.dumps(metadata, separators=(",", ":")).encode())
        if size > MAX_METADATA_BYTES:
            raise Fail("kv_bad_request", detail=f"Metadata length of {size} exceeds limit of {MAX_METADATA_BYTES}.")


# -- namespaces ---------------------------------------------------------------------------------

def list_namespaces(ctx: Ctx) -> Reply:
    """GET .../storage/kv/namespaces: page/per_page (default 20), order id|title, direction."""
    items = [n for n in ctx.state.kv.values() if n.account_id == ctx.account_id]
    # order/direction: schema enums. Without `order` the server's order is undocumented: creation
    # order here, so a client must not rely on any order it did not ask for.
    order = ctx.req.q("order")
    if order in ("id", "title"):
        items.sort(key=lambda n: getattr(n, order))
    if ctx.req.q("direction") == "desc":
        items.reverse()
    # per_page default 20, max 100 (min 5): the 2024 schema; current docs allow 1000 (research notes §10),
    # the fake keeps the lower, less forgiving cap
    return paginate([n.as_api() for n in items], ctx.req, default_per_page=20, max_per_page=100)


def create_namespace(ctx: Ctx) -> dict[str, Any]:
    """POST .../storage/kv/namespaces {title}: a duplicate title is 10014."""
    title = ctx.body()["title"]
    if _title_taken(ctx, title):
        raise Fail("kv_duplicate_title", op="create")
    ns = Namespace(new_id(), ctx.account_id, title)
    ctx.state.kv[ns.id] = ns
    return ns.as_api()


def rename_namespace(ctx: Ctx) -> None:
    """PUT .../namespaces/{id} {title}."""
    ns = _ns(ctx, "rename namespace")
    title = ctx.body()["title"]
    if _title_taken(ctx, title, except_id=ns.id):
        raise Fail("kv_duplicate_title", op="rename")
    ns.title = title


def get_namespace(ctx: Ctx) -> dict[str, Any]:
    """GET .../namespaces/{id}."""
    return _ns(ctx, "get namespace").as_api()


def delete_namespace(ctx: Ctx) -> None:
    """DELETE .../namespaces/{id}."""
    del ctx.state.kv[_ns(ctx, "delete namespace").id]


# -- keys and values ----------------------------------------------------------------------------

def list_keys(ctx: Ctx) -> Reply:
    """GET .../keys?prefix&limit&cursor -> [{name, expiration?, metadata?}], result_info.cursor.

    Cursor paging, cursor empty on the last page, `page` ignored (real-api-quirks #2); names in
    lexicographic (UTF-8 byte = code point) order; result_info {count, cursor} (schema:
    workers-kv_cursor_result_info).
    """
    ns = _ns(ctx, "list keys")
    prefix = ctx.req.q("prefix") or ""
    # limit: default and max 1000, min 10 (schema; the validator refuses < 10, the clamp is for validate=False)
    limit = min(1000, max(1, int(float(ctx.req.q("limit") or 1000))))
    after = ""
    if ctx.req.q("cursor"):
        try:
            after = base64.urlsafe_b64decode(ctx.req.q("cursor") or "").decode()
        except (binascii.Error, UnicodeDecodeError):
            raise Fail("kv_bad_request", detail="Invalid cursor") from None
    names = sorted(k for k in ns.live() if k.startswith(prefix) and k > after)
    chunk, more = names[:limit], len(names) > limit
    items = []
    for k in chunk:
        e = ns.entries[k]
        d: dict[str, Any] = {"name": k}
        if e.expiration is not None:
            d["expiration"] = e.expiration
        if e.metadata is not None:
            d["metadata"] = e.metadata
        items.append(d)
    cursor = base64.urlsafe_b64encode(chunk[-1].encode()).decode() if more else ""
    return Reply(items, result_info={"count": len(items), "cursor": cursor})


def get_value(ctx: Ctx) -> Reply:
    """GET .../values/{key}: the raw bytes, not an envelope (local-explorer kv.ts), or 404/10009."""
    e = _ns(ctx, "get").live().get(ctx.p["key_name"])
    if e is None:
        raise Fail("kv_key_not_found")
    return Reply(raw=e.value, content_type="application/octet-stream")


def get_metadata(ctx: Ctx) -> Any:
    """GET .../metadata/{key}."""
    e = _ns(ctx, "get").live().get(ctx.p["key_name"])
    if e is None:
        raise Fail("kv_key_not_found")
    return e.metadata


def put_value(ctx: Ctx) -> None:
    """PUT .../values/{key}: multipart value+metadata (schema), or a raw body."""
    ns = _ns(ctx, "put")
    key = ctx.p["key_name"]
    _check_key(key)
    metadata = None
    if ctx.req.content_type == "multipart/form-data":
        try:
            parts = {p.name: p for p in multipart.parse(ctx.req.headers.get("content-type", ""), ctx.req.body)}
        except multipart.MultipartError as exc:
            raise Fail("kv_bad_request", detail=str(exc)) from None
        if "value" not in parts:  # local-explorer kv.ts: 400/10001 "Missing value field"
            raise Fail("kv_bad_request", detail="multipart body has no 'value' part")
        value = parts["value"].data
        if "metadata" in parts and parts["metadata"].data.strip():
            try:
                metadata = json.loads(parts["metadata"].data)
            except ValueError:
                raise Fail("kv_bad_request", detail="metadata part is not valid JSON") from None
    else:
        value = ctx.req.body
    if metadata == {}:  # an empty object is listed as no metadata: no evidence found either way
        metadata = None
    _check_sizes(key, value, metadata)
    exp = _expiry(ctx, ctx.req.q("expiration"), ctx.req.q("expiration_ttl"))
    ns.entries[key] = KVEntry(value, metadata, exp)


def delete_value(ctx: Ctx) -> None:
    """DELETE .../values/{key}: succeeds whether or not the key exists (as Workers KV's delete does;
    for the REST API no evidence found)."""
    _ns(ctx, "remove key").entries.pop(ctx.p["key_name"], None)


def bulk_put(ctx: Ctx) -> dict[str, Any]:
    """PUT .../bulk [{key, value, base64?, expiration?, expiration_ttl?, metadata?}] (<= 10,000).

    One bad item fails the whole request and nothing is written; the real answer's
    `unsuccessful_keys` suggests partial writes are possible, but how is undocumented: the
    less forgiving all-or-nothing is modelled.
    """
    ns = _ns(ctx, "bulk put")
    items = ctx.body()
    if not isinstance(items, list) or len(items) > MAX_BULK:
        raise Fail("kv_bad_request", detail=f"bulk body must be a list of at most {MAX_BULK} items")
    staged: dict[str, KVEntry] = {}
    for item in items:
        key = item["key"]
        _check_key(key)
        raw = item["value"]
        if item.get("base64"):
            try:
                value = base64.b64decode(raw, validate=True)
            except binascii.Error:
                raise Fail("kv_bad_request", detail=f"value of {key!r} is not valid base64") from None
        else:
            value = raw.encode()
        _check_sizes(key, value, item.get("metadata"))
        staged[key] = KVEntry(value, item.get("metadata"), _expiry(ctx, item.get("expiration"), item.get("expiration_ttl")))
    ns.entries.update(staged)
    return {"successful_key_count": len(staged), "unsuccessful_keys": []}


def bulk_delete(ctx: Ctx) -> dict[str, Any]:
    """POST .../bulk/delete ["key", ...] (not in the schema subset; keys absent are not an error,
    like the single delete)."""
    ns = _ns(ctx, "bulk delete")
    keys = ctx.body()
    if not isinstance(keys, list) or len(keys) > MAX_BULK:
        raise Fail("kv_bad_request", detail=f"bulk delete body must be a list of at most {MAX_BULK} keys")
    for k in keys:
        ns.entries.pop(k if isinstance(k, str) else k.get("key", ""), None)
    return {"successful_key_count": len(keys), "unsuccessful_keys": []}


# Scopes: schema x-cfPermissionsRequired (com.cloudflare.edge.storage.kv.namespace.* / .key.*) maps to
# read and write; the two paths outside the schema (GET namespace, metadata, bulk/delete) take the
# scope of their neighbours (no evidence found).
_N = "/accounts/{account_id}/storage/kv/namespaces"
_K = _N + "/{namespace_id}"
ROUTES = [
    Route("GET", _N, list_namespaces, "workers_kv:read"),
    Route("POST", _N, create_namespace, "workers_kv:write"),
    Route("GET", _K, get_namespace, "workers_kv:read"),
    Route("PUT", _K, rename_namespace, "workers_kv:write"),
    Route("DELETE", _K, delete_namespace, "workers_kv:write"),
    Route("GET", _K + "/keys", list_keys, "workers_kv:read"),
    Route("GET", _K + "/values/{key_name}", get_value, "workers_kv:read"),
    Route("GET", _K + "/metadata/{key_name}", get_metadata, "workers_kv:read"),
    # expiration/expiration_ttl: query parameters of "Write key-value pair with metadata" in
    # Cloudflare's API reference (developers.cloudflare.com/api/resources/kv/.../values/methods/update).
    Route("PUT", _K + "/values/{key_name}", put_value, "workers_kv:write", extra_params=("expiration", "expiration_ttl")),
    Route("DELETE", _K + "/values/{key_name}", delete_value, "workers_kv:write"),
    Route("PUT", _K + "/bulk", bulk_put, "workers_kv:write"),
    Route("POST", _K + "/bulk/delete", bulk_delete, "workers_kv:write"),
]
