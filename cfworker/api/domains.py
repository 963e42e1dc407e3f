"""Workers custom domains: `/accounts/{account_id}/workers/domains`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api.client import CloudflareClient


@dataclass(frozen=True, slots=True)
class CustomDomain:
    """A hostname attached to a Worker service."""

    id: str
    hostname: str
    service: str
    zone_id: str | None = None
    environment: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> CustomDomain:
        return cls(id=str(d.get("id", "")), hostname=str(d["hostname"]).lower(), service=str(d.get("service", "")),
                   zone_id=d.get("zone_id"), environment=d.get("environment"))


def list_domains(client: CloudflareClient, account_id: str, *, zone_id: str | None = None) -> list[CustomDomain]:
    """Custom domains of the account, optionally in one zone."""
    params = {"zone_id": zone_id} if zone_id else None
    result = client.call("GET", f"/accounts/{account_id}/workers/domains", params=params) or []
    return [CustomDomain.from_api(d) for d in result]


def attach_domain(client: CloudflareClient, account_id: str, *, hostname: str, service: str, zone_id: str) -> CustomDomain:
    """Attach (or move) a hostname to a Worker; PUT, idempotent."""
    body = {"hostname": hostname, "service": service, "zone_id": zone_id, "environment": "production"}
    return CustomDomain.from_api(client.call("PUT", f"/accounts/{account_id}/workers/domains", json=body))


def detach_domain(client: CloudflareClient, account_id: str, domain_id: str) -> None:
    """Detach a custom domain."""
    client.call("DELETE", f"/accounts/{account_id}/workers/domains/{domain_id}")
