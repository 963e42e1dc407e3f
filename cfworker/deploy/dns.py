"""Plan the DNS hook: [[dns]] records diffed against the zone's records (pure, no I/O).

Ownership: a record this project created ends its comment with `[cfworker:<worker name>]`
(comments exist on every plan, tags only on paid ones). Only such records are updated or
deleted; a record without the marker is never touched: an identical one counts as in
place (with a note), one that would clash (a CNAME beside other records) is a Conflict.
Per wanted record: the owned record with the same type, name and content is updated when
another field differs; else an owned record of the same type and name left over is
updated to the new content; else the record is created. Owned records left over are
deleted (destructive). Up to BATCH_THRESHOLD changes in a zone are single requests; more
go into chunks of the batch endpoint (deletes, patches, posts) as large as the zone's plan
allows (200 on Free, 3,500 on paid plans), or `dns_batch_size` when that is lower. A comment
(with the marker) or tags beyond what the zone's plan allows are a Blocker naming the key:
a batch is all or nothing, so one refused record would fail every change with it.
Zones: `zone` names it; else the longest account zone the name ends with; else (a
relative name such as `www` or `@`) the zone of the Worker's routes when there is one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, replace

from cfworker.api.dns import PROXIABLE, DnsRecord, RecordData
from cfworker.api.zones import Zone
from cfworker.config.model import DnsRecordSpec, Project
from cfworker.deploy.hook_steps import (
    LEFT_CONFIG,
    ApplyDnsBatch,
    CreateDnsRecord,
    DeleteDnsRecord,
    DnsStep,
    UpdateDnsRecord,
)
from cfworker.deploy.plan import Blocker, Conflict
from cfworker.deploy.zones import zone_for_host, zones_of_routes
from cfworker.errors import UserError

BATCH_THRESHOLD = 3  # more changes than this in one zone go through the batch endpoint
UNKNOWN_ZONE = "?"


@dataclass(frozen=True, slots=True)
class DnsPlanLimits:
    """What a zone's plan allows DNS records and batches (research notes §1)."""

    comment_chars: int
    tags_per_record: int
    batch_records: int


# Record attributes: developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/
# Batches: developers.cloudflare.com/dns/manage-dns-records/how-to/batch-record-changes/
FREE_LIMITS = DnsPlanLimits(comment_chars=100, tags_per_record=0, batch_records=200)
PAID_LIMITS = DnsPlanLimits(comment_chars=500, tags_per_record=20, batch_records=3500)


def plan_limits(zone: Zone) -> DnsPlanLimits:
    """The limits of a zone's plan; an unknown plan is treated as Free (the less forgiving)."""
    return FREE_LIMITS if zone.plan in (None, "", "free") else PAID_LIMITS


def _plan_name(zone: Zone) -> str:
    return (zone.plan or "free").capitalize()


def owner_marker(script: str) -> str:
    """The comment suffix that marks a record as created by this Worker's deploys."""
    return f"[cfworker:{script}]"


def managed_comment(comment: str | None, script: str) -> str:
    """The comment cfworker writes: the user's comment, then the ownership marker."""
    marker = owner_marker(script)
    return f"{comment.strip()} {marker}" if comment and comment.strip() else marker


def owner_of(record: DnsRecord) -> str | None:
    """The Worker whose deploys created the record (from its comment's marker), or None."""
    comment = (record.comment or "").rstrip()
    start = comment.rfind("[cfworker:")
    if start < 0 or not comment.endswith("]"):
        return None
    return comment[start + len("[cfworker:"):-1] or None


def is_owned(record: DnsRecord, script: str) -> bool:
    """True when the record's comment carries this Worker's marker."""
    return _has_marker(record, owner_marker(script))


def _has_marker(record: DnsRecord, marker: str) -> bool:
    # Cloudflare's comment filters are case-insensitive; compare the same way.
    return (record.comment or "").rstrip().lower().endswith(marker.lower())


def fqdn(name: str, zone_name: str) -> str:
    """A record name made fully qualified in a zone (`@` is the apex; names in the zone stay)."""
    n = name.strip().rstrip(".").lower()
    if n in ("", "@"):
        return zone_name
    if n == zone_name or n.endswith("." + zone_name):
        return n
    return f"{n}.{zone_name}"


def normalize_content(rtype: str, content: str) -> str:
    """Content as compared: hostnames lowercased without the final dot, IPv6 compressed, TXT unquoted."""
    text = content.strip()
    if rtype in ("CNAME", "MX", "NS"):
        return text.rstrip(".").lower()
    if rtype == "AAAA":
        try:
            return ipaddress.IPv6Address(text).compressed
        except ValueError:
            return text.lower()
    if rtype == "TXT" and len(text) >= 2 and text[0] == text[-1] == '"':
        return text[1:-1]
    return text


