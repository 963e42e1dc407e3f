"""Zones: find a zone by name, or list the account's zones (zone matching lives in the planner)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api.client import CloudflareClient


@dataclass(frozen=True, slots=True)
class Zone:
    """A zone (domain) in the account."""

    id: str
    name: str
    status: str = "active"
    plan: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Zone:
        plan = d.get("plan") or {}
        return cls(id=str(d["id"]), name=str(d["name"]).lower(), status=str(d.get("status", "active")),
                   plan=(plan.get("legacy_id") or plan.get("name")) if isinstance(plan, dict) else None)


def find_zone(client: CloudflareClient, name: str, *, account_id: str | None = None) -> Zone | None:
    """The zone with exactly this name in the account, or None."""
    params: dict[str, Any] = {"name": name.lower().rstrip(".")}
    if account_id:
        params["account.id"] = account_id
    for d in client.paginate_pages("/zones", params=params, per_page=50):
        if str(d.get("name", "")).lower() == params["name"]:
            return Zone.from_api(d)
    return None


def list_zones(client: CloudflareClient, *, account_id: str | None = None) -> list[Zone]:
    """Every zone the credentials can see (in one account when given)."""
    params = {"account.id": account_id} if account_id else {}
    return [Zone.from_api(d) for d in client.paginate_pages("/zones", params=params, per_page=50)]
