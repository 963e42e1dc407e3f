"""Workers routes: `/zones/{zone_id}/workers/routes` CRUD, and every route of one script."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError
from cfworker.api.workers import SCRIPT_NOT_FOUND


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
    """Every Workers route of a zone: the endpoint is not paginated, one request returns all."""
    return [Route.from_api(d) for d in client.list_single(f"/zones/{zone_id}/workers/routes")]


@dataclass(frozen=True, slots=True)
class ScriptRoute:
    """A route of one script, found across the account's zones (the zone by name)."""

    id: str
    pattern: str
    zone_name: str | None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ScriptRoute:
        zone = d.get("zone_name")
        return cls(id=str(d["id"]), pattern=str(d["pattern"]), zone_name=str(zone).lower() if zone else None)


def list_script_routes(client: CloudflareClient, account_id: str, script: str) -> list[ScriptRoute] | None:
    """Every route of `script` in every zone of the account, in one request; None without a script.

    There is no account-level GET on `.../scripts/{s}/routes`; this services path is what
    wrangler's download-worker-config reads (real-api-quirks #14). Not paginated.
    """
    path = f"/accounts/{account_id}/workers/services/{quote(script, safe='')}/environments/production/routes"
    try:
        items = client.list_single(path, params={"show_zonename": "true"})
    except CloudflareAPIError as exc:
        if exc.has_code(*SCRIPT_NOT_FOUND):
            return None
        raise
    return [ScriptRoute.from_api(d) for d in items if isinstance(d, dict) and "id" in d and "pattern" in d]


def create_route(client: CloudflareClient, zone_id: str, pattern: str, script: str) -> str:
    """Create a route for a script; returns the route id. A POST: never retried after it was sent."""
    result = client.call_object("POST", f"/zones/{zone_id}/workers/routes", json={"pattern": pattern, "script": script})
    return str(result["id"])


def update_route(client: CloudflareClient, zone_id: str, route_id: str, pattern: str, script: str) -> None:
    """Point an existing route at a script."""
    client.call("PUT", f"/zones/{zone_id}/workers/routes/{route_id}", json={"pattern": pattern, "script": script})


def delete_route(client: CloudflareClient, zone_id: str, route_id: str) -> None:
    """Delete a route."""
    client.call("DELETE", f"/zones/{zone_id}/workers/routes/{route_id}")