def desired_record(spec: DnsRecordSpec, zone_name: str, script: str | None) -> RecordData:
    """What a [[dns]] entry asks for, as the API would store it (proxied records have automatic TTL).

    With a script the comment carries its ownership marker; without one (`dns set`) it is as given.
    """
    proxied = bool(spec.proxied) if spec.type in PROXIABLE else None
    comment = managed_comment(spec.comment, script) if script is not None else spec.comment
    return RecordData(spec.type, fqdn(spec.name, zone_name), normalize_content(spec.type, spec.content),
                      1 if proxied else spec.ttl, proxied, spec.priority, comment, tuple(spec.tags))


@dataclass(frozen=True, slots=True)
class WantedRecord:
    """A [[dns]] entry placed in its zone."""

    zone: Zone
    record: RecordData
    source: str  # "dns[2]", for messages


def _zone_of(spec: DnsRecordSpec, zones: Sequence[Zone], default: Sequence[Zone]) -> Zone | None:
    if spec.zone:
        wanted = spec.zone.lower().rstrip(".")
        return next((z for z in zones if z.name == wanted), None)
    name = spec.name.strip().rstrip(".").lower()
    if name != "@" and (zone := zone_for_host(zones, name)) is not None:
        return zone
    return default[0] if len(default) == 1 else None


def resolve_records(project: Project, zones: Sequence[Zone]) -> tuple[list[WantedRecord], list[Blocker]]:
    """Place each [[dns]] record in its zone; a record without a zone is a Blocker."""
    wanted: list[WantedRecord] = []
    blockers: list[Blocker] = []
    default = zones_of_routes(project.routes, zones)
    for i, spec in enumerate(project.dns or ()):
        where = f"dns[{i}] ({spec.type} {spec.name})"
        zone = _zone_of(spec, zones, default)
        if zone is None and spec.zone:
            blockers.append(Blocker(f"{where}: zone {spec.zone!r} is not in this account",
                                    "fix dns.zone, or add the zone to the account"))
        elif zone is None:
            routes = "the Worker's routes are in several zones" if len(default) > 1 else "no account zone matches it"
            blockers.append(Blocker(f"{where}: which zone? {routes}",
                                    'set zone = "example.com" on the record, or write the name fully qualified'))
        elif problem := _over_plan(spec, zone, project.name, f"dns[{i}]"):
            blockers.append(problem)
        else:
            wanted.append(WantedRecord(zone, desired_record(spec, zone.name, project.name), f"dns[{i}]"))
    return wanted, blockers


def _over_plan(spec: DnsRecordSpec, zone: Zone, script: str, key: str) -> Blocker | None:
    """A Blocker when the record's comment or tags exceed what the zone's plan allows."""
    limits, plan = plan_limits(zone), _plan_name(zone)
    comment = managed_comment(spec.comment, script)
    if len(comment) > limits.comment_chars:
        return Blocker(f"{key}.comment: with cfworker's ownership marker the comment has {len(comment)} characters; "
                       f"zone {zone.name} ({plan} plan) allows {limits.comment_chars}",
                       f"shorten {key}.comment to {limits.comment_chars - len(owner_marker(script)) - 1} characters")
    if len(spec.tags) > limits.tags_per_record:
        allowed = "no record tags" if not limits.tags_per_record else f"{limits.tags_per_record} tags per record"
        return Blocker(f"{key}.tags: {len(spec.tags)} tag(s), but zone {zone.name} ({plan} plan) allows {allowed}",
                       f"remove {key}.tags" if not limits.tags_per_record else f"keep at most {limits.tags_per_record}")
    return None


@dataclass(frozen=True, slots=True)
class DnsScan:
    """What to read of one zone: records at the wanted names, plus the records this Worker owns."""

    zone: Zone
    names: frozenset[str]
    marker: str

    @property
    def owned_only(self) -> bool:
        return not self.names

    def keeps(self, record: DnsRecord) -> bool:
        """True for the records the plan compares against (the rest of the zone is ignored)."""
        return record.name in self.names or _has_marker(record, self.marker)


def dns_scans(project: Project, zones: Sequence[Zone]) -> list[DnsScan]:
    """The zones the DNS plan reads: those of the records, and the route zones (for deletions)."""
    if project.dns is None:
        return []
    wanted, _ = resolve_records(project, zones)
    names: dict[str, set[str]] = {}
    by_id: dict[str, Zone] = {}
    for w in wanted:
        names.setdefault(w.zone.id, set()).add(w.record.name)
        by_id[w.zone.id] = w.zone
    for zone in zones_of_routes(project.routes, zones):
        names.setdefault(zone.id, set())
        by_id.setdefault(zone.id, zone)
    marker = owner_marker(project.name)
    return [DnsScan(by_id[zid], frozenset(n), marker) for zid, n in sorted(names.items())]


