"""Read the remote state a deploy plan needs, with GET requests only.

Two rounds of parallel reads. The first: the script's settings (which also say whether
it exists), its deployments (what is live, and whether it is cfworker's upload of this
tree), the zones that every concern's routes, domains and hooks name or fall in, and each
concern's own first read (`Concern.read`). The second, once those are known: each
concern's `read_after` (routes of a zone need its id, a KV lookup the live bindings).
A concern reads only what the project makes relevant, and a read the token may not make
(routes account-wide, DNS records) becomes a note instead of failing the deploy.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cfworker.api import workers as workers_api
from cfworker.api import zones as zones_api
from cfworker.api.client import CloudflareClient
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Options, Reader, RemoteSnapshot
from cfworker.deploy.zones import zone_for_host


def fetch_zones(client: CloudflareClient, account_id: str, *, names: Iterable[str],
                hosts: Iterable[str]) -> tuple[zones_api.Zone, ...]:
    """Zones by exact name, plus (one listing) the zones that hosts without a zone fall in."""
    found: dict[str, zones_api.Zone] = {}
    for name in sorted({n.lower().rstrip(".") for n in names}):
        zone = zones_api.find_zone(client, name, account_id=account_id)
        if zone is not None:
            found[zone.id] = zone
    pending = {h for h in hosts if h and zone_for_host(tuple(found.values()), h) is None}
    if pending:
        for zone in zones_api.list_zones(client, account_id=account_id):
            found.setdefault(zone.id, zone)
    return tuple(found.values())


def zone_lookups(project: Project, options: Options, concerns: Iterable[Concern]) -> tuple[set[str], set[str]]:
    """(zone names, hosts) that any concern needs resolved."""
    names: set[str] = set()
    hosts: set[str] = set()
    for concern in concerns:
        more_names, more_hosts = concern.zones(project, options)
        names |= set(more_names)
        hosts |= set(more_hosts)
    return names, hosts


def fetch_snapshot(client: CloudflareClient, project: Project, account_id: str, options: Options | None = None,
                   concerns: Iterable[Concern] | None = None) -> RemoteSnapshot:
    """Read everything the concerns compare against (see the module docstring); GET requests only."""
    from cfworker.concurrency import DaemonPool
    from cfworker.deploy.concerns import CONCERNS

    options = options or Options()
    todo = tuple(CONCERNS if concerns is None else concerns)
    reader = Reader(client, account_id, project, options)
    name = project.name
    names, hosts = zone_lookups(project, options, todo)
    with DaemonPool(max_workers=8, name="snapshot") as pool:  # Ctrl-C never waits for a read in flight
        f_settings = pool.submit(workers_api.get_settings, client, account_id, name)
        f_deployments = pool.submit(workers_api.list_deployments, client, account_id, name)
        f_zones = pool.submit(fetch_zones, client, account_id, names=names, hosts=hosts) if names or hosts else None
        f_first = {c.key: pool.submit(c.read, reader) for c in todo}
        settings = f_settings.result()
        base = RemoteSnapshot(account_id=account_id, settings=settings,
                              deployments=f_deployments.result() if settings is not None else None,
                              zones=f_zones.result() if f_zones is not None else ())
        first: dict[str, Any] = {key: f.result() for key, f in f_first.items()}
        f_after = {c.key: pool.submit(c.read_after, reader, base, first[c.key]) for c in todo}
        reads = {key: f.result() for key, f in f_after.items()}
    return RemoteSnapshot(account_id=account_id, settings=base.settings, deployments=base.deployments,
                          zones=base.zones, reads=reads, notes=tuple(dict.fromkeys(reader.notes)))
