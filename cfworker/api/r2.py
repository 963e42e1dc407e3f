"""R2 buckets: find one by name, create one (deploy-time provisioning of r2_buckets bindings).

A bucket lives in a jurisdiction (default, eu, fedramp), chosen per request with the
`cf-r2-jurisdiction` header (research notes A4; workers-sdk provision-bindings.ts R2Handler).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError

BUCKET_NOT_FOUND = 10006  # "The specified bucket does not exist." (research notes A4)


@dataclass(frozen=True, slots=True)
class Bucket:
    name: str
    jurisdiction: str | None = None


def _headers(jurisdiction: str | None) -> dict[str, str] | None:
    return {"cf-r2-jurisdiction": jurisdiction} if jurisdiction else None


def get_bucket(client: CloudflareClient, account_id: str, name: str, *, jurisdiction: str | None = None) -> Bucket | None:
    """The bucket called `name` in that jurisdiction, or None when there is none."""
    path = f"/accounts/{account_id}/r2/buckets/{quote(name, safe='')}"
    try:
        result = client.call_object("GET", path, headers=_headers(jurisdiction), required=())
    except CloudflareAPIError as exc:
        if exc.has_code(BUCKET_NOT_FOUND) or (exc.status == 404 and not exc.codes):
            return None
        raise
    return Bucket(str(result.get("name") or name), jurisdiction)


def create_bucket(client: CloudflareClient, account_id: str, name: str, *, jurisdiction: str | None = None) -> Bucket:
    """Create a bucket. A POST: a lost answer is checked with `get_bucket`, never repeated blindly."""
    body: dict[str, Any] = {"name": name}
    client.call("POST", f"/accounts/{account_id}/r2/buckets", json=body, headers=_headers(jurisdiction))
    return Bucket(name, jurisdiction)
