"""Run post-deploy hook steps (DNS records, cache purge) against the API.

Shared by the deploy executor and by `cfworker dns` / `cfworker purge`, so a command does
exactly what the same step does in a deploy. Updates send only the changed fields
(PATCH). Deleting a record that is already gone counts as done, so a rerun converges.
Tag, host, prefix and purge-everything requests wait for a token of a per-plan
`PurgePacer` (Cloudflare's purge bucket, api-notes §6.3); a 429 that still happens is
retried by the client after Retry-After. `recover` reads back after a POST (a create or
a batch) failed without a clear answer: a batch is all or nothing, so one read tells.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cfworker.api import cache as cache_api
from cfworker.api import dns as dns_api
from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError
from cfworker.deploy.dns import normalize_content
from cfworker.deploy.hook_steps import (
    ApplyDnsBatch,
    CreateDnsRecord,
    DeleteDnsRecord,
    HookStep,
    PurgeCache,
    UpdateDnsRecord,
)

_RECORD_GONE = 81044  # "Record does not exist."


class HookRunner:
    """Performs hook steps with one client; keeps the purge pacers of each zone plan for the run.

    Purge limits are per account and plan (api.cache), so one pacer per plan and kind serves
    every zone of that plan. `announce` gets a line whenever pacing waits longer than a second.
    """

    def __init__(self, client: CloudflareClient, *, announce: Callable[[str], None] | None = None) -> None:
        self.client = client
        self._pacers: dict[tuple[str, str], cache_api.PurgePacer] = {}
        self._announce = announce

    def run(self, step: HookStep) -> dict[str, Any]:
        """Apply one hook step; returns what the --json result shows for it."""
        c = self.client
        match step:
            case CreateDnsRecord(zone_id=zone_id, record=record):
                return {"id": dns_api.create_record(c, zone_id, record).id}
            case UpdateDnsRecord(zone_id=zone_id, record_id=record_id, record=record, previous=previous):
                dns_api.patch_record(c, zone_id, record_id, record, old=previous)
                return {"id": record_id}
            case DeleteDnsRecord(zone_id=zone_id, record_id=record_id):
                try:
                    dns_api.delete_record(c, zone_id, record_id)
                except CloudflareAPIError as exc:
                    if not exc.has_code(_RECORD_GONE):
                        raise
                    return {"id": record_id, "already_deleted": True}
                return {"id": record_id}
            case ApplyDnsBatch(zone_id=zone_id):
                result = dns_api.batch(c, zone_id, deletes=[record_id for record_id, _ in step.deletes],
                                       patches=step.patches, posts=step.posts)
                return {"created": len(result.posted), "updated": len(result.patched), "deleted": len(result.deleted)}
            case PurgeCache(zone_id=zone_id, kind=kind, items=items):
                if cache_api.is_rate_limited_kind(kind):
                    self._pacer(step.zone_plan, "bucket").acquire(announce=self._announce)
                else:
                    self._pacer(step.zone_plan, "urls").acquire(len(items), announce=self._announce)
                purge = cache_api.purge_cache(c, zone_id, kind, items)
                return {"purge_id": purge.id, "purged": len(items)}
        raise AssertionError(f"not a hook step: {type(step).__name__}")

    def _pacer(self, plan: str | None, kind: str) -> cache_api.PurgePacer:
        key = ((plan or "free").lower(), kind)
        if key not in self._pacers:
            make = cache_api.PurgePacer.for_plan if kind == "bucket" else cache_api.PurgePacer.for_urls
            self._pacers[key] = make(key[0], sleep=self.client.sleep)
        return self._pacers[key]

    def recover(self, step: HookStep) -> dict[str, Any] | None:
        """After an unclear answer to a POST: the step's output when it was applied, else None."""
        c = self.client
        match step:
            case CreateDnsRecord(zone_id=zone_id, record=record):
                found = next((r for r in dns_api.list_records(c, zone_id, type=record.type, name=record.name)
                              if normalize_content(r.type, r.content) == record.content), None)
                return {"id": found.id, "confirmed": True} if found else None
            case ApplyDnsBatch(zone_id=zone_id):
                records = dns_api.list_records(c, zone_id)
                if _batch_applied(step, records):
                    return {"created": len(step.posts), "updated": len(step.patches), "deleted": len(step.deletes),
                            "confirmed": True}
        return None


def _batch_applied(step: ApplyDnsBatch, records: list[dns_api.DnsRecord]) -> bool:
    """True when the zone shows every change of the batch (it is all or nothing)."""
    ids = {r.id: r for r in records}
    present = {(r.type, r.name, normalize_content(r.type, r.content)) for r in records}
    deleted = all(record_id not in ids for record_id, _ in step.deletes)
    patched = all(record_id in ids and normalize_content(new.type, ids[record_id].content) == new.content
                  for record_id, new, _ in step.patches)
    posted = all((r.type, r.name, r.content) in present for r in step.posts)
    return deleted and patched and posted
