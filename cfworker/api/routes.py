"""Zone-level Workers routes: `/zones/{zone_id}/workers/routes` CRUD."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api.client import CloudflareClient


@dataclass(frozen=True, slots=True)
class Route:
    """A route pattern in a zone and the script it runs (None: the route runs no Worker)."""

    id: str
    pattern: str
    script: str | None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Route:
        return cls(id=str(d["id"]), pattern=str(d["pattern"]), script=d.get("script") or None)


def list_routes(client: CloudflareClient, zone_id: str) -> list[Route]:
    """Every Workers route of a zone."""
    return [Route.from_api(d) for d in client.paginate(f"/zones/{zone_id}/workers/routes", per_page=50)]


def create_route(client: CloudflareClient, zone_id: str, pattern: str, script: str) -> str:
    """Create a route for a script; returns the route id. A POST: never retried after it was sent."""
    result = client.call("POST", f"/zones/{zone_id}/workers/routes", json={"pattern": pattern, "script": script})
    return str(result.get("id", "")) if isinstance(result, dict) else str(result or "")


def update_route(client: CloudflareClient, zone_id: str, route_id: str, pattern: str, script: str) -> None:
    """Point an existing route at a script."""
    client.call("PUT", f"/zones/{zone_id}/workers/routes/{route_id}", json={"pattern": pattern, "script": script})


def delete_route(client: CloudflareClient, zone_id: str, route_id: str) -> None:
    """Delete a route."""
    client.call("DELETE", f"/zones/{zone_id}/workers/routes/{route_id}")
