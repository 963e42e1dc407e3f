"""Plan steps: every remote write a deploy may make, as frozen values (pure).

The planner returns a `Plan` (ordered steps, conflicts, blockers, notes); the renderer
prints it; the executor performs it. A step knows its phase, whether it is destructive,
a stable `key` (used in --json output and by `Ref`), and how to describe itself.
Phases run in order: provision -> script -> routes -> post. The post-deploy hooks (DNS
records, cache purge) are `post` steps: they run only after the script and routes are in
place, and one failing hook neither stops the others nor undoes the deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from cfworker.api.dns import RecordData
from cfworker.upload import UploadForm

if TYPE_CHECKING:
    from cfworker.api.cache import PurgeKind

Phase = Literal["provision", "script", "routes", "post"]
PHASES: tuple[Phase, ...] = ("provision", "script", "routes", "post")


@dataclass(frozen=True, slots=True)
class Ref:
    """A value an earlier step produces (e.g. a created namespace's id), resolved at run time."""

    step_key: str
    field: str


@dataclass(frozen=True, slots=True)
class CreateKVNamespace:
    binding: str
    title: str
    phase: Phase = "provision"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"kv:{self.binding}"

    def describe(self) -> str:
        return f"create KV namespace {self.title!r} for binding {self.binding}"


@dataclass(frozen=True, slots=True)
class UploadScript:
    """Upload the script. `form` is final unless some KV ids are still Refs (then a preview)."""

    script: str
    form: UploadForm
    kv_refs: tuple[tuple[str, Ref], ...] = ()  # binding -> id of a namespace created in this run
    kv_ids: tuple[tuple[str, str], ...] = ()  # binding -> id known at plan time (found, reused)
    is_new: bool = False  # created with PUT, which deploys at once; else a version, deployed by DeployVersion
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "script"

    def describe(self) -> str:
        summary = self.form.summary()
        size = sum(m["size"] for m in summary["modules"])
        verb = "create" if self.is_new else "upload"
        return (f"{verb} script {self.script!r}: {len(summary['modules'])} module(s), {size} bytes, "
                f"{len(summary['bindings'])} binding(s)")


@dataclass(frozen=True, slots=True)
class DeployVersion:
    """Send 100 % of traffic to the version the upload made, in a deployment annotated with the
    upload's content hash (`workers/message`): the mark by which the next deploy knows what is live.
    The hash is taken from the upload's output: with a KV namespace created in the same run the
    final form (and hash) is only known then."""

    script: str
    upload_key: str = "script"  # the UploadScript whose version_id and content_hash this deploys
    ends_split: int = 0  # versions of a gradual deployment this replaces
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        return self.ends_split > 1

    @property
    def key(self) -> str:
        return "deployment"

    def describe(self) -> str:
        ends = f", ending the gradual deployment of {self.ends_split} versions" if self.ends_split > 1 else ""
        return f"deploy the new version to 100 %{ends}, marked with its content hash"


def _onoff(value: bool | None) -> str:
    return {True: "on", False: "off", None: "unset"}[value]


@dataclass(frozen=True, slots=True)
class SetWorkersDev:
    """The workers.dev switch and, when worker.toml sets preview_urls, the preview URLs with it."""

    script: str
    enabled: bool
    previous: bool | None
    previews: bool | None = None  # None: preview_urls not configured, left to the server
    previous_previews: bool | None = None
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        # Turning workers.dev off breaks clients of the *.workers.dev URL.
        return not self.enabled and self.previous is True

    @property
    def key(self) -> str:
        return "workers_dev"

    def describe(self) -> str:
        text = f"workers.dev: {_onoff(self.previous)} -> {_onoff(self.enabled)}"
        if self.previews is not None:
            text += f", preview URLs: {_onoff(self.previous_previews)} -> {_onoff(self.previews)}"
        return text


@dataclass(frozen=True, slots=True)
class SetScriptSettings:
    """Change non-versioned settings (tags, logpush, observability) in one PATCH of script-settings."""

    script: str
    changes: tuple[tuple[str, Any], ...]  # (setting, new value), only those that differ
    previous: tuple[tuple[str, Any], ...] = ()
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "script_settings"

    def describe(self) -> str:
        before = dict(self.previous)
        parts = []
        for name, value in self.changes:
            old = before.get(name)
            if name == "tags":
                added = [t for t in value if t not in (old or ())]
                removed = [t for t in old or () if t not in value]
                parts.append("tags " + ", ".join(([f"+{added}"] if added else []) + ([f"-{removed}"] if removed else [])))
            elif name == "logpush":
                parts.append(f"logpush {_onoff(old)} -> {_onoff(value)}")
            else:
                parts.append(f"{name} {value}")
        return f"script settings: {'; '.join(parts)}"


@dataclass(frozen=True, slots=True)
class PutSchedules:
    script: str
    crons: tuple[str, ...]
    previous: tuple[str, ...] | None
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "schedules"

    def describe(self) -> str:
        if not self.crons:
            return f"remove cron triggers {list(self.previous or ())}"
        return f"set cron triggers {list(self.crons)}" + (f" (were {list(self.previous)})" if self.previous else "")


@dataclass(frozen=True, slots=True)
class CreateRoute:
    zone_id: str
    zone_name: str
    pattern: str
    script: str
    phase: Phase = "routes"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        return f"add route {self.pattern} (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class UpdateRoute:
    """Point an existing route at this script: unassigned, or taken over with --take-over-routes."""

    zone_id: str
    zone_name: str
    route_id: str
    pattern: str
    script: str
    previous_script: str | None
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_script is not None

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        if self.previous_script:
            return f"take over route {self.pattern} from worker {self.previous_script!r} (zone {self.zone_name})"
        return f"assign unused route {self.pattern} to this worker (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class DeleteRoute:
    zone_id: str
    zone_name: str
    route_id: str
    pattern: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        return f"delete route {self.pattern} (zone {self.zone_name}; no longer in worker.toml)"


@dataclass(frozen=True, slots=True)
class AttachDomain:
    """Attach a hostname: taken from another Worker with --take-over-routes (override_existing_origin),
    replacing its own DNS records with --override-dns (override_existing_dns_record)."""

    hostname: str
    zone_id: str
    zone_name: str
    script: str
    previous_service: str | None = None
    replaces_records: tuple[str, ...] = ()  # labels of the DNS records --override-dns replaces
    override_dns: bool = False  # send override_existing_dns_record (only ever from --override-dns)
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_service is not None or self.override_dns

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    def describe(self) -> str:
        if self.previous_service:
            text = f"move custom domain {self.hostname} from worker {self.previous_service!r}"
        else:
            text = f"attach custom domain {self.hostname} (zone {self.zone_name})"
        if self.replaces_records:
            text += f", replacing its DNS record(s) {', '.join(self.replaces_records)}"
        return text


@dataclass(frozen=True, slots=True)
class DetachDomain:
    domain_id: str
    hostname: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    def describe(self) -> str:
        return f"detach custom domain {self.hostname} (no longer in worker.toml)"


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
class CreateDnsRecord:
    zone_id: str
    zone_name: str
    record: RecordData
    phase: Phase = "post"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"dns:{self.record.type}:{self.record.name}:{self.record.content}"

    def describe(self) -> str:
        return f"create DNS record {self.record.label()}{_record_extras(self.record)}"


@dataclass(frozen=True, slots=True)
class UpdateDnsRecord:
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
class DeleteDnsRecord:
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

    def describe(self) -> str:
        return f"delete DNS record {self.record.label()}" + (f" ({self.reason})" if self.reason else "")


@dataclass(frozen=True, slots=True)
class ApplyDnsBatch:
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

    def operations(self) -> list[tuple[str, int, str]]:
        """(section, index, line) for every record, in the API's order: deletes, patches, posts."""
        out = [("deletes", i, f"- {r.label()}") for i, (_, r) in enumerate(self.deletes)]
        out += [("patches", i, f"~ {old.label()}: {', '.join(record_changes(old, new))}")
                for i, (_, new, old) in enumerate(self.patches)]
        out += [("posts", i, f"+ {r.label()}") for i, r in enumerate(self.posts)]
        return out


_PURGE_NOUNS = {"files": "URL(s)", "tags": "cache tag(s)", "hosts": "host(s)", "prefixes": "prefix(es)"}


@dataclass(frozen=True, slots=True)
class PurgeCache:
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
Step = Union[CreateKVNamespace, UploadScript, DeployVersion, SetWorkersDev, SetScriptSettings, PutSchedules,
             CreateRoute, UpdateRoute, DeleteRoute, AttachDomain, DetachDomain, CreateDnsRecord, UpdateDnsRecord,
             DeleteDnsRecord, ApplyDnsBatch, PurgeCache]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the plan refuses to do without an explicit flag: the deploy stops before any write."""

    subject: str
    owner: str
    fix: str
    verb: str = "belongs to"

    def describe(self) -> str:
        return f"{self.subject} {self.verb} {self.owner}"


@dataclass(frozen=True, slots=True)
class Blocker:
    """A precondition that fails (e.g. a required secret is missing): nothing is written."""

    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered steps of a deploy plus everything that stops or annotates it."""

    script: str
    steps: tuple[Step, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()  # informational lines (var changes, skipped upload, ...)
    skipped_checks: tuple[str, ...] = ()  # remote checks a dry run without credentials did not do
    facts: dict[str, Any] = field(default_factory=dict)  # urls etc. for the summary

    @property
    def destructive_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.destructive)

    @property
    def writes(self) -> int:
        return len(self.steps)

    def by_phase(self, phase: Phase) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.phase == phase)
