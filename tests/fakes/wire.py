"""Wire-level types of the fake Cloudflare API: requests, responses, envelopes, pagination.

`FakeRequest`/`FakeResponse` are what `FakeCloudflare.handle` takes and returns, whether the
caller is the HTTP server, an `httpx.MockTransport` or a test. Handlers return plain values
(wrapped in a success envelope) or a `Reply`, and raise `Fail(key, **fmt)` with a key of the
error table in `codes.py`. No state lives here.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import secrets
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

API_PREFIX = "/client/v4"


@dataclass
class FakeRequest:
    """One request as the fake sees it; `path` may carry the `/client/v4` prefix or not."""

    method: str
    path: str
    query: dict[str, list[str]] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)  # keys lower-cased
    body: bytes = b""

    @classmethod
    def build(cls, method: str, target: str, headers: dict[str, str] | None = None, body: bytes = b"") -> FakeRequest:
        """Build from a request target such as `/client/v4/zones?name=x` (query split off)."""
        path, _, qs = target.partition("?")
        query = parse_qs(qs, keep_blank_values=True) if qs else {}
        hdrs = {k.lower(): v for k, v in (headers or {}).items()}
        return cls(method.upper(), path, query, hdrs, body)

    @property
    def api_path(self) -> str:
        """The path below the API root (`/zones/...`), still percent-encoded."""
        p = self.path
        if p.startswith(API_PREFIX):
            p = p[len(API_PREFIX):]
        return p or "/"

    def q(self, name: str, default: str | None = None) -> str | None:
        """First value of a query parameter."""
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def content_type(self) -> str:
        """Media type of the body without parameters, lower-cased ('' when absent)."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> Any:
        """The body parsed as JSON (raises `Fail('invalid_json')` when it is not; an empty body is null)."""
        try:
            return json.loads(self.body or b"null")
        except ValueError as exc:
            raise Fail("invalid_json", detail=str(exc)) from None


@dataclass
class FakeResponse:
    """A complete response: status, headers and body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class Reply:
    """What a handler returns when the default 200 envelope is not enough."""

    result: Any = None
    result_info: dict[str, Any] | None = None
    messages: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200
    raw: bytes | None = None  # non-envelope body (KV values, script content)
    content_type: str = "application/json"


class Fail(Exception):
    """A Cloudflare error: `key` names an entry of the fake's error table (codes.py)."""

    def __init__(self, key: str, *, chain: list[dict[str, Any]] | None = None, meta: dict[str, Any] | None = None,
                 headers: dict[str, str] | None = None, **fmt: Any) -> None:
        super().__init__(key)
        self.key = key
        self.fmt = fmt
        self.chain = chain
        self.meta = meta
        self.headers = headers or {}


class DropConnection(Exception):
    """Close the connection without sending a response (fault injection)."""


def envelope(result: Any = None, *, success: bool = True, errors: list[dict[str, Any]] | None = None,
             messages: list[dict[str, Any]] | None = None, result_info: dict[str, Any] | None = None) -> bytes:
    """Serialise Cloudflare's `{success, errors, messages, result, result_info?}` envelope.

    api-notes §0.4; a failure carries `result: null` and `messages: []` (README of the relaxed
    schema, fix 1). `result_info` only on list answers that page (real-api-quirks #1: none on routes).
    """
    doc: dict[str, Any] = {"success": success, "errors": errors or [], "messages": messages or [], "result": result}
    if result_info is not None:
        doc["result_info"] = result_info
    return json.dumps(doc, separators=(",", ":")).encode()


def now_iso() -> str:
    """Current UTC time as an RFC 3339 `date-time` ending in Z (schema: e.g. workers_created_on)."""
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def new_id() -> str:
    """A fresh 32-hex identifier (accounts, zones, namespaces, records, routes; schema: *_identifier examples)."""
    return uuid.uuid4().hex


def new_uuid() -> str:
    """A fresh dashed UUID (versions, deployments; schema: workers_schemas-version_identifier example)."""
    return str(uuid.uuid4())


def ray_id() -> str:
    """A plausible `cf-ray` header value (16 hex, a dash, a colo; api-notes §0.4 names the header)."""
    return secrets.token_hex(8) + "-SJC"


def content_hash(*chunks: bytes) -> str:
    """Stable hex digest used for etags (the real etag's algorithm is not documented; any stable hash serves)."""
    h = hashlib.sha256()
    for c in chunks:
        h.update(len(c).to_bytes(8, "big"))
        h.update(c)
    return h.hexdigest()


def _int_param(req: FakeRequest, name: str, default: int) -> int:
    # Unparsable values fall back to the default; on paths the schema covers the validator has
    # already refused them (10001), so this only matters with validation off.
    raw = req.q(name)
    if raw is None or raw == "":
        return default
    try:
        return int(float(raw))
    except ValueError:
        return default


def paginate(items: list[Any], req: FakeRequest, *, default_per_page: int, max_per_page: int | None = None) -> Reply:
    """Slice `items` by `page`/`per_page` and add a page-style `result_info`.

    Defaults and maximums come from each caller (the schema's page/per_page of that path). Out of
    range values are refused by the schema validator (10001) before this runs; the clamping here
    only serves paths outside the schema and `validate=False`. A page past the end is empty with
    the true totals. `total_pages` is sent as real-api-quirks #3 says; the schemas list only
    `count, page, per_page, total_count` (research notes 12-13 §10), so clients should not need it
    (kept: tests/fakes pins it).
    """
    page = max(1, _int_param(req, "page", 1))
    per_page = max(1, _int_param(req, "per_page", default_per_page))
    if max_per_page is not None:
        per_page = min(per_page, max_per_page)
    total = len(items)
    chunk = items[(page - 1) * per_page: page * per_page]
    info = {"page": page, "per_page": per_page, "count": len(chunk), "total_count": total,
            "total_pages": math.ceil(total / per_page) if total else 0}
    return Reply(chunk, result_info=info)
