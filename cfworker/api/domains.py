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
    """Custom domains of the account, optionally in one zone (one answer, not paginated)."""
    params = {"zone_id": zone_id} if zone_id else None
    result = client.list_single(f"/accounts/{account_id}/workers/domains", params=params)
    return [CustomDomain.from_api(d) for d in result if isinstance(d, dict) and "hostname" in d]


def attach_domain(client: CloudflareClient, account_id: str, *, hostname: str, service: str, zone_id: str,
                  override_origin: bool = False, override_dns: bool = False) -> CustomDomain:
    """Attach a hostname to a Worker; PUT, idempotent.

    The API refuses a hostname another Worker has (409, 100116) unless `override_origin`,
    and one with DNS records of its own (409, 100117) unless `override_dns`, which replaces
    those records (real-api-quirks #6). Each override is sent only when the user asked.
    """
    body: dict[str, Any] = {"hostname": hostname, "service": service, "zone_id": zone_id, "environment": "production"}
    if override_origin:
        body["override_existing_origin"] = True
    if override_dns:
        body["override_existing_dns_record"] = True
    result = client.call("PUT", f"/accounts/{account_id}/workers/domains", json=body)
    if not isinstance(result, dict) or "hostname" not in result:
        from cfworker.api.errors import UnexpectedAnswer

        raise UnexpectedAnswer("PUT", f"/accounts/{account_id}/workers/domains", "no custom domain in the result")
    return CustomDomain.from_api(result)


def detach_domain(client: CloudflareClient, account_id: str, domain_id: str) -> None:
    """Detach a custom domain."""
    client.call("DELETE", f"/accounts/{account_id}/workers/domains/{domain_id}")