def zone_lookups(project: Project) -> tuple[set[str], set[str]]:
    """(zone names to find, host names to place) for the [[dns]] records."""
    names = {spec.zone.lower().rstrip(".") for spec in project.dns or () if spec.zone}
    hosts = {spec.name.lower().rstrip(".") for spec in project.dns or ()
             if not spec.zone and "." in spec.name.strip(".")}
    return names, hosts


@dataclass(frozen=True, slots=True)
class ZoneDiff:
    """What must change in one zone for its owned records to match the wanted ones."""

    creates: tuple[RecordData, ...] = ()
    updates: tuple[tuple[DnsRecord, RecordData], ...] = ()
    deletes: tuple[DnsRecord, ...] = ()
    notes: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()

    @property
    def size(self) -> int:
        return len(self.creates) + len(self.updates) + len(self.deletes)


def _identity(rtype: str, name: str, content: str) -> tuple[str, str, str]:
    return rtype, name, normalize_content(rtype, content)


def differs(have: DnsRecord, want: RecordData) -> bool:
    """True when updating `have` to `want` changes anything the API stores."""
    return (normalize_content(have.type, have.content) != want.content
            or (have.ttl != want.ttl and not want.proxied)
            or (want.type in PROXIABLE and have.proxied != bool(want.proxied))
            or have.priority != want.priority or (have.comment or None) != want.comment
            or sorted(have.tags) != sorted(want.tags))


def _clash(want: RecordData, foreign: Sequence[DnsRecord]) -> DnsRecord | None:
    """A record not owned by cfworker that makes `want` impossible (CNAME rules: 81053/81054)."""
    at_name = [r for r in foreign if r.name == want.name]
    if want.type == "CNAME":
        return at_name[0] if at_name else None
    return next((r for r in at_name if r.type == "CNAME"), None)


def diff_zone(wanted: Sequence[RecordData], have: Sequence[DnsRecord], script: str) -> ZoneDiff:
    """Creates, updates and deletes that make this Worker's records in a zone match `wanted`."""
    owned = sorted((r for r in have if is_owned(r, script)), key=lambda r: (r.type, r.name, r.content, r.id))
    foreign = [r for r in have if not is_owned(r, script)]
    foreign_ids = {_identity(r.type, r.name, r.content): r for r in foreign}
    updates: list[tuple[DnsRecord, RecordData]] = []
    notes: list[str] = []
    conflicts: list[Conflict] = []
    unmatched: list[RecordData] = []
    for want in wanted:
        key = (want.type, want.name, want.content)
        exact = next((r for r in owned if _identity(r.type, r.name, r.content) == key), None)
        if exact is not None:
            owned.remove(exact)
            if differs(exact, want):
                updates.append((exact, want))
        elif key in foreign_ids:
            notes.append(f"DNS {want.label()}: exists but was not created by cfworker; left as it is")
        elif (clash := _clash(want, foreign)) is not None:
            conflicts.append(Conflict(f"DNS record {want.label()}", f"the existing {clash.type} record at "
                                      f"{clash.name} (not created by cfworker)",
                                      "remove or rename that record (cfworker never changes records it did not "
                                      "create), or change this [[dns]] entry"))
        else:
            unmatched.append(want)
            others = [r.content for r in foreign if (r.type, r.name) == (want.type, want.name)]
            if others:
                notes.append(f"DNS {want.type} {want.name}: {', '.join(others)} (not created by cfworker) "
                             "stays beside it; both answer")
    creates: list[RecordData] = []
    for want in unmatched:
        same = next((r for r in owned if (r.type, r.name) == (want.type, want.name)), None)
        if same is not None:
            owned.remove(same)
            updates.append((same, want))
        else:
            creates.append(want)
    return ZoneDiff(tuple(creates), tuple(updates), tuple(owned), tuple(notes), tuple(conflicts))


