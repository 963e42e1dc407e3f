"""DNS records of a zone: `/zones/{zone_id}/dns_records` list, create, PUT, PATCH, DELETE, batch.

`RecordData` is what cfworker writes (the record's writable fields); `DnsRecord` is what the
API answers (the same fields plus id). Creates and batches are POSTs, so the client never
retries them once sent; a caller that gets an unclear answer reads the records back.
The batch endpoint runs deletes -> patches -> puts -> posts in one transaction (api-notes
§6.2): it applies every operation or none. The client is imported for type checks only,
so the plan modules can use these value types without pulling in httpx.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.api.errors import CloudflareAPIError

PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
# The API's maximum page size is large; 5,000 records per page keeps a big zone to a few pages.
LIST_PAGE_SIZE = 5000


@dataclass(frozen=True, slots=True)
class RecordData:
    """The writable fields of a record, as cfworker sends them (name fully qualified)."""

    type: str
    name: str
    content: str
    ttl: int = 1  # 1 = automatic
    proxied: bool | None = None  # sent only for A/AAAA/CNAME
    priority: int | None = None  # MX only
    comment: str | None = None
    tags: tuple[str, ...] = ()

    def to_api(self) -> dict[str, Any]:
        """The JSON body of a create or PUT (and of a batch post/put, with an id added)."""
        body: dict[str, Any] = {"type": self.type, "name": self.name, "content": self.content, "ttl": self.ttl}
        if self.type in PROXIABLE:
            body["proxied"] = bool(self.proxied)
        if self.priority is not None:
            body["priority"] = self.priority
        if self.comment is not None:
            body["comment"] = self.comment
        if self.tags:  # tags are a paid-plan feature: an empty list is not sent at all
            body["tags"] = list(self.tags)
        return body

    def changes_from(self, old: RecordData) -> dict[str, Any]:
        """A PATCH body with only the fields that differ from `old` (same type and name)."""
        new, before = self.to_api(), old.to_api()
        changes = {k: v for k, v in new.items() if k not in ("type", "name") and before.get(k) != v}
        if old.tags and not self.tags:
            changes["tags"] = []
        return changes

    def label(self) -> str:
        """`A www.example.com 192.0.2.1` (MX with its priority) for plan lines and messages."""
        priority = f" {self.priority}" if self.priority is not None else ""
        return f"{self.type} {self.name}{priority} {self.content}"


@dataclass(frozen=True, slots=True)
class DnsRecord:
    """A record as the API returns it."""

    id: str
    type: str
    name: str
    content: str
    ttl: int = 1
    proxied: bool = False
    priority: int | None = None
    comment: str | None = None
    tags: tuple[str, ...] = ()

    @classmethod
    def from_api(cls, d: Mapping[str, Any]) -> DnsRecord:
        priority = d.get("priority")
        return cls(id=str(d["id"]), type=str(d.get("type", "")).upper(), name=str(d.get("name", "")).lower(),
                   content=str(d.get("content") or ""), ttl=int(d.get("ttl") or 1), proxied=bool(d.get("proxied")),
                   priority=int(priority) if priority is not None else None, comment=d.get("comment") or None,
                   tags=tuple(str(t) for t in d.get("tags") or ()))

    @property
    def data(self) -> RecordData:
        """The record's writable fields (for a PUT that keeps what it does not change)."""
        return RecordData(self.type, self.name, self.content, self.ttl,
                          self.proxied if self.type in PROXIABLE else None, self.priority, self.comment, self.tags)


