"""Ways traffic reaches a Worker: workers.dev subdomains, zone routes, custom domains, crons.

Zone routes (`/zones/{z}/workers/routes`) answer 409/10020 `duplicate_route` for a pattern the
zone already has, 10022 for a pattern outside the zone and 10019 for an unknown script
(Cloudflare's old Workers API reference, cloudflare/workers-docs src/content/tooling/api/
routes.md). The wrangler-only `PUT /accounts/{a}/workers/scripts/{s}/routes` replaces the
script's whole route set (api-notes §1.4c) and needs a token valid for all zones (else 10000,
which is what sends wrangler to its per-zone fallback). Custom domains refuse hostnames that
already have DNS records (100117, §1.4d).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import Zone
from tests.fakes.state_workers import get_script
from tests.fakes.wire import Fail, new_id, now_iso

_SUBDOMAIN = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")  # wrangler's check (api-notes §1.5); server's unverified
# Five fields of digits, names, * , - / and the L W # ? extensions of Cloudflare's cron syntax
# (Cron Triggers docs; unverified here). Anything else is refused.
_CRON_FIELD = re.compile(r"^[0-9A-Za-z*/,?#LW-]+$")


def cron_ok(cron: Any) -> bool:
    """Whether `cron` is five fields of that syntax (also used for Workflow schedules, state_workflows)."""
    fields = cron.split() if isinstance(cron, str) else []
    return len(fields) == 5 and all(_CRON_FIELD.match(f) for f in fields)


@dataclass
class WorkerRoute:
    """A route pattern on a zone, optionally bound to a script."""

    id: str
    zone_id: str
    pattern: str
    script: str | None

    def as_api(self) -> dict[str, Any]:
        """`{id, pattern, script}` as the routes API returns it (no `script`: a placeholder, routes.md)."""
        d: dict[str, Any] = {"id": self.id, "pattern": self.pattern}
        if self.script:
            d["script"] = self.script
        return d


@dataclass
class CustomDomain:
    """A hostname attached to a Worker."""

    id: str
    account_id: str
    zone_id: str
    zone_name: str
    hostname: str
    service: str
    environment: str

    def as_api(self) -> dict[str, Any]:
        """The domain object of `/workers/domains` (research notes 12-13 §4.1: with `cert_id`; its value is made up)."""
        return {"id": self.id, "zone_id": self.zone_id, "zone_name": self.zone_name, "hostname": self.hostname,
                "service": self.service, "environment": self.environment, "cert_id": self.id[::-1]}


def route_host(pattern: str) -> str:
    """The host part of a route pattern, wildcards stripped (`*.a.com/x*` -> `a.com`)."""
    p = pattern.split("://", 1)[-1]
    host = p.split("/", 1)[0].lower()
    return host.lstrip("*").lstrip(".")


def _check_pattern(pattern: str, zone: Zone) -> None:
    """10022 "Route pattern must include zone name" (routes.md); a pattern without a host (`*/x`) passes."""
    host = route_host(pattern)
    if host and not (host == zone.name or host.endswith("." + zone.name)):
        raise Fail("route_zone_mismatch", pattern=pattern, zone=zone.name)


# -- workers.dev --------------------------------------------------------------------------------

def get_account_subdomain(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/workers/subdomain (10007 when none is registered)."""
    sub = ctx.state.subdomains.get(ctx.account_id)
    if sub is None:
        raise Fail("subdomain_not_found")
    return {"subdomain": sub}


def put_account_subdomain(ctx: Ctx) -> dict[str, Any]:
    """PUT /accounts/{a}/workers/subdomain {"subdomain"}: 10031 when another account has it
    (DH/triggers/subdomain.ts handles 10031 on this PUT)."""
    name = str(ctx.body().get("subdomain", ""))
    if not _SUBDOMAIN.match(name):  # code 10021 unverified
        raise Fail("script_invalid", detail=f"invalid subdomain '{name}'")
    if any(s == name and a != ctx.account_id for a, s in ctx.state.subdomains.items()):
        raise Fail("subdomain_taken", name=name)
    ctx.state.subdomains[ctx.account_id] = name
    return {"subdomain": name}


