"""Read the remote state a deploy plan needs, with GET requests only.

`fetch_snapshot` asks only what the project's config makes relevant: the script's settings
(which also say whether it exists), its workers.dev switch, schedules when crons are
configured, the zones and routes that configured routes touch, custom domains when any
are configured, KV namespaces only when a binding without an id cannot reuse the live
script's namespace, and secret names only when worker.toml requires some. For the hooks:
the zones [[dns]] and [purge] name or fall in, and one DNS list per zone (see `read_dns`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from cfworker.api import dns as dns_api
from cfworker.api import domains as domains_api
from cfworker.api import kv as kv_api
from cfworker.api import routes as routes_api
from cfworker.api import workers as workers_api
from cfworker.api import zones as zones_api
from cfworker.api.client import CloudflareClient
from cfworker.config.model import Project
from cfworker.deploy.dns import DnsScan, dns_scans, zone_lookups
from cfworker.deploy.purge import purge_lookups
from cfworker.deploy.zones import route_host, zone_for_host


@dataclass(frozen=True, slots=True)
class RemoteSnapshot:
    """What Cloudflare holds for this project right now (read once per deploy)."""

    account_id: str
    settings: workers_api.ScriptSettings | None = None  # None: the script does not exist yet
    subdomain: workers_api.Subdomain | None = None
    account_subdomain: str | None = None
    schedules: tuple[str, ...] | None = None
    zones: tuple[zones_api.Zone, ...] = ()
    routes: dict[str, tuple[routes_api.Route, ...]] = field(default_factory=dict)  # zone id -> routes
    domains: tuple[domains_api.CustomDomain, ...] | None = None
    kv_namespaces: tuple[kv_api.KVNamespace, ...] | None = None
    secrets: tuple[str, ...] | None = None
    dns_records: dict[str, tuple[dns_api.DnsRecord, ...]] | None = None  # zone id -> records; None: not read

    @property
    def script_exists(self) -> bool:
        return self.settings is not None

    def live_kv_ids(self) -> dict[str, str]:
        """Namespace ids of the live script's KV bindings, by binding name."""
        return live_kv_ids(self.settings)


def live_kv_ids(settings: workers_api.ScriptSettings | None) -> dict[str, str]:
    """Namespace ids of a script's KV bindings, by binding name (empty for a new script)."""
    if settings is None:
        return {}
    return {b["name"]: b["namespace_id"] for b in settings.bindings
            if b.get("type") == "kv_namespace" and b.get("namespace_id")}


def needs_namespace_list(project: Project, live_kv_ids: dict[str, str]) -> bool:
    """True when some KV binding has no id and cannot reuse the live script's namespace."""
    return any(kv.id is None and (kv.title is not None or kv.binding not in live_kv_ids)
               for kv in project.kv_namespaces)


def fetch_zones(client: CloudflareClient, account_id: str, *, names: Iterable[str],
                hosts: Iterable[str]) -> tuple[zones_api.Zone, ...]:
    """Zones by exact name, plus (one listing) the zones that hosts without a zone fall in."""
    found: dict[str, zones_api.Zone] = {}
    for name in sorted(set(names)):
        zone = zones_api.find_zone(client, name, account_id=account_id)
        if zone is not None:
            found[zone.id] = zone
    pending = {h for h in hosts if h and zone_for_host(tuple(found.values()), h) is None}
    if pending:
        for zone in zones_api.list_zones(client, account_id=account_id):
            found.setdefault(zone.id, zone)
    return tuple(found.values())


def read_dns(client: CloudflareClient, scan: DnsScan) -> tuple[dns_api.DnsRecord, ...]:
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


def fetch_snapshot(client: CloudflareClient, project: Project, account_id: str, *,
                   hooks: bool = True) -> RemoteSnapshot:
    """Read everything the planner compares against; GET requests only.

    Independent reads run in parallel (against the real API each is a round trip of tens
    of milliseconds); reads that need an earlier answer (routes and DNS records need zone
    ids, the KV listing needs the live bindings) run in a second round. With hooks=False
    (--no-hooks) nothing is read for the DNS and purge hooks.
    """
    from concurrent.futures import ThreadPoolExecutor

    name = project.name
    custom = any(r.custom_domain for r in project.routes)
    zone_names = [r.zone_name for r in project.routes if r.zone_name]
    hosts = [h for r in project.routes if not r.zone_name and not r.zone_id and (h := route_host(r.pattern))]
    if hooks:
        for more_names, more_hosts in (zone_lookups(project), purge_lookups(project)):
            zone_names += sorted(more_names)
            hosts += sorted(more_hosts)
    with ThreadPoolExecutor(max_workers=6) as pool:
        f_settings = pool.submit(workers_api.get_settings, client, account_id, name)
        f_subdomain = pool.submit(workers_api.get_subdomain, client, account_id, name)
        f_account_sub = pool.submit(workers_api.get_account_subdomain, client, account_id) \
            if project.wants_workers_dev else None
        f_schedules = pool.submit(workers_api.get_schedules, client, account_id, name) \
            if project.crons is not None else None
        f_zones = pool.submit(fetch_zones, client, account_id, names=zone_names, hosts=hosts) \
            if zone_names or hosts else None
        f_domains = pool.submit(domains_api.list_domains, client, account_id) if custom else None
        f_secrets = pool.submit(workers_api.list_secrets, client, account_id, name) if project.secrets else None

        settings = f_settings.result()
        zones = f_zones.result() if f_zones else ()
        zone_ids = _route_zone_ids(project, zones)
        f_routes = {zid: pool.submit(routes_api.list_routes, client, zid) for zid in sorted(zone_ids)}
        f_namespaces = pool.submit(kv_api.list_namespaces, client, account_id) \
            if needs_namespace_list(project, live_kv_ids(settings)) else None
        f_dns = {scan.zone.id: pool.submit(read_dns, client, scan) for scan in dns_scans(project, zones)} \
            if hooks and project.dns is not None else None
        routes = {zid: tuple(f.result()) for zid, f in f_routes.items()}
        secrets = f_secrets.result() if f_secrets else None
        return RemoteSnapshot(
            account_id=account_id,
            settings=settings,
            subdomain=f_subdomain.result() if settings is not None else None,
            account_subdomain=f_account_sub.result() if f_account_sub else None,
            schedules=f_schedules.result() if f_schedules and settings is not None else None,
            zones=zones,
            routes=routes,
            domains=tuple(f_domains.result()) if f_domains else None,
            kv_namespaces=tuple(f_namespaces.result()) if f_namespaces else None,
            secrets=tuple(secrets) if secrets is not None else None,
            dns_records={zid: f.result() for zid, f in f_dns.items()} if f_dns is not None else None,
        )


def _route_zone_ids(project: Project, zones: tuple[zones_api.Zone, ...]) -> set[str]:
    """Ids of the zones whose routes the plan compares (custom domains excluded)."""
    ids: set[str] = set()
    for route in project.routes:
        if route.custom_domain:
            continue
        if route.zone_id:
            ids.add(route.zone_id)
        elif (zone := _zone_of(route.zone_name, route.pattern, zones)) is not None:
            ids.add(zone.id)
    return ids


def _zone_of(zone_name: str | None, pattern: str, zones: tuple[zones_api.Zone, ...]) -> zones_api.Zone | None:
    if zone_name:
        return next((z for z in zones if z.name == zone_name.lower().rstrip(".")), None)
    host = route_host(pattern)
    return zone_for_host(zones, host) if host else None
