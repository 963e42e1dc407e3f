"""The post-deploy hook steps: DNS records and cache purges (pure values).

Shared by the deploy (deploy.concerns.dns / .purge) and by `cfworker dns` / `cfworker
purge`, which plan and run the same steps outside a deploy (deploy.hook_runner runs them).
They are `post` steps: they run only after the script and routes are in place, and one
failing hook neither stops the others nor undoes the deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from cfworker.api.dns import RecordData
from cfworker.deploy.plan import Phase, StepBase

if TYPE_CHECKING:
    from cfworker.api.cache import PurgeKind


def _ttl(ttl: int) -> str:
    return "auto" if ttl == 1 else f"{ttl}s"


def record_changes(old: RecordData, new: RecordData) -> list[str]:
    """What an update changes, field by field (`content 192.0.2.1 -> 192.0.2.2`)."""
    out = []
    for name, before, after in (("content", old.content, new.content), ("ttl", _ttl(old.ttl), _ttl(new.ttl)),
                                ("proxied", old.proxied, new.proxied), ("priority", old.priority, new.priority),
                                ("comment", old.comment, new.comment), ("tags", sorted(old.tags), sorted(new.tags))):
        if before != after:
            quoted = name in ("comment", "tags")
            out.append(f"{name} {before!r} -> {after!r}" if quoted else f"{name} {before} -> {after}")
    return out


def _record_extras(record: RecordData) -> str:
    return f" (ttl {_ttl(record.ttl)}{', proxied' if record.proxied else ''})"


@dataclass(frozen=True, slots=True)
class CreateDnsRecord(StepBase):
    zone_id: str
    zone_name: str
    record: RecordData
    phase: Phase = "post"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"dns:{self.record.type}:{self.record.name}:{self.record.content}"

    @property
    def marker(self) -> str:
        return "+"

    def describe(self) -> str:
        return f"create DNS record {self.record.label()}{_record_extras(self.record)}"


@dataclass(frozen=True, slots=True)
class UpdateDnsRecord(StepBase):
    zone_id: str
    zone_name: str
    record_id: str
    record: RecordData
    previous: RecordData
    phase: Phase = "post"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"dns:{self.record.type}:{self.record.name}:{self.record.content}"

    def describe(self) -> str:
        return f"update DNS record {self.previous.label()}: {', '.join(record_changes(self.previous, self.record))}"


LEFT_CONFIG = "created by cfworker, no longer in worker.toml"


@dataclass(frozen=True, slots=True)
class DeleteDnsRecord(StepBase):
    zone_id: str
    zone_name: str
    record_id: str
    record: RecordData
    reason: str = LEFT_CONFIG
    phase: Phase = "post"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"dns:{self.record.type}:{self.record.name}:{self.record.content}"

    @property
    def marker(self) -> str:
        return "-"

    def describe(self) -> str:
        return f"delete DNS record {self.record.label()}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True, slots=True)
class ApplyDnsBatch(StepBase):
    """Many record changes of one zone in one all-or-nothing request (deletes, then patches, then posts)."""

    zone_id: str
    zone_name: str
    posts: tuple[RecordData, ...] = ()
    patches: tuple[tuple[str, RecordData, RecordData], ...] = ()  # (record id, new, previous)
    deletes: tuple[tuple[str, RecordData], ...] = ()  # (record id, record)
    part: int = 1
    parts: int = 1
    phase: Phase = "post"

    @property
    def destructive(self) -> bool:
        return bool(self.deletes)

    @property
    def size(self) -> int:
        return len(self.posts) + len(self.patches) + len(self.deletes)

    @property
    def key(self) -> str:
        return f"dns-batch:{self.zone_name}:{self.part}"

    def describe(self) -> str:
        counts = f"{len(self.posts)} to create, {len(self.patches)} to update, {len(self.deletes)} to delete"
        return f"DNS batch {self.part}/{self.parts} in zone {self.zone_name}: {counts}"

    def details(self) -> list[str]:
        """Every record of the batch, one line each (the plan shows the first few)."""
        return [line for _, _, line in self.operations()]

    def operations(self) -> list[tuple[str, int, str]]:
        """(section, index, line) for every record, in the API's order: deletes, patches, posts."""
        out = [("deletes", i, f"- {r.label()}") for i, (_, r) in enumerate(self.deletes)]
        out += [("patches", i, f"~ {old.label()}: {', '.join(record_changes(old, new))}")
                for i, (_, new, old) in enumerate(self.patches)]
        out += [("posts", i, f"+ {r.label()}") for i, r in enumerate(self.posts)]
        return out


_PURGE_NOUNS = {"files": "URL(s)", "tags": "cache tag(s)", "hosts": "host(s)", "prefixes": "prefix(es)"}


@dataclass(frozen=True, slots=True)
class PurgeCache(StepBase):
    """One purge request: one kind of item, at most one request's worth (chunked by the planner)."""

    zone_id: str
    zone_name: str
    kind: PurgeKind
    items: tuple[str, ...] = ()
    part: int = 1
    parts: int = 1
    zone_plan: str | None = None  # the zone's plan sizes the purge rate bucket
    phase: Phase = "post"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"purge:{self.zone_name}:{self.kind}:{self.part}"

    def describe(self) -> str:
        if self.kind == "everything":
            return f"purge everything cached for zone {self.zone_name}"
        request = f" (request {self.part}/{self.parts})" if self.parts > 1 else ""
        return f"purge {len(self.items)} {_PURGE_NOUNS[self.kind]} from the cache of zone {self.zone_name}{request}"


DnsStep = Union[CreateDnsRecord, UpdateDnsRecord, DeleteDnsRecord, ApplyDnsBatch]
HookStep = Union[CreateDnsRecord, UpdateDnsRecord, DeleteDnsRecord, ApplyDnsBatch, PurgeCache]