def delete_account_subdomain(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/workers/subdomain."""
    ctx.state.subdomains.pop(ctx.account_id, None)


def probe_subdomain(ctx: Ctx) -> None:
    """GET /accounts/{a}/workers/subdomains/{name}: 10031 taken, 10032 available (sic, §1.5).

    The caller's own subdomain counts as taken too (unverified).
    """
    name = ctx.p["name"]
    if name in ctx.state.subdomains.values():
        raise Fail("subdomain_taken", name=name)
    raise Fail("subdomain_available", name=name)


def get_script_subdomain(ctx: Ctx) -> dict[str, Any]:
    """GET .../scripts/{s}/subdomain."""
    s = get_script(ctx)
    return {"enabled": s.subdomain_enabled, "previews_enabled": s.previews_enabled}


API_DATE_HEADER = "cloudflare-workers-script-api-date"
PREVIEWS_API_DATE = "2025-08-01"


def post_script_subdomain(ctx: Ctx) -> dict[str, Any]:
    """POST .../scripts/{s}/subdomain {enabled, previews_enabled?}.

    `previews_enabled` is honoured only with the header Cloudflare-Workers-Script-Api-Date
    of 2025-08-01 or later, which wrangler sends; without it the server turns preview URLs
    on and off together with workers.dev (real-api-quirks #9: workers-sdk "Wrangler preview
    urls default to disabled (#10478)", api-notes §0.3 and §1.4a; that the header is what
    matters is not documented, so the fake takes the less forgiving reading). An omitted
    previews_enabled follows workers.dev, the documented default (developers.cloudflare.com
    changelog 2025-10-23-preview-url-default-behavior).
    """
    s = get_script(ctx)
    body = ctx.body()
    enabled = bool(body["enabled"])
    # 10063 without an account subdomain (api-notes §1.5/§5 name it for the upload; on this POST unverified)
    if enabled and ctx.account_id not in ctx.state.subdomains:
        raise Fail("needs_subdomain")
    s.subdomain_enabled = enabled
    dated = ctx.req.headers.get(API_DATE_HEADER, "") >= PREVIEWS_API_DATE
    s.previews_enabled = bool(body["previews_enabled"]) if dated and "previews_enabled" in body else enabled
    return {"enabled": s.subdomain_enabled, "previews_enabled": s.previews_enabled}


def delete_script_subdomain(ctx: Ctx) -> dict[str, Any]:
    """DELETE .../scripts/{s}/subdomain: workers.dev and previews off, answered with the same shape as
    the GET (research notes 12-13 §6: "Disable all workers.dev subdomains for a Worker")."""
    s = get_script(ctx)
    s.subdomain_enabled = s.previews_enabled = False
    return {"enabled": s.subdomain_enabled, "previews_enabled": s.previews_enabled}


# -- cron triggers ------------------------------------------------------------------------------

def get_schedules(ctx: Ctx) -> dict[str, Any]:
    """GET .../schedules."""
    return {"schedules": list(get_script(ctx).schedules)}


def put_schedules(ctx: Ctx) -> dict[str, Any]:
    """PUT .../schedules [{cron}...]: replaces the set (`[]` clears it; api-notes §1.4e) ->
    {schedules: [{cron, created_on, modified_on}]} (SDK schedule_update_response).

    An unchanged cron keeps its timestamps (unverified). The per-account cron count limit
    (Workers limits page: 5 Free / 250 paid) is not modelled.
    """
    s = get_script(ctx)
    body = ctx.body()
    if not isinstance(body, list):
        raise Fail("script_invalid", detail="schedules body must be a list of {cron}")
    old = {x["cron"]: x for x in s.schedules}
    new = []
    for item in body:
        cron = item.get("cron") if isinstance(item, dict) else None
        if not cron_ok(cron):
            raise Fail("cron_invalid", cron=cron)
        ts = now_iso()
        new.append(old.get(cron) or {"cron": cron, "created_on": ts, "modified_on": ts})
    s.schedules = new
    return {"schedules": list(new)}


# -- zone routes --------------------------------------------------------------------------------

def _zone_routes(ctx: Ctx) -> list[WorkerRoute]:
    return ctx.state.zone_routes.setdefault(ctx.p["zone_id"], [])


def _find_route(ctx: Ctx) -> WorkerRoute:
    for r in _zone_routes(ctx):
        if r.id == ctx.p["route_id"]:
            return r
    raise Fail("route_not_found")  # 404/10005 (routes.md "Route Not Found")


def _route_script(ctx: Ctx, script: str | None) -> str | None:
    """The route's script: it must exist in the zone's account (routes.md "Missing Script": 400/10019)."""
    existing = ctx.state.account_scripts(ctx.zone.account_id).get(script or "")
    if script and (existing is None or not existing.versions):
        raise Fail("route_script_missing")
    return script or None


def list_routes(ctx: Ctx) -> list[dict[str, Any]]:
    """GET /zones/{z}/workers/routes (all routes, no pagination: real-api-quirks #1), in creation order."""
    return [r.as_api() for r in _zone_routes(ctx)]


def create_route(ctx: Ctx) -> dict[str, Any]:
    """POST /zones/{z}/workers/routes {pattern, script?} (routes.md; the answer is the whole route)."""
    body = ctx.body()
    pattern = body["pattern"]
    _check_pattern(pattern, ctx.zone)
    if any(r.pattern == pattern for r in _zone_routes(ctx)):
        raise Fail("duplicate_route")
    route = WorkerRoute(new_id(), ctx.zone.id, pattern, _route_script(ctx, body.get("script")))
    _zone_routes(ctx).append(route)
    return route.as_api()


def get_route(ctx: Ctx) -> dict[str, Any]:
    """GET /zones/{z}/workers/routes/{id}."""
    return _find_route(ctx).as_api()


def update_route(ctx: Ctx) -> dict[str, Any]:
    """PUT /zones/{z}/workers/routes/{id} {pattern, script?}."""
    route = _find_route(ctx)
    body = ctx.body()
    pattern = body["pattern"]
    _check_pattern(pattern, ctx.zone)
    if any(r.pattern == pattern and r.id != route.id for r in _zone_routes(ctx)):
        raise Fail("duplicate_route")
    route.pattern, route.script = pattern, _route_script(ctx, body.get("script"))
    return route.as_api()


def delete_route(ctx: Ctx) -> dict[str, Any]:
    """DELETE /zones/{z}/workers/routes/{id} -> {id} (routes.md)."""
    route = _find_route(ctx)
    _zone_routes(ctx).remove(route)
    return {"id": route.id}


def list_service_routes(ctx: Ctx) -> list[dict[str, Any]]:
    """GET /accounts/{a}/workers/services/{s}/environments/{env}/routes[?show_zonename=true].

    Every route of one script across the account's zones, in one answer with no paging:
    what wrangler's download-worker-config reads (real-api-quirks #14; the file is
    workers-sdk packages/deploy-helpers/src/deploy/helpers/download-worker-config.ts, research
    notes 12-13 §5). `zone_name` is added only with show_zonename=true. Only the production
    environment exists here (api-notes §7.2: every wrangler env is its own Worker); another
    environment's answer is not evidenced: 10092, the less forgiving choice.
    """
    script = get_script(ctx)
    if ctx.p["environment"] != "production":
        raise Fail("environment_not_found", environment=ctx.p["environment"])
    with_zone = ctx.req.q("show_zonename") == "true"
    out = []
    for zid, routes in ctx.state.zone_routes.items():
        zone = ctx.state.zones.get(zid)
        if zone is None or zone.account_id != ctx.account_id:
            continue
        for r in routes:
            if r.script == script.name:
                out.append({**r.as_api(), "script": script.name, **({"zone_name": zone.name} if with_zone else {})})
    return out


def list_script_routes(ctx: Ctx) -> list[dict[str, Any]]:
    """The script's routes in every zone (the PUT's answer; there is no GET of this path, real-api-quirks #14)."""
    script = get_script(ctx)
    out = []
    for zid, routes in ctx.state.zone_routes.items():
        zone = ctx.state.zones.get(zid)
        if zone is None or zone.account_id != ctx.account_id:
            continue
        out += [{**r.as_api(), "zone_id": zid, "zone_name": zone.name} for r in routes if r.script == script.name]
    return out


def put_script_routes(ctx: Ctx) -> list[dict[str, Any]]:
    """PUT /accounts/{a}/workers/scripts/{s}/routes: replace every route of the script (api-notes §1.4c).

    Each item names its zone by `zone_id`, `zone_name` or the pattern's host (how the server
    resolves them is unverified; wrangler sends them as-is). A pattern that any other route
    holds, another script's (§8.2: 10020) or a placeholder without a script (no evidence found;
    the less forgiving choice), fails the whole PUT before anything changes.
    """
    script = get_script(ctx)
    if not ctx.principal.all_zones:  # 10000 without "All zones" (api-notes §1.4c, wrangler's fallback trigger)
        raise Fail("forbidden")
    body = ctx.body()
    if not isinstance(body, list):
        raise Fail("script_invalid", detail="routes body must be a list")
    wanted: list[tuple[Zone, str]] = []
    for item in body:
        item = {"pattern": item} if isinstance(item, str) else item
        pattern = item.get("pattern", "")
        if item.get("zone_id"):
            zone = ctx.state.zones.get(item["zone_id"])
            if zone is None or zone.account_id != ctx.account_id:
                raise Fail("route_zone_unknown", pattern=pattern)
        elif item.get("zone_name"):
            zone = ctx.state.zone_by_name(item["zone_name"], ctx.account_id)
        else:
            zone = ctx.state.zone_for_host(route_host(pattern), ctx.account_id)
        if zone is None:
            raise Fail("route_zone_unknown", pattern=pattern)
        _check_pattern(pattern, zone)
        for r in ctx.state.zone_routes.get(zone.id, []):
            if r.pattern == pattern and r.script != script.name:
                raise Fail("duplicate_route")
        wanted.append((zone, pattern))
    keep = {(z.id, p) for z, p in wanted}
    for zid, routes in ctx.state.zone_routes.items():
        ctx.state.zone_routes[zid] = [r for r in routes if r.script != script.name or (zid, r.pattern) in keep]
    for zone, pattern in wanted:
        routes = ctx.state.zone_routes.setdefault(zone.id, [])
        existing = next((r for r in routes if r.pattern == pattern), None)
        if existing is None:
            routes.append(WorkerRoute(new_id(), zone.id, pattern, script.name))
        else:
            existing.script = script.name
    return list_script_routes(ctx)


# -- custom domains -----------------------------------------------------------------------------

def list_domains(ctx: Ctx) -> list[dict[str, Any]]:
    """GET /accounts/{a}/workers/domains with optional filters (schema), one unpaginated list
    (research notes 12-13 §4.4: SinglePage in the SDK), sorted by hostname (unverified)."""
    q = ctx.req.q
    out = []
    for d in ctx.state.domains.values():
        if d.account_id != ctx.account_id:
            continue
        if any(q(k) and getattr(d, k) != q(k) for k in ("zone_name", "service", "zone_id", "hostname", "environment")):
            continue
        out.append(d.as_api())
    return sorted(out, key=lambda d: d["hostname"])


def put_domain(ctx: Ctx) -> dict[str, Any]:
    """PUT /accounts/{a}/workers/domains {hostname, service, zone_id?, zone_name?, environment?, override_*?}.

    Only hostname and service are required, the zone may be named by id or name or left out
    (current API reference, research notes 12-13 §4.1; then the zone is the account's zone
    that holds the hostname, unverified). The relaxed schema still requires zone_id and
    environment, so validated requests carry them anyway.
    A hostname attached to another Worker answers 409/100116 unless `override_existing_origin`
    is true; a hostname with DNS records of its own answers 409/100117 unless
    `override_existing_dns_record` is true, and then those records are replaced
    (real-api-quirks #6: alchemy-run/alchemy-async PR #1384 quotes the 100116 answer,
    workers-sdk#9878 the 100117 one; wrangler sends both overrides in CI, api-notes §1.4d).
    Records of any type count (the text says "A, CNAME, etc"; the less forgiving reading).
    Research notes §4.3 doubt that the override clears records of one's own (2026 answers drop
    the hint; a maintainer limits it to another Worker's records): not modelled, tests pin it.
    """
    body = ctx.body()
    hostname = str(body["hostname"]).lower()
    if body.get("zone_id"):
        zone = ctx.state.zones.get(body["zone_id"])
        if zone is None or zone.account_id != ctx.account_id:  # 7003 for an unknown zone id: unverified
            raise Fail("bad_object_id", path=f"/zones/{body.get('zone_id')}")
    else:
        zone = (ctx.state.zone_by_name(str(body["zone_name"]), ctx.account_id) if body.get("zone_name")
                else ctx.state.zone_for_host(hostname, ctx.account_id))
        if zone is None:
            raise Fail("bad_object_id", path=f"/zones/{body.get('zone_name') or hostname}")
    if not (hostname == zone.name or hostname.endswith("." + zone.name)):
        raise Fail("domain_not_in_zone", hostname=hostname, zone=zone.name)
    if body["service"] not in ctx.state.account_scripts(ctx.account_id):  # unknown Worker: 10007 (unverified here)
        raise Fail("script_not_found")
    existing = next((d for d in ctx.state.domains.values() if d.hostname == hostname), None)
    if existing is not None and existing.service != body["service"] and body.get("override_existing_origin") is not True:
        raise Fail("domain_other_worker", hostname=hostname, service=existing.service)
    records = ctx.state.dns.get(zone.id, {})
    own = [rid for rid, r in records.items() if r["name"] == hostname]
    if own and body.get("override_existing_dns_record") is not True:
        raise Fail("domain_dns_conflict", hostname=hostname)
    for rid in own:
        del records[rid]
    # `environment` is deprecated (research notes §4.1): production when omitted
    dom = CustomDomain(existing.id if existing else new_id(), ctx.account_id, zone.id, zone.name, hostname,
                       body["service"], body.get("environment") or "production")
    ctx.state.domains[dom.id] = dom
    return dom.as_api()


def _domain(ctx: Ctx) -> CustomDomain:
    d = ctx.state.domains.get(ctx.p["domain_id"])
    if d is None or d.account_id != ctx.account_id:
        raise Fail("domain_not_found", id=ctx.p["domain_id"])
    return d


def get_domain(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/workers/domains/{id}."""
    return _domain(ctx).as_api()


def delete_domain(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/workers/domains/{id}."""
    del ctx.state.domains[_domain(ctx).id]


_S = "/accounts/{account_id}/workers/scripts/{script_name}"
_W, _R = "workers_scripts:write", "workers_scripts:read"
# Scopes: schema x-cfPermissionsRequired / x-api-token-group: Workers Scripts for subdomains and
# schedules, worker.route.* for zone routes; worker.domain.* for domains names no token group, so
# the Scripts scope is used (unverified). Paths outside the schema take their neighbours' scope.
ROUTES = [
    Route("GET", "/accounts/{account_id}/workers/subdomain", get_account_subdomain, _R),
    Route("PUT", "/accounts/{account_id}/workers/subdomain", put_account_subdomain, _W),
    Route("DELETE", "/accounts/{account_id}/workers/subdomain", delete_account_subdomain, _W),
    Route("GET", "/accounts/{account_id}/workers/subdomains/{name}", probe_subdomain, _R),
    Route("GET", _S + "/subdomain", get_script_subdomain, _R),
    Route("POST", _S + "/subdomain", post_script_subdomain, _W),
    Route("DELETE", _S + "/subdomain", delete_script_subdomain, _W),
    Route("GET", _S + "/schedules", get_schedules, _R),
    Route("PUT", _S + "/schedules", put_schedules, _W),
    Route("GET", "/accounts/{account_id}/workers/services/{script_name}/environments/{environment}/routes",
          list_service_routes, "workers_routes:read", extra_params=("show_zonename",)),  # real-api-quirks #14
    Route("PUT", _S + "/routes", put_script_routes, "workers_routes:write"),
    Route("GET", "/zones/{zone_id}/workers/routes", list_routes, "workers_routes:read"),
    Route("POST", "/zones/{zone_id}/workers/routes", create_route, "workers_routes:write"),
    Route("GET", "/zones/{zone_id}/workers/routes/{route_id}", get_route, "workers_routes:read"),
    Route("PUT", "/zones/{zone_id}/workers/routes/{route_id}", update_route, "workers_routes:write"),
    Route("DELETE", "/zones/{zone_id}/workers/routes/{route_id}", delete_route, "workers_routes:write"),
    Route("GET", "/accounts/{account_id}/workers/domains", list_domains, _R),
    Route("PUT", "/accounts/{account_id}/workers/domains", put_domain, _W),
    Route("GET", "/accounts/{account_id}/workers/domains/{domain_id}", get_domain, _R),
    Route("DELETE", "/accounts/{account_id}/workers/domains/{domain_id}", delete_domain, _W),
]
