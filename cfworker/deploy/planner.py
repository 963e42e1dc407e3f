"""Diff the project against the remote snapshot into a Plan of writes (pure).

Rules (issue 4, STYLE §3.3):
  * KV bindings without an id reuse the live script's namespace, else one found by title,
    else a namespace is created (never a blind create: that is wrangler's 10014 bug).
  * The upload is skipped when the content hash recorded in the script's tags matches.
  * workers.dev, crons, routes and custom domains change only where they differ.
  * A route or custom domain owned by another script is a Conflict (nothing is written)
    unless `take_over_routes`; deleting this script's routes that left worker.toml and
    switching workers.dev off are destructive steps.
  * Required secrets that do not exist are Blockers (nothing is written).
  * Post-deploy hooks come last: DNS steps only where records differ (deploy.dns), purge
    requests after every deploy when [purge] is set (deploy.purge); `hooks=False` drops both.
With `snapshot=None` (a dry run without credentials) everything is planned as for a new
script, and the plan lists the remote checks it could not make.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from cfworker.bundle.model import Bundle
from cfworker.config.model import Project, RouteSpec
from cfworker.deploy.dns import plan_dns
from cfworker.deploy.plan import (
    AttachDomain,
    Blocker,
    Conflict,
    CreateKVNamespace,
    CreateRoute,
    DeleteRoute,
    DetachDomain,
    Plan,
    PutSchedules,
    Ref,
    SetWorkersDev,
    Step,
    UpdateRoute,
    UploadScript,
)
from cfworker.deploy.purge import plan_purge
from cfworker.deploy.remote import RemoteSnapshot
from cfworker.deploy.zones import route_host, zone_for_host
from cfworker.upload import build_upload_form, hash_from_tags

PENDING_ID = "<created at deploy>"
OFFLINE_CHECKS = (
    "whether the script exists and changed (an upload is always planned)",
    "workers.dev state, cron triggers, routes and custom domains",
    "KV namespaces by title (bindings without an id are planned as created)",
    "required secrets",
)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Flags that change what the planner may do."""

    take_over_routes: bool = False
    force_upload: bool = False
    hooks: bool = True  # False: --no-hooks, no DNS or purge steps


def plan_deploy(project: Project, bundle: Bundle, snapshot: RemoteSnapshot | None,
                options: PlanOptions = PlanOptions()) -> Plan:
    """The plan of every write this deploy needs (see the module docstring for the rules)."""
    steps: list[Step] = []
    notes: list[str] = []
    conflicts: list[Conflict] = []
    blockers: list[Blocker] = []

    kv_ids, kv_refs, kv_steps, kv_notes = _plan_kv(project, snapshot)
    steps += kv_steps
    notes += kv_notes
    blockers += _check_secrets(project, snapshot)

    preview_ids = {**kv_ids, **{binding: PENDING_ID for binding, _ in kv_refs}}
    form = build_upload_form(project, bundle, preview_ids)
    settings = snapshot.settings if snapshot else None
    unchanged = (settings is not None and not kv_refs and not options.force_upload
                 and hash_from_tags(settings.tags) == form.content_hash)
    if unchanged:
        notes.append(f"script unchanged (content hash {form.content_hash[:12]}); upload skipped")
    else:
        steps.append(UploadScript(project.name, form, tuple(kv_refs), tuple(sorted(kv_ids.items())),
                                  is_new=settings is None))
        notes += _var_changes(project, settings)

    steps += _plan_workers_dev(project, snapshot, notes)
    steps += _plan_schedules(project, snapshot)
    if snapshot is not None:
        route_steps, route_conflicts, route_blockers = _plan_routes(project, snapshot, options)
        steps += route_steps
        conflicts += route_conflicts
        blockers += route_blockers
    elif project.routes:
        steps += _offline_routes(project)
    skipped: tuple[str, ...] = OFFLINE_CHECKS if snapshot is None else ()
    if options.hooks:
        zones = snapshot.zones if snapshot is not None else None
        dns = plan_dns(project, zones or (), snapshot.dns_records if snapshot is not None else None)
        purge = plan_purge(project, zones)
        steps += dns.steps + purge.steps
        notes += dns.notes + purge.notes
        conflicts += dns.conflicts
        blockers += dns.blockers + purge.blockers
        skipped += dns.skipped_checks

    facts: dict[str, Any] = {"kv_ids": dict(kv_ids), "content_hash": form.content_hash, "urls": _urls(project, snapshot)}
    return Plan(
        script=project.name, steps=tuple(steps), conflicts=tuple(conflicts), blockers=tuple(blockers),
        notes=tuple(notes), skipped_checks=skipped, facts=facts,
    )


