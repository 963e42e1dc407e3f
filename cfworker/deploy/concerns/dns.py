"""The DNS hook as a deploy concern: [[dns]] records, diffed by deploy.dns, run last.

Reads one record list per zone the plan touches (`read_dns`); a deploy with --no-hooks
reads and plans nothing here. Steps run through deploy.hook_runner, which `cfworker dns`
shares.
"""

from __future__ import annotations

from typing import Any

from cfworker.api import dns as dns_api
from cfworker.api.errors import CloudflareAPIError
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Options, Planning, Reader, RemoteSnapshot, Run
from cfworker.deploy.dns import DnsScan, dns_scans, plan_dns, zone_lookups
from cfworker.deploy.hook_runner import HookRunner
from cfworker.deploy.hook_steps import ApplyDnsBatch, CreateDnsRecord, DeleteDnsRecord, UpdateDnsRecord
from cfworker.deploy.zones import route_lookups


def read_dns(client: Any, scan: DnsScan) -> tuple[dns_api.DnsRecord, ...]:
    """One zone's records the DNS plan compares against, in one (paginated) list request.

    Only owned records needed: filter by the marker. One wanted name: that name or the
    marker (match=any). Several names: the whole zone, since the API takes one name filter.
    """
    zone_id, marker = scan.zone.id, scan.marker
    if scan.owned_only:
        records = dns_api.list_records(client, zone_id, comment_endswith=marker)
    elif len(scan.names) == 1:
        records = dns_api.list_records(client, zone_id, name=next(iter(scan.names)), comment_endswith=marker,
                                       match_any=True)
    else:
        records = dns_api.list_records(client, zone_id)
    return tuple(r for r in records if scan.keeps(r))


def hook_runner(run: Run) -> HookRunner:
    """The run's one HookRunner (it keeps the purge pacers for the whole run)."""
    runner = run.state.get("hooks")
    if runner is None:
        runner = run.state["hooks"] = HookRunner(run.client, announce=run.announce)
    assert isinstance(runner, HookRunner)
    return runner


class HookConcern(Concern):
    """What the DNS and purge concerns share: steps run and recovered by the HookRunner."""

    def execute(self, step: Any, run: Run) -> dict[str, Any]:
        return hook_runner(run).run(step)

    def recover(self, step: Any, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        return hook_runner(run).recover(step)


class DnsConcern(HookConcern):
    key = "dns"
    step_types = (CreateDnsRecord, UpdateDnsRecord, DeleteDnsRecord, ApplyDnsBatch)

    def zones(self, project: Project, options: Options) -> tuple[set[str], set[str]]:
        if not options.hooks or project.dns is None:
            return set(), set()
        names, hosts = zone_lookups(project)
        route_names, route_hosts = route_lookups(project.routes)  # relative names fall in the routes' zone
        return names | route_names, hosts | route_hosts

    def read_after(self, reader: Reader, snapshot: RemoteSnapshot, first: Any) -> Any:
        if not reader.options.hooks or reader.project.dns is None:
            return None
        scans = dns_scans(reader.project, snapshot.zones)
        found = reader.map(lambda scan: read_dns(reader.client, scan), scans)
        return {scan.zone.id: records for scan, records in zip(scans, found)}

    def plan(self, p: Planning) -> None:
        if not p.options.hooks:
            return
        zones = p.snapshot.zones if p.snapshot is not None else ()
        dns = plan_dns(p.project, zones, p.read(self.key) if p.snapshot is not None else None)
        p.steps += dns.steps
        p.notes += dns.notes
        p.conflicts += dns.conflicts
        p.blockers += dns.blockers
        p.skipped_checks += dns.skipped_checks
