"""Workers Routes: the zone routes that send traffic to this script.

A configured route is created where missing; an unassigned one with the same pattern is
pointed at this script; one owned by another script is a Conflict unless
--take-over-routes (then a destructive take-over). Routes of this script that left
worker.toml are deleted (destructive) in whatever zone they are: the script's own route
list covers every zone in one read (real-api-quirks #14); when the token may not read it,
only the zones worker.toml names are scanned, with a note. A route whose zone is not in
the account is a Blocker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import routes as routes_api
from cfworker.api.errors import CloudflareAPIError
from cfworker.api.zones import Zone
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Options, Planning, Reader, RemoteSnapshot, Run, refused
from cfworker.deploy.plan import Blocker, Conflict, Phase, StepBase
from cfworker.deploy.zones import resolve_zone, route_host, route_lookups

ROUTE_EXISTS = 10020


@dataclass(frozen=True, slots=True)
class CreateRoute(StepBase):
    zone_id: str
    zone_name: str
    pattern: str
    script: str
    phase: Phase = "routes"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    @property
    def marker(self) -> str:
        return "+"

    def describe(self) -> str:
        return f"add route {self.pattern} (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class UpdateRoute(StepBase):
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
class DeleteRoute(StepBase):
    zone_id: str
    zone_name: str
    route_id: str
    pattern: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    @property
    def marker(self) -> str:
        return "-"

    def describe(self) -> str:
        return f"delete route {self.pattern} (zone {self.zone_name}; no longer in worker.toml)"


@dataclass(frozen=True, slots=True)
class RoutesRead:
    script_routes: tuple[routes_api.ScriptRoute, ...] | None  # every zone; None: not readable
    by_zone: dict[str, tuple[routes_api.Route, ...]]  # zone id -> routes, for the zones worker.toml names
    zones: tuple[Zone, ...] = ()  # zones of the script's routes that worker.toml does not name


def _zone_routes(project: Project) -> list[Any]:
    return [r for r in project.routes if not r.custom_domain]


class RoutesConcern(Concern):
    key = "routes"
    step_types = (CreateRoute, UpdateRoute, DeleteRoute)

    def zones(self, project: Project, options: Options) -> tuple[set[str], set[str]]:
        return route_lookups(_zone_routes(project))

    def read(self, reader: Reader) -> Any:
        """Every route of the script, in any zone (one request); a refused read gives a note."""
        try:
            found = routes_api.list_script_routes(reader.client, reader.account_id, reader.project.name)
        except CloudflareAPIError as exc:
            if not refused(exc):
                raise
            return {"script_routes": None, "note": (
                "could not list this worker's routes in every zone (the token may not read Workers Routes "
                "account-wide); routes in zones worker.toml does not name were not checked for deletion")}
        return {"script_routes": tuple(found) if found is not None else ()}

    def read_after(self, reader: Reader, snapshot: RemoteSnapshot, first: Any) -> Any:
        from cfworker.deploy.remote import fetch_zones

        zone_ids = sorted({z[0] for r in _zone_routes(reader.project) if (z := resolve_zone(r, snapshot.zones))})
        lists = reader.map(lambda zid: tuple(routes_api.list_routes(reader.client, zid)), zone_ids)
        by_zone = dict(zip(zone_ids, lists))
        script_routes = first["script_routes"] if snapshot.script_exists else ()
        known = {z.name for z in snapshot.zones}
        elsewhere = sorted({r.zone_name for r in script_routes or () if r.zone_name and r.zone_name not in known})
        more = fetch_zones(reader.client, reader.account_id, names=elsewhere, hosts=()) if elsewhere else ()
        if first.get("note") and snapshot.script_exists:
            reader.notes.append(first["note"])
        return RoutesRead(script_routes, by_zone, tuple(z for z in more if z.name not in known))

    def plan(self, p: Planning) -> None:
        project = p.project
        routes = _zone_routes(project)
        p.facts.setdefault("urls", []).extend(r.pattern for r in routes)
        if p.snapshot is None:
            for route in routes:
                zone_name = route.zone_name or route.zone_id or route_host(route.pattern) or "?"
                p.steps.append(CreateRoute(route.zone_id or "?", zone_name, route.pattern, project.name))
            if routes:
                p.skipped_checks.append("existing routes (every route is planned as added)")
            return
        read: RoutesRead = p.read(self.key) or RoutesRead((), {})
        zones = p.snapshot.zones
        wanted: dict[str, set[str]] = {}  # zone id -> patterns
        for route in routes:
            zone = resolve_zone(route, zones)
            if zone is None:
                where = f"zone {route.zone_name!r}" if route.zone_name else "zone for its host"
                p.blockers.append(Blocker(f"route {route.pattern}: no {where} in this account",
                                          "add the zone to the account, or fix zone_name/zone_id of the route"))
                continue
            zone_id, zone_name = zone
            wanted.setdefault(zone_id, set()).add(route.pattern)
            existing = next((r for r in read.by_zone.get(zone_id, ()) if r.pattern == route.pattern), None)
            if existing is None:
                p.steps.append(CreateRoute(zone_id, zone_name, route.pattern, project.name))
            elif existing.script == project.name:
                continue
            elif existing.script is None:
                p.steps.append(UpdateRoute(zone_id, zone_name, existing.id, route.pattern, project.name, None))
            elif p.options.take_over_routes:
                p.steps.append(UpdateRoute(zone_id, zone_name, existing.id, route.pattern, project.name,
                                           existing.script))
            else:
                p.conflicts.append(Conflict(
                    f"route {route.pattern} (zone {zone_name})", f"worker {existing.script!r}",
                    f"remove the route from worker {existing.script!r}, or rerun with --take-over-routes to move it"))
        self._stale(p, read, tuple(zones) + read.zones, wanted)

    def _stale(self, p: Planning, read: RoutesRead, zones: tuple[Zone, ...], wanted: dict[str, set[str]]) -> None:
        """Delete steps for this script's routes that left worker.toml, in whatever zone they are."""
        name = p.project.name
        if read.script_routes is None:
            for zone_id, routes in sorted(read.by_zone.items()):
                zone_name = next((z.name for z in zones if z.id == zone_id), zone_id)
                for r in routes:
                    if r.script == name and r.pattern not in wanted.get(zone_id, set()):
                        p.steps.append(DeleteRoute(zone_id, zone_name, r.id, r.pattern))
            return
        for sr in read.script_routes:
            zone = next((z for z in zones if z.name == sr.zone_name), None)
            if zone is not None and sr.pattern in wanted.get(zone.id, set()):
                continue
            if zone is None:
                p.blockers.append(Blocker(
                    f"route {sr.pattern} of this worker (zone {sr.zone_name or 'unknown'}) is no longer in "
                    "worker.toml, but its zone could not be found in this account",
                    "delete the route in the dashboard (Workers Routes of that zone), or add it back to worker.toml"))
                continue
            p.steps.append(DeleteRoute(zone.id, zone.name, sr.id, sr.pattern))

    def execute(self, step: Any, run: Run) -> dict[str, Any] | None:
        c = run.client
        if isinstance(step, CreateRoute):
            return {"id": routes_api.create_route(c, step.zone_id, step.pattern, step.script)}
        if isinstance(step, UpdateRoute):
            routes_api.update_route(c, step.zone_id, step.route_id, step.pattern, step.script)
            return {"id": step.route_id}
        routes_api.delete_route(c, step.zone_id, step.route_id)
        return None

    def recover(self, step: Any, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        """A create whose answer was lost (or 10020): adopted when the route is there for this script."""
        if not isinstance(step, CreateRoute):
            return None
        route = next((r for r in routes_api.list_routes(run.client, step.zone_id)
                      if r.pattern == step.pattern and r.script == step.script), None)
        return {"id": route.id} if route else None
