"""Workflows: which script and class run a named Workflow of the account.

`GET /accounts/{a}/workflows/{name}` (10200: no such workflow) and `PUT` with
`{script_name, class_name, limits?, schedules?}` after the script is uploaded, as wrangler
registers them (research notes A3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError

WORKFLOW_NOT_FOUND = 10200


@dataclass(frozen=True, slots=True)
class Workflow:
    name: str
    script_name: str | None
    class_name: str | None
    limits: dict[str, Any] | None = None
    schedules: tuple[str, ...] | None = None  # None: the answer does not say


def _path(account_id: str, name: str) -> str:
    return f"/accounts/{account_id}/workflows/{quote(name, safe='')}"


def get_workflow(client: CloudflareClient, account_id: str, name: str) -> Workflow | None:
    try:
        d = client.call_object("GET", _path(account_id, name), required=())
    except CloudflareAPIError as exc:
        if exc.has_code(WORKFLOW_NOT_FOUND) or (exc.status == 404 and not exc.codes):
            return None
        raise
    raw = d.get("schedules")
    schedules = tuple(str(s.get("cron")) for s in raw if isinstance(s, dict)) if isinstance(raw, list) else None
    limits = d.get("limits") if isinstance(d.get("limits"), dict) else None
    return Workflow(str(d.get("name") or name), d.get("script_name"), d.get("class_name"), limits, schedules)


def put_workflow(client: CloudflareClient, account_id: str, name: str, body: dict[str, Any]) -> str | None:
    """Create or update a Workflow; its id when the answer gives one."""
    result = client.call_object("PUT", _path(account_id, name), json=body, required=())
    return str(result["id"]) if result.get("id") else None
