"""Custom domains: hostnames attached to this Worker (routes with `custom_domain = true`).

A hostname is attached where it is not; one attached to another Worker is a Conflict
unless --take-over-routes (then moved, destructive: override_existing_origin). One with
A/AAAA/CNAME records of its own is a Conflict unless --override-dns, which lets
Cloudflare replace them (override_existing_dns_record, real-api-quirks #6; never implied
by --take-over-routes). Custom domains of this Worker that left worker.toml are detached
(destructive). A DNS read the token may not make degrades to a note.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import dns as dns_api
from cfworker.api import domains as domains_api
from cfworker.api.errors import CloudflareAPIError
from cfworker.config.model import Project, RouteSpec
from cfworker.deploy.concern import Concern, Options, Planning, Reader, RemoteSnapshot, Run, refused
from cfworker.deploy.plan import Blocker, Conflict, Phase, StepBase
from cfworker.deploy.zones import resolve_zone, route_host, route_lookups

# Record types a custom domain cannot share its hostname with (100117, real-api-quirks #6).
DOMAIN_CONFLICT_TYPES = frozenset({"A", "AAAA", "CNAME"})


@dataclass(frozen=True, slots=True)
class AttachDomain(StepBase):
    """Attach a hostname: taken from another Worker with --take-over-routes (override_existing_origin),
    replacing its own DNS records with --override-dns (override_existing_dns_record)."""

    hostname: str
    zone_id: str
    zone_name: str
    script: str
    previous_service: str | None = None
    replaces_records: tuple[str, ...] = ()  # labels of the DNS records --override-dns replaces
    override_dns: bool = False  # send override_existing_dns_record (only ever from --override-dns)
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_service is not None or self.override_dns

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    @property
    def marker(self) -> str:
        return "+"

    def describe(self) -> str:
        if self.previous_service:
            text = f"move custom domain {self.hostname} from worker {self.previous_service!r}"
        else:
            text = f"attach custom domain {self.hostname} (zone {self.zone_name})"
        if self.replaces_records:
            text += f", replacing its DNS record(s) {', '.join(self.replaces_records)}"
        return text


@dataclass(frozen=True, slots=True)
class DetachDomain(StepBase):
    domain_id: str
    hostname: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    @property
    def marker(self) -> str:
        return "-"

    def describe(self) -> str:
        return f"detach custom domain {self.hostname} (no longer in worker.toml)"


@dataclass(frozen=True, slots=True)
class DomainsRead:
    domains: tuple[domains_api.CustomDomain, ...]
    dns: dict[str, tuple[dns_api.DnsRecord, ...] | None]  # host -> its conflicting records; None: not readable


def _custom(project: Project) -> list[RouteSpec]:
    return [r for r in project.routes if r.custom_domain]


class DomainsConcern(Concern):
    key = "domains"
    step_types = (AttachDomain, DetachDomain)

    def zones(self, project: Project, options: Options) -> tuple[set[str], set[str]]:
        return route_lookups(_custom(project))

    def read(self, reader: Reader) -> Any:
        return tuple(domains_api.list_domains(reader.client, reader.account_id))

    def read_after(self, reader: Reader, snapshot: RemoteSnapshot, first: Any) -> Any:
        """The DNS records of each hostname still to attach (they would make the attach fail)."""
        ours = {d.hostname for d in first if d.service == reader.project.name}
        todo = [(route.pattern.lower(), zone[0]) for route in _custom(reader.project)
                if route.pattern.lower() not in ours and (zone := resolve_zone(route, snapshot.zones))]

        def records(item: tuple[str, str]) -> tuple[dns_api.DnsRecord, ...] | None:
            host, zone_id = item
            try:
                found = dns_api.list_records(reader.client, zone_id, name=host)
            except CloudflareAPIError as exc:
                if not refused(exc):
                    raise
                reader.notes.append(f"could not read the DNS records of {host} (the token lacks DNS Read); if it "
                                    "has records of its own, attaching it fails with 100117 and --override-dns "
                                    "replaces them")
                return None
            return tuple(r for r in found if r.type in DOMAIN_CONFLICT_TYPES)

        return DomainsRead(first, dict(zip((h for h, _ in todo), reader.map(records, todo))))

    def plan(self, p: Planning) -> None:
        project = p.project
        custom = _custom(project)
        p.facts.setdefault("urls", []).extend(f"https://{r.pattern}" for r in custom)
        if p.snapshot is None:
            for route in custom:
                zone_name = route.zone_name or route.zone_id or route_host(route.pattern) or "?"
                p.steps.append(AttachDomain(route.pattern.lower(), route.zone_id or "?", zone_name, project.name))
            if custom:
                p.skipped_checks.append("custom domains (every one is planned as attached)")
            return
        read: DomainsRead = p.read(self.key) or DomainsRead((), {})
        for route in custom:
            zone = resolve_zone(route, p.snapshot.zones)
            if zone is None:
                where = f"zone {route.zone_name!r}" if route.zone_name else "zone for its host"
                p.blockers.append(Blocker(f"route {route.pattern}: no {where} in this account",
                                          "add the zone to the account, or fix zone_name/zone_id of the route"))
                continue
            self._plan_domain(p, read, route, *zone)
        hosts = {r.pattern.lower() for r in custom}
        for domain in read.domains:
            if domain.service == project.name and domain.hostname not in hosts:
                p.steps.append(DetachDomain(domain.id, domain.hostname))

    def _plan_domain(self, p: Planning, read: DomainsRead, route: RouteSpec, zone_id: str, zone_name: str) -> None:
        host, script = route.pattern.lower(), p.project.name
        existing = next((d for d in read.domains if d.hostname == host), None)
        if existing is not None and existing.service == script:
            return
        previous = None
        if existing is not None:
            if not p.options.take_over_routes:
                p.conflicts.append(Conflict(
                    f"custom domain {host}", f"worker {existing.service!r}",
                    f"detach it from worker {existing.service!r}, or rerun with --take-over-routes"))
                return
            previous = existing.service
        labels = tuple(r.data.label() for r in read.dns.get(host) or ())
        if labels and not p.options.override_dns:
            p.conflicts.append(Conflict(
                f"custom domain {host}", f"DNS record(s) of its own: {', '.join(labels)}",
                "delete those records, or rerun with --override-dns to let Cloudflare replace them with the custom "
                "domain's (never implied by --take-over-routes)", verb="has"))
            return
        p.steps.append(AttachDomain(host, zone_id, zone_name, script, previous_service=previous,
                                    replaces_records=labels, override_dns=p.options.override_dns))

    def execute(self, step: Any, run: Run) -> dict[str, Any] | None:
        if isinstance(step, AttachDomain):
            domain = domains_api.attach_domain(run.client, run.account_id, hostname=step.hostname,
                                               service=step.script, zone_id=step.zone_id,
                                               override_origin=step.previous_service is not None,
                                               override_dns=step.override_dns)
            return {"id": domain.id}
        domains_api.detach_domain(run.client, run.account_id, step.domain_id)
        return None