def zone_steps(zone: Zone, diff: ZoneDiff, batch_size: int, *,
               delete_reason: str = LEFT_CONFIG) -> list[DnsStep]:
    """Single-record steps for a few changes; batch chunks (deletes, patches, posts) for more."""
    if diff.size <= BATCH_THRESHOLD:
        steps: list[DnsStep] = [DeleteDnsRecord(zone.id, zone.name, r.id, r.data, delete_reason)
                                for r in diff.deletes]
        steps += [UpdateDnsRecord(zone.id, zone.name, r.id, want, r.data) for r, want in diff.updates]
        steps += [CreateDnsRecord(zone.id, zone.name, want) for want in diff.creates]
        return steps
    # One sequence in the API's order (deletes, patches, posts) cut into windows of batch_size,
    # so a record that is deleted to make room for another is gone before the other is posted.
    deletes = [(r.id, r.data) for r in diff.deletes]
    patches = [(r.id, want, r.data) for r, want in diff.updates]
    posts = list(diff.creates)
    d, p = len(deletes), len(patches)
    starts = range(0, diff.size, batch_size)
    return [ApplyDnsBatch(zone.id, zone.name, posts=tuple(posts[max(0, s - d - p):max(0, s + batch_size - d - p)]),
                          patches=tuple(patches[max(0, s - d):max(0, s + batch_size - d)]),
                          deletes=tuple(deletes[s:s + batch_size]), part=n, parts=len(starts))
            for n, s in enumerate(starts, start=1)]


@dataclass(frozen=True, slots=True)
class DnsPlan:
    """The DNS hook's share of a deploy plan."""

    steps: tuple[DnsStep, ...] = ()
    notes: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    skipped_checks: tuple[str, ...] = ()


def plan_dns(project: Project, zones: Sequence[Zone], records: dict[str, tuple[DnsRecord, ...]] | None) -> DnsPlan:
    """The DNS steps for a deploy; `records` (zone id -> records read by `dns_scans`) None: not read."""
    if project.dns is None:
        return DnsPlan()
    if records is None:
        return _offline(project)
    wanted, blockers = resolve_records(project, zones)
    if blockers:
        return DnsPlan(blockers=tuple(blockers))
    by_zone: dict[str, list[RecordData]] = {}
    zone_by_id: dict[str, Zone] = {}
    for w in wanted:
        by_zone.setdefault(w.zone.id, []).append(w.record)
        zone_by_id[w.zone.id] = w.zone
    for zone in zones_of_routes(project.routes, zones):
        zone_by_id.setdefault(zone.id, zone)
    steps: list[DnsStep] = []
    notes: list[str] = []
    conflicts: list[Conflict] = []
    for zone_id in sorted(zone_by_id):
        diff = diff_zone(by_zone.get(zone_id, ()), records.get(zone_id, ()), project.name)
        zone = zone_by_id[zone_id]
        size = min(plan_limits(zone).batch_records, project.dns_batch_size or plan_limits(zone).batch_records)
        steps += zone_steps(zone, diff, size)
        notes += diff.notes
        conflicts += diff.conflicts
    return DnsPlan(tuple(steps), tuple(notes), tuple(conflicts))


def _offline(project: Project) -> DnsPlan:
    """Without credentials every record is planned as created (zones as written, or unknown)."""
    steps: list[DnsStep] = []
    for spec in project.dns or ():
        zone_name = spec.zone.lower().rstrip(".") if spec.zone else UNKNOWN_ZONE
        record = desired_record(spec, zone_name, project.name)
        if not spec.zone:
            record = replace(record, name=spec.name)
        steps.append(CreateDnsRecord(UNKNOWN_ZONE, zone_name, record))
    return DnsPlan(tuple(steps), skipped_checks=("existing DNS records (every [[dns]] record is planned as created)",))


def plan_set(zone: Zone, want: RecordData, have: Sequence[DnsRecord], *, given: frozenset[str]) -> list[DnsStep]:
    """`cfworker dns set`: the step (or none) that makes `want` exist; an idempotent upsert.

    The record with the same type, name and content is updated; else the only record of
    that type and name; else one is created. Fields not in `given` keep their current values.
    """
    same = [r for r in have if (r.type, r.name) == (want.type, want.name)]
    target = next((r for r in same if normalize_content(r.type, r.content) == want.content), None)
    if target is None and len(same) == 1:
        target = same[0]
    if target is None and len(same) > 1:
        listing = ", ".join(r.content for r in same)
        raise UserError(f"{want.name} has {len(same)} {want.type} records ({listing}); which one should change?",
                        hint=f"delete the ones you do not want with `cfworker dns delete {want.name} --type "
                             f"{want.type} --content VALUE`, then run dns set again")
    if target is None:
        return [CreateDnsRecord(zone.id, zone.name, want)]
    current = target.data
    merged = replace(current, content=want.content, **{f: getattr(want, f) for f in sorted(given)})
    if merged.proxied:
        merged = replace(merged, ttl=1)
    if not differs(target, merged):
        return []
    return [UpdateDnsRecord(zone.id, zone.name, target.id, merged, current)]
