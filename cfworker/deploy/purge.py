"""Plan the purge hook: [purge] into one PurgeCache step per request (pure, no I/O).

Files may name the Worker's own hosts: `{host}` becomes each route host, `{routes}` each
route pattern without scheme and trailing `*` (routes on a wildcard host are skipped).
Each item goes to one zone: `purge.zone` when set; else URLs, hosts and prefixes go to
the zone of their host, and tags and purge-everything to every zone of the routes. One
request carries one kind (api-notes §6.3), at most `chunk_size` URLs (more than 100 only
on Enterprise zones, else capped with a note) and at most 100 tags, hosts or prefixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from cfworker.api.cache import MAX_ITEMS, PurgeKind
from cfworker.api.zones import Zone
from cfworker.config.model import Project, PurgeSpec, RouteSpec
from cfworker.deploy.hook_steps import PurgeCache
from cfworker.deploy.plan import Blocker
from cfworker.deploy.zones import route_host, zone_for_host, zones_of_routes

UNKNOWN_ZONE = "?"


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """The purge hook's share of a deploy plan."""

    steps: tuple[PurgeCache, ...] = ()
    notes: tuple[str, ...] = ()
    blockers: tuple[Blocker, ...] = ()


def _route_targets(routes: Sequence[RouteSpec]) -> list[tuple[str, str]]:
    """(host, pattern without scheme and trailing *) of each route on a concrete host."""
    out = []
    for route in routes:
        raw = route.pattern.strip()
        for scheme in ("https://", "http://"):
            if raw.lower().startswith(scheme):
                raw = raw[len(scheme):]
        host = route_host(route.pattern)
        if host is None or raw.startswith("*"):
            continue
        path = raw if route.custom_domain else raw.rstrip("*")
        out.append((host, path if "/" in path else path + "/"))
    return out


def expand_files(files: Sequence[str], routes: Sequence[RouteSpec]) -> tuple[list[str], list[Blocker]]:
    """Files with `{host}` / `{routes}` expanded for each of the Worker's routes (duplicates dropped)."""
    targets = _route_targets(routes)
    urls: list[str] = []
    blockers: list[Blocker] = []
    for i, item in enumerate(files):
        if "{host}" not in item and "{routes}" not in item:
            urls.append(item)
            continue
        if not targets:
            blockers.append(Blocker(f"purge.files[{i}] ({item}) uses a placeholder but the Worker has no routes "
                                    "on a named host", "write full URLs, or add routes to worker.toml"))
            continue
        for host, path in targets:
            urls.append(item.replace("{routes}", path).replace("{host}", host))
    return list(dict.fromkeys(urls)), blockers


def _host_of(kind: PurgeKind, item: str) -> str | None:
    if kind == "files":
        return urlsplit(item).hostname
    if kind == "hosts":
        return item.lower()
    return item.split("/", 1)[0].lower()


def purge_lookups(project: Project) -> tuple[set[str], set[str]]:
    """(zone names to find, hosts to place) for the [purge] items."""
    spec = project.purge
    if spec is None:
        return set(), set()
    if spec.zone:
        return {spec.zone.lower().rstrip(".")}, set()
    files, _ = expand_files(spec.files, project.routes)
    hosts = {h for kind, items in _lists(spec, files) for item in items if (h := _host_of(kind, item))}
    return set(), hosts


def _lists(spec: PurgeSpec, files: Sequence[str]) -> list[tuple[PurgeKind, Sequence[str]]]:
    return [("files", files), ("tags", spec.tags), ("hosts", spec.hosts), ("prefixes", spec.prefixes)]


def plan_purge(project: Project, zones: Sequence[Zone] | None) -> PurgePlan:
    """The purge requests after a deploy (`zones` None: planned without reading Cloudflare)."""
    spec = project.purge
    if spec is None:
        return PurgePlan()
    files, blockers = expand_files(spec.files, project.routes)
    if blockers:
        return PurgePlan(blockers=tuple(blockers))
    fixed, route_zones, blockers = _zones(spec, project, zones)
    if blockers:
        return PurgePlan(blockers=tuple(blockers))
    return purge_steps(spec, files, zones, fixed=fixed, default=route_zones)


