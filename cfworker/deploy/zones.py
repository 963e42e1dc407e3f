"""Which zone a route pattern or host name belongs to (pure).

A route pattern such as `https://*.shop.example.com/api/*` has the host
`shop.example.com`; it belongs to the account zone with the longest name that is the
host itself or a suffix of it at a label boundary (`example.com`, not `ample.com`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar


class _Named(Protocol):
    @property
    def name(self) -> str: ...


Z = TypeVar("Z", bound=_Named)


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