def _plan_kv(project: Project, snapshot: RemoteSnapshot | None
             ) -> tuple[dict[str, str], list[tuple[str, Ref]], list[Step], list[str]]:
    ids: dict[str, str] = {}
    refs: list[tuple[str, Ref]] = []
    steps: list[Step] = []
    notes: list[str] = []
    live = snapshot.live_kv_ids() if snapshot else {}
    by_title = {ns.title: ns.id for ns in (snapshot.kv_namespaces or ())} if snapshot else {}
    for spec in project.kv_namespaces:
        if spec.id:
            continue
        title = project.kv_title(spec)
        if spec.title is None and spec.binding in live:
            ids[spec.binding] = live[spec.binding]
            notes.append(f"KV {spec.binding}: using namespace {live[spec.binding]} already bound to the script")
        elif title in by_title:
            ids[spec.binding] = by_title[title]
            notes.append(f"KV {spec.binding}: found namespace {title!r} ({by_title[title]})")
        else:
            step = CreateKVNamespace(spec.binding, title)
            steps.append(step)
            refs.append((spec.binding, Ref(step.key, "id")))
    return ids, refs, steps, notes


def _check_secrets(project: Project, snapshot: RemoteSnapshot | None) -> list[Blocker]:
    if not project.secrets or snapshot is None:
        return []
    env_flag = f" --env {project.env}" if project.env else ""
    if not snapshot.script_exists:
        names = ", ".join(project.secrets)
        return [Blocker(f"worker.toml requires secrets ({names}) but worker {project.name!r} does not exist yet",
                        f"create each one first with `cfworker secret put NAME{env_flag}` (it creates the worker)")]
    missing = [s for s in project.secrets if s not in (snapshot.secrets or ())]
    if not missing:
        return []
    return [Blocker(f"required secret(s) missing on worker {project.name!r}: {', '.join(missing)}",
                    f"set each with `cfworker secret put NAME{env_flag}` (the value is read from stdin)")]


def _var_changes(project: Project, settings: Any) -> list[str]:
    """Lines describing vars that differ from the live script's (wrangler wipes them silently)."""
    if settings is None:
        return []
    live: dict[str, Any] = {}
    for b in settings.bindings:
        if b.get("type") == "plain_text":
            live[b["name"]] = b.get("text")
        elif b.get("type") == "json":
            live[b["name"]] = b.get("json")
    want = {v.name: v.value for v in project.vars}
    lines = []
    for name in sorted(set(live) | set(want)):
        if name not in live:
            lines.append(f"var {name}: added ({_short(want[name])})")
        elif name not in want:
            if project.keep_vars:
                lines.append(f"var {name}: kept (not in worker.toml; keep_vars = true)")
            else:
                lines.append(f"var {name}: REMOVED, it is not in worker.toml (set keep_vars = true to keep vars set elsewhere)")
        elif live[name] != want[name]:
            lines.append(f"var {name}: {_short(live[name])} -> {_short(want[name])}")
    return lines


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plan_workers_dev(project: Project, snapshot: RemoteSnapshot | None, notes: list[str]) -> list[Step]:
    want = project.wants_workers_dev
    current = snapshot.subdomain.enabled if snapshot and snapshot.subdomain else None
    if snapshot is not None and not snapshot.script_exists:
        current = None
    if current == want or (current is None and not want):
        return []
    if not want and project.workers_dev is None:
        notes.append("workers.dev turns off because worker.toml has routes; set workers_dev = true to keep it")
    return [SetWorkersDev(project.name, want, current)]


def _plan_schedules(project: Project, snapshot: RemoteSnapshot | None) -> list[Step]:
    if project.crons is None:
        return []
    current = snapshot.schedules if snapshot and snapshot.script_exists else None
    if sorted(current or ()) == sorted(project.crons):
        return []
    return [PutSchedules(project.name, project.crons, current)]