@dataclass(frozen=True, slots=True)
class BatchResult:
    """The records a batch wrote, per operation kind."""

    deleted: tuple[str, ...] = ()
    patched: tuple[DnsRecord, ...] = ()
    put: tuple[DnsRecord, ...] = ()
    posted: tuple[DnsRecord, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchFailure:
    """Which operation of a failed batch Cloudflare blamed, when it says so."""

    section: str  # deletes | patches | puts | posts
    index: int
    code: int | None
    message: str


def _path(zone_id: str) -> str:
    return f"/zones/{zone_id}/dns_records"


def list_records(client: CloudflareClient, zone_id: str, *, type: str | None = None, name: str | None = None,
                 comment_endswith: str | None = None, match_any: bool = False) -> list[DnsRecord]:
    """A zone's records, filtered by the API (type, exact name, comment suffix; `match_any` ORs them)."""
    params: dict[str, Any] = {}
    if type:
        params["type"] = type
    if name:
        params["name"] = name
    if comment_endswith:
        params["comment.endswith"] = comment_endswith
    if match_any and len(params) > 1:
        params["match"] = "any"
    return [DnsRecord.from_api(d) for d in client.paginate_pages(_path(zone_id), params=params, per_page=LIST_PAGE_SIZE)]


def create_record(client: CloudflareClient, zone_id: str, data: RecordData) -> DnsRecord:
    """Create one record. A POST: an identical record answers 81058 (81057 before), never retried."""
    return DnsRecord.from_api(client.call_object("POST", _path(zone_id), json=data.to_api()))


def update_record(client: CloudflareClient, zone_id: str, record_id: str, data: RecordData) -> DnsRecord:
    """Replace a record's fields (PUT: fields left out fall back to their defaults)."""
    return DnsRecord.from_api(client.call_object("PUT", f"{_path(zone_id)}/{record_id}", json=data.to_api()))


def patch_record(client: CloudflareClient, zone_id: str, record_id: str, new: RecordData, *,
                 old: RecordData) -> DnsRecord:
    """Send only the fields of `new` that differ from `old` (PATCH); the others keep their values."""
    return DnsRecord.from_api(client.call_object("PATCH", f"{_path(zone_id)}/{record_id}",
                                                 json=new.changes_from(old)))


def delete_record(client: CloudflareClient, zone_id: str, record_id: str) -> None:
    """Delete one record."""
    client.call("DELETE", f"{_path(zone_id)}/{record_id}")


def batch(client: CloudflareClient, zone_id: str, *, deletes: Sequence[str] = (),
          patches: Sequence[tuple[str, RecordData, RecordData]] = (), puts: Sequence[tuple[str, RecordData]] = (),
          posts: Sequence[RecordData] = ()) -> BatchResult:
    """Apply deletes, patches, puts, then posts in one transaction (all or nothing; a POST, never retried).

    `patches` are (record id, new, old): only the changed fields are sent.
    A batch may hold 200 operations on a Free zone, 3,500 on paid plans; the caller chunks.
    """
    body: dict[str, Any] = {}
    if deletes:
        body["deletes"] = [{"id": record_id} for record_id in deletes]
    if patches:
        body["patches"] = [{"id": record_id, **new.changes_from(old)} for record_id, new, old in patches]
    if puts:
        body["puts"] = [{"id": record_id, **data.to_api()} for record_id, data in puts]
    if posts:
        body["posts"] = [data.to_api() for data in posts]
    result = client.call_object("POST", f"{_path(zone_id)}/batch", json=body, required=())

    def records(key: str) -> tuple[DnsRecord, ...]:
        return tuple(DnsRecord.from_api(d) for d in result.get(key) or () if isinstance(d, dict) and "id" in d)
    return BatchResult(deleted=tuple(str(d.get("id", "")) for d in result.get("deletes") or () if isinstance(d, dict)),
                       patched=records("patches"), put=records("puts"), posted=records("posts"))


_OPERATION = re.compile(r"\b(deletes|patches|puts|posts)\[(\d+)\]")


def batch_failures(error: CloudflareAPIError) -> list[BatchFailure]:
    """The operations a failed batch names (from each error's `meta.operation` or its message)."""
    out = []
    for item in error.errors:
        where = item.meta.get("operation") if item.meta else None
        found = _OPERATION.search(str(where)) if where else _OPERATION.search(item.message)
        if found:
            out.append(BatchFailure(found.group(1), int(found.group(2)), item.code, item.message))
    return out