def purge_steps(spec: PurgeSpec, files: Sequence[str], zones: Sequence[Zone] | None, *, fixed: Zone | None,
                default: Sequence[Zone]) -> PurgePlan:
    """Group items by zone and kind, then chunk: `fixed` takes every item; else URLs, hosts and
    prefixes go to the zone of their host and tags/everything to each `default` zone."""
    notes: list[str] = []
    blockers: list[Blocker] = []
    groups: dict[tuple[str, PurgeKind], list[str]] = {}
    zone_by_id: dict[str, Zone] = {}
    if spec.everything:
        for zone in ([fixed] if fixed else default):
            groups[(zone.id, "everything")] = []
            zone_by_id[zone.id] = zone
    for kind, items in _lists(spec, files):
        for item in items:
            targets: list[Zone | None] = [fixed] if fixed else list(default) if kind == "tags" \
                else [_zone_for(kind, item, zones)]
            for target in targets:
                if target is None:
                    blockers.append(Blocker(f"purge.{kind}: {item!r} is in no zone of this account",
                                            "set [purge] zone, or fix the item's host name"))
                    continue
                groups.setdefault((target.id, kind), []).append(item)
                zone_by_id[target.id] = target
    if blockers:
        return PurgePlan(blockers=tuple(blockers))
    steps: list[PurgeCache] = []
    for (zone_id, kind), items in groups.items():
        zone = zone_by_id[zone_id]
        if kind == "everything":
            steps.append(PurgeCache(zone.id, zone.name, "everything", zone_plan=zone.plan))
            continue
        size = _chunk_size(spec, kind, zone, notes)
        chunks = [tuple(items[i:i + size]) for i in range(0, len(items), size)]
        steps += [PurgeCache(zone.id, zone.name, kind, chunk, n, len(chunks), zone.plan)
                  for n, chunk in enumerate(chunks, start=1)]
    return PurgePlan(tuple(steps), tuple(notes))


def _zones(spec: PurgeSpec, project: Project, zones: Sequence[Zone] | None
           ) -> tuple[Zone | None, list[Zone], list[Blocker]]:
    """(the [purge] zone when set, the route zones, problems); placeholder zones without a snapshot."""
    if zones is None:
        name = spec.zone.lower().rstrip(".") if spec.zone else UNKNOWN_ZONE
        offline = Zone(UNKNOWN_ZONE, name, plan=None)
        return offline, [offline], []
    if spec.zone:
        wanted = spec.zone.lower().rstrip(".")
        zone = next((z for z in zones if z.name == wanted), None)
        if zone is None:
            return None, [], [Blocker(f"purge.zone {spec.zone!r} is not in this account",
                                      "fix [purge] zone, or add the zone to the account")]
        return zone, [], []
    route_zones = zones_of_routes(project.routes, zones)
    if not route_zones and (spec.everything or spec.tags):
        what = "everything = true" if spec.everything else "tags"
        return None, [], [Blocker(f"[purge] {what} needs a zone, and the Worker has no routes in an account zone",
                                  'set zone = "example.com" in [purge]')]
    return None, route_zones, []


def _zone_for(kind: PurgeKind, item: str, zones: Sequence[Zone] | None) -> Zone | None:
    host = _host_of(kind, item)
    return zone_for_host(zones or (), host) if host else None


def _chunk_size(spec: PurgeSpec, kind: PurgeKind, zone: Zone, notes: list[str]) -> int:
    """Items per request: chunk_size, capped at 100 except for URLs on Enterprise zones."""
    if spec.chunk_size <= MAX_ITEMS:
        return spec.chunk_size
    if kind == "files" and zone.plan in ("enterprise", None):
        return spec.chunk_size
    note = f"purge: {MAX_ITEMS} {kind} per request in zone {zone.name} (chunk_size {spec.chunk_size} needs " \
           "Enterprise, and applies to URLs only)"
    if note not in notes:
        notes.append(note)
    return MAX_ITEMS