def _resolve_zone(route: RouteSpec, snapshot: RemoteSnapshot) -> tuple[str, str] | None:
    """(zone id, zone name) of a configured route, or None when no account zone matches."""
    if route.zone_id:
        name = next((z.name for z in snapshot.zones if z.id == route.zone_id), route.zone_id)
        return route.zone_id, name
    if route.zone_name:
        wanted = route.zone_name.lower().rstrip(".")
        zone = next((z for z in snapshot.zones if z.name == wanted), None)
    else:
        host = route_host(route.pattern)
        zone = zone_for_host(snapshot.zones, host) if host else None
    return (zone.id, zone.name) if zone else None


def _plan_routes(project: Project, snapshot: RemoteSnapshot, options: PlanOptions
                 ) -> tuple[list[Step], list[Conflict], list[Blocker]]:
    steps: list[Step] = []
    conflicts: list[Conflict] = []
    blockers: list[Blocker] = []
    wanted: dict[str, set[str]] = {}  # zone id -> patterns
    for route in project.routes:
        zone = _resolve_zone(route, snapshot)
        if zone is None:
            where = f"zone {route.zone_name!r}" if route.zone_name else "zone for its host"
            blockers.append(Blocker(f"route {route.pattern}: no {where} in this account",
                                    "add the zone to the account, or fix zone_name/zone_id of the route"))
            continue
        zone_id, zone_name = zone
        if route.custom_domain:
            steps += _plan_domain(route, zone_id, zone_name, project.name, snapshot, options, conflicts)
            continue
        wanted.setdefault(zone_id, set()).add(route.pattern)
        existing = next((r for r in snapshot.routes.get(zone_id, ()) if r.pattern == route.pattern), None)
        if existing is None:
            steps.append(CreateRoute(zone_id, zone_name, route.pattern, project.name))
        elif existing.script == project.name:
            continue
        elif existing.script is None:
            steps.append(UpdateRoute(zone_id, zone_name, existing.id, route.pattern, project.name, None))
        elif options.take_over_routes:
            steps.append(UpdateRoute(zone_id, zone_name, existing.id, route.pattern, project.name, existing.script))
        else:
            conflicts.append(Conflict(
                f"route {route.pattern} (zone {zone_name})", f"worker {existing.script!r}",
                f"remove the route from worker {existing.script!r}, or rerun with --take-over-routes to move it",
            ))
    for zone_id, routes in sorted(snapshot.routes.items()):
        zone_name = next((z.name for z in snapshot.zones if z.id == zone_id), zone_id)
        for r in routes:
            if r.script == project.name and r.pattern not in wanted.get(zone_id, set()):
                steps.append(DeleteRoute(zone_id, zone_name, r.id, r.pattern))
    if snapshot.domains is not None:
        hosts = {r.pattern.lower() for r in project.routes if r.custom_domain}
        for domain in snapshot.domains:
            if domain.service == project.name and domain.hostname not in hosts:
                steps.append(DetachDomain(domain.id, domain.hostname))
    return steps, conflicts, blockers


def _plan_domain(route: RouteSpec, zone_id: str, zone_name: str, script: str, snapshot: RemoteSnapshot,
                 options: PlanOptions, conflicts: list[Conflict]) -> list[Step]:
    host = route.pattern.lower()
    existing = next((d for d in snapshot.domains or () if d.hostname == host), None)
    if existing is None:
        return [AttachDomain(host, zone_id, zone_name, script)]
    if existing.service == script:
        return []
    if options.take_over_routes:
        return [AttachDomain(host, zone_id, zone_name, script, previous_service=existing.service)]
    conflicts.append(Conflict(f"custom domain {host}", f"worker {existing.service!r}",
                              f"detach it from worker {existing.service!r}, or rerun with --take-over-routes"))
    return []


def _offline_routes(project: Project) -> list[Step]:
    steps: list[Step] = []
    for route in project.routes:
        zone_name = route.zone_name or route.zone_id or route_host(route.pattern) or "?"
        zone_id = route.zone_id or "?"
        if route.custom_domain:
            steps.append(AttachDomain(route.pattern.lower(), zone_id, zone_name, project.name))
        else:
            steps.append(CreateRoute(zone_id, zone_name, route.pattern, project.name))
    return steps


def _urls(project: Project, snapshot: RemoteSnapshot | None) -> list[str]:
    urls = []
    if project.wants_workers_dev and snapshot and snapshot.account_subdomain:
        urls.append(f"https://{project.name}.{snapshot.account_subdomain}.workers.dev")
    for route in project.routes:
        urls.append(f"https://{route.pattern}" if route.custom_domain else route.pattern)
    return urls
