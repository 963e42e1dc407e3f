"""Read the remote state a deploy plan needs, with GET requests only.

`fetch_snapshot` asks only what the project's config makes relevant: the script's settings
(which also say whether it exists), the current deployment and the version it serves (to
see whether what is live is cfworker's upload of this tree), its workers.dev switch,
schedules when crons are configured, every route of the script in any zone (one request),
the zones and routes that configured routes touch, the account's custom domains, DNS
records that would stand in the way of a custom domain, KV namespaces only when a binding
without an id cannot reuse the live script's namespace, and secret names only when
worker.toml requires some. For the hooks: the zones [[dns]] and [purge] name or fall in,
and one DNS list per zone (see `read_dns`). A read the token may not be allowed (routes in
other zones, DNS records) degrades to a note instead of failing the deploy.
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
from cfworker.api.errors import CloudflareAPIError
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
    deployments: tuple[workers_api.LiveDeployment, ...] | None = None  # newest (serving) first
    script_routes: tuple[routes_api.ScriptRoute, ...] | None = None  # every zone; None: not read
    domain_dns: dict[str, tuple[dns_api.DnsRecord, ...] | None] = field(default_factory=dict)  # host -> records
    read_notes: tuple[str, ...] = ()  # reads that were refused and what the plan could not check because of it

    @property
    def script_exists(self) -> bool:
        return self.settings is not None

    @property
    def deployment(self) -> workers_api.LiveDeployment | None:
        """The deployment serving traffic now."""
        return self.deployments[0] if self.deployments else None

    @property
    def live_hash(self) -> str | None:
        """The content hash of cfworker's deploy that is live now, or None when what is live is not cfworker's.

        cfworker annotates every deployment it makes. A deployment Cloudflare makes for a
        secret change (`workers/triggered_by: secret`) keeps the code and bindings of the
        one before it, so the walk passes over those; anything else without the annotation
        (wrangler, the dashboard, a rollback, a gradual deployment) ends it.
        """
        from cfworker.upload import hash_from_annotations

        for deployment in self.deployments or ():
            if deployment.single_version is None:
                return None
            found = hash_from_annotations(deployment.annotations)
            if found is not None:
                return found
            if deployment.triggered_by != "secret":
                return None
        return None

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


# Record types a custom domain cannot share its hostname with (100117, real-api-quirks #6).
DOMAIN_CONFLICT_TYPES = frozenset({"A", "AAAA", "CNAME"})
_REFUSED = (401, 403)


def _refused(exc: CloudflareAPIError) -> bool:
    return exc.status in _REFUSED or exc.has_code(10000, 9109)


def read_script_routes(client: CloudflareClient, account_id: str, name: str
                       ) -> tuple[tuple[routes_api.ScriptRoute, ...] | None, str | None]:
    """(every route of the script, note); a refused read gives (None, why)."""
    try:
        found = routes_api.list_script_routes(client, account_id, name)
    except CloudflareAPIError as exc:
        if not _refused(exc):
            raise
        return None, ("could not list this worker's routes in every zone (the token may not read Workers Routes "
                      "account-wide); routes in zones worker.toml does not name were not checked for deletion")
    return (tuple(found) if found is not None else ()), None


def read_domain_dns(client: CloudflareClient, zone_id: str, host: str
                    ) -> tuple[tuple[dns_api.DnsRecord, ...] | None, str | None]:
    """(records named `host` that a custom domain would replace, note); refused read -> (None, why)."""
    try:
        records = dns_api.list_records(client, zone_id, name=host)
    except CloudflareAPIError as exc:
        if not _refused(exc):
            raise
        return None, (f"could not read the DNS records of {host} (the token lacks DNS Read); if it has records of "
                      "its own, attaching it fails with 100117 and --override-dns replaces them")
    return tuple(r for r in records if r.type in DOMAIN_CONFLICT_TYPES), None


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
    ids, the KV listing needs the live bindings) run in a second round. With hooks=False (--no-hooks) nothing is read for the
    DNS and purge hooks.
    """
    from cfworker.concurrency import DaemonPool

    name = project.name
    zone_names = [r.zone_name for r in project.routes if r.zone_name]
    hosts = [h for r in project.routes if not r.zone_name and not r.zone_id and (h := route_host(r.pattern))]
    if hooks:
        for more_names, more_hosts in (zone_lookups(project), purge_lookups(project)):
            zone_names += sorted(more_names)
            hosts += sorted(more_hosts)
    with DaemonPool(max_workers=8, name="snapshot") as pool:  # Ctrl-C never waits for a read in flight
        f_settings = pool.submit(workers_api.get_settings, client, account_id, name)
        f_deployments = pool.submit(workers_api.list_deployments, client, account_id, name)
        f_subdomain = pool.submit(workers_api.get_subdomain, client, account_id, name)
        f_script_routes = pool.submit(read_script_routes, client, account_id, name)
        f_domains = pool.submit(domains_api.list_domains, client, account_id)
        f_account_sub = pool.submit(workers_api.get_account_subdomain, client, account_id) \
            if project.wants_workers_dev else None
        f_schedules = pool.submit(workers_api.get_schedules, client, account_id, name) \
            if project.crons is not None else None
        f_zones = pool.submit(fetch_zones, client, account_id, names=zone_names, hosts=hosts) \
            if zone_names or hosts else None
        f_secrets = pool.submit(workers_api.list_secrets, client, account_id, name) if project.secrets else None

        settings = f_settings.result()
        zones = f_zones.result() if f_zones else ()
        zone_ids = _route_zone_ids(project, zones)
        f_routes = {zid: pool.submit(routes_api.list_routes, client, zid) for zid in sorted(zone_ids)}
        f_namespaces = pool.submit(kv_api.list_namespaces, client, account_id) \
            if needs_namespace_list(project, live_kv_ids(settings)) else None
        f_dns = {scan.zone.id: pool.submit(read_dns, client, scan) for scan in dns_scans(project, zones)} \
            if hooks and project.dns is not None else None
        script_routes, routes_note = f_script_routes.result() if settings is not None else ((), None)
        known = {z.name for z in zones}
        elsewhere = sorted({r.zone_name for r in script_routes or () if r.zone_name and r.zone_name not in known})
        f_more_zones = pool.submit(fetch_zones, client, account_id, names=elsewhere, hosts=()) if elsewhere else None
        domains = tuple(f_domains.result())
        f_domain_dns = {host: pool.submit(read_domain_dns, client, zone_id, host)
                        for host, zone_id in _hosts_to_attach(project, zones, domains)}

        routes = {zid: tuple(f.result()) for zid, f in f_routes.items()}
        secrets = f_secrets.result() if f_secrets else None
        notes = [routes_note] if routes_note else []
        domain_dns: dict[str, tuple[dns_api.DnsRecord, ...] | None] = {}
        for host, future in f_domain_dns.items():
            domain_dns[host], note = future.result()
            if note:
                notes.append(note)
        if f_more_zones is not None:
            zones = zones + tuple(z for z in f_more_zones.result() if z.name not in known)
        return RemoteSnapshot(
            account_id=account_id,
            settings=settings,
            subdomain=f_subdomain.result() if settings is not None else None,
            account_subdomain=f_account_sub.result() if f_account_sub else None,
            schedules=f_schedules.result() if f_schedules and settings is not None else None,
            zones=zones,
            routes=routes,
            domains=domains,
            kv_namespaces=tuple(f_namespaces.result()) if f_namespaces else None,
            secrets=tuple(secrets) if secrets is not None else None,
            dns_records={zid: f.result() for zid, f in f_dns.items()} if f_dns is not None else None,
            deployments=f_deployments.result() if settings is not None else None,
            script_routes=script_routes,
            domain_dns=domain_dns,
            read_notes=tuple(notes),
        )


def _hosts_to_attach(project: Project, zones: tuple[zones_api.Zone, ...],
                     domains: tuple[domains_api.CustomDomain, ...]) -> list[tuple[str, str]]:
    """(hostname, zone id) of configured custom domains not yet attached to this script."""
    ours = {d.hostname for d in domains if d.service == project.name}
    out = []
    for route in project.routes:
        host = route.pattern.lower()
        if not route.custom_domain or host in ours:
            continue
        zone_id = route.zone_id or getattr(_zone_of(route.zone_name, route.pattern, zones), "id", None)
        if zone_id:
            out.append((host, zone_id))
    return out


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
