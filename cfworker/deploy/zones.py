"""Which zone a route pattern or host name belongs to (pure).

A route pattern such as `https://*.shop.example.com/api/*` has the host
`shop.example.com`; it belongs to the account zone with the longest name that is the
host itself or a suffix of it at a label boundary (`example.com`, not `ample.com`).
The post-deploy hooks use the zones of the Worker's routes as their default zones.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from cfworker.config.model import RouteSpec


class _Named(Protocol):
    @property
    def name(self) -> str: ...


class _Zone(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def name(self) -> str: ...


Z = TypeVar("Z", bound=_Named)
ZI = TypeVar("ZI", bound=_Zone)


def route_host(pattern: str) -> str | None:
    """The host part of a route pattern, without scheme, wildcard prefix or path; None for `*/...`."""
    rest = pattern.strip()
    for scheme in ("https://", "http://"):
        if rest.lower().startswith(scheme):
            rest = rest[len(scheme):]
    host = rest.split("/", 1)[0].split(":", 1)[0].lower().rstrip(".")
    if host.startswith("*."):
        host = host[2:]
    elif host.startswith("*"):
        host = host[1:]
    return host or None


def zone_for_host(zones: Sequence[Z], host: str) -> Z | None:
    """The zone whose name is the longest label-aligned suffix of host, or None."""
    host = host.lower().rstrip(".")
    best: Z | None = None
    for zone in zones:
        name = zone.name.lower().rstrip(".")
        if host == name or host.endswith("." + name):
            if best is None or len(name) > len(best.name):
                best = zone
    return best


def zone_of_route(route: RouteSpec, zones: Sequence[ZI]) -> ZI | None:
    """The zone a configured route belongs to: by zone_id, zone_name, else its host."""
    if route.zone_id:
        return next((z for z in zones if z.id == route.zone_id), None)
    if route.zone_name:
        wanted = route.zone_name.lower().rstrip(".")
        return next((z for z in zones if z.name == wanted), None)
    host = route_host(route.pattern)
    return zone_for_host(zones, host) if host else None


def zones_of_routes(routes: Sequence[RouteSpec], zones: Sequence[ZI]) -> list[ZI]:
    """The distinct zones of the routes, in route order (routes without a known zone are left out)."""
    out: list[ZI] = []
    for route in routes:
        zone = zone_of_route(route, zones)
        if zone is not None and all(z.id != zone.id for z in out):
            out.append(zone)
    return out


def resolve_zone(route: RouteSpec, zones: Sequence[ZI]) -> tuple[str, str] | None:
    """(zone id, zone name) of a configured route; a zone_id not among `zones` is taken as given."""
    if route.zone_id:
        name = next((z.name for z in zones if z.id == route.zone_id), route.zone_id)
        return route.zone_id, name
    zone = zone_of_route(route, zones)
    return (zone.id, zone.name) if zone is not None else None


def route_lookups(routes: Sequence[RouteSpec]) -> tuple[set[str], set[str]]:
    """(zone names to find, hosts to place) for configured routes without a zone_id."""
    names = {r.zone_name for r in routes if r.zone_name}
    hosts = {h for r in routes if not r.zone_name and not r.zone_id and (h := route_host(r.pattern))}
    return names, hosts
