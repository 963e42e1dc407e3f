"""Diff the project against the remote snapshot into a Plan of writes (pure).

Rules (issue 4, STYLE §3.3):
  * KV bindings without an id reuse the live script's namespace, else one found by title,
    else a namespace is created (never a blind create: that is wrangler's 10014 bug).
  * The upload is skipped only when what is live now is cfworker's upload of this very
    tree: one version at 100 % whose annotation carries the same content hash. A version
    another tool deployed (wrangler, the dashboard, a rollback) is drift: uploaded again,
    with the reason and the binding differences in the plan. Ending a gradual deployment
    is destructive.
  * Tags: worker.toml's are added, every tag cfworker does not own is kept (at most 8).
  * workers.dev (and preview URLs when configured), crons, routes and custom domains change
    only where they differ.
  * A route or custom domain owned by another script is a Conflict (nothing is written)
    unless `take_over_routes`; a custom domain whose hostname has DNS records of its own is
    a Conflict unless `override_dns`. Deleting this script's routes that left worker.toml
    (in any zone), detaching its custom domains that left it and switching workers.dev off
    are destructive steps.
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
    DeployVersion,
    DetachDomain,
    Plan,
    PutSchedules,
    Ref,
    SetScriptSettings,
    SetWorkersDev,
    Step,
    UpdateRoute,
    UploadScript,
)
from cfworker.deploy.purge import plan_purge
from cfworker.deploy.remote import RemoteSnapshot
from cfworker.deploy.zones import route_host, zone_for_host
from cfworker.upload import HASH_TAG_PREFIX, KEEP_SECRETS, UploadForm, build_upload_form

PENDING_ID = "<created at deploy>"
MAX_TAGS = 8  # per script (real-api-quirks #5)
OFFLINE_CHECKS = (
    "whether the script exists and what is live (an upload is always planned)",
    "workers.dev state, cron triggers, routes and custom domains",
    "KV namespaces by title (bindings without an id are planned as created)",
    "required secrets",
)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Flags that change what the planner may do."""

    take_over_routes: bool = False
    override_dns: bool = False  # let a custom domain replace DNS records of its hostname
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
    upload_steps, upload_notes = _plan_upload(project, form, snapshot, kv_refs, kv_ids, options)
    steps += upload_steps
    notes += upload_notes
    settings_steps, settings_blockers = _plan_settings(project, snapshot)
    steps += settings_steps
    blockers += settings_blockers
    notes += snapshot.read_notes if snapshot is not None else ()

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


_SOURCES = {"wrangler": "wrangler", "dash": "the dashboard", "api": "the API (another tool, or an older cfworker)",
            "terraform": "Terraform"}
_TRIGGERS = {"rollback": "rolled back to", "promotion": "promoted", "secret": "made by a secret change",
             "upload": "deployed"}


def _who(deployment: Any) -> str:
    """`deployed by wrangler (dev@example.com) on 2026-11-30`, from a deployment's source and trigger."""
    verb = _TRIGGERS.get(deployment.triggered_by or "", "deployed")
    who = _SOURCES.get(deployment.source or "", deployment.source or "another tool")
    by = f" ({deployment.author_email})" if deployment.author_email else ""
    when = f" on {deployment.created_on[:10]}" if deployment.created_on else ""
    return f"{verb} by {who}{by}{when}"


def _plan_upload(project: Project, form: UploadForm, snapshot: RemoteSnapshot | None,
                 kv_refs: list[tuple[str, Ref]], kv_ids: dict[str, str], options: PlanOptions
                 ) -> tuple[list[Step], list[str]]:
    """The upload and deployment steps (none when what is live is this very upload), and why."""
    settings = snapshot.settings if snapshot else None
    upload = UploadScript(project.name, form, tuple(kv_refs), tuple(sorted(kv_ids.items())), is_new=settings is None)
    deploy = DeployVersion(project.name, upload.key)
    if snapshot is None or settings is None:
        return [upload, deploy], []
    mine = form.content_hash[:16]
    deployment = snapshot.deployment
    if not kv_refs and not options.force_upload and snapshot.live_hash == mine:
        where = f", live version {deployment.versions[0][0][:8]}" if deployment is not None else ""
        return [], [f"script unchanged (content hash {mine[:12]}{where}); upload skipped"]
    split = len(deployment.versions) if deployment is not None and deployment.single_version is None else 0
    notes = []
    drift = snapshot.live_hash is None
    if options.force_upload:
        notes.append("upload forced (--force)")
    elif split > 1 and deployment is not None:
        shares = ", ".join(f"{vid[:8]} {pct:g} %" for vid, pct in deployment.versions)
        notes.append(f"traffic is split between {split} versions ({shares}), a gradual deployment: this upload "
                     "sends 100 % to the new version")
    elif drift and deployment is not None:
        notes.append(f"the live version {deployment.versions[0][0][:8] if deployment.versions else '?'} was "
                     f"{_who(deployment)}, not by cfworker from this tree: uploading it again")
    elif drift:
        notes.append("the worker has no deployment cfworker can read: uploading")
    deploy = DeployVersion(project.name, upload.key, ends_split=split)
    return [upload, deploy], notes + binding_changes(project, settings.bindings, form.bindings,
                                                    drift=drift and split <= 1)


def binding_changes(project: Project, live: tuple[dict[str, Any], ...] | list[dict[str, Any]],
                    want: list[dict[str, Any]], *, drift: bool = False) -> list[str]:
    """Lines for every binding the upload adds, removes or changes against the live script.

    Vars keep wrangler's semantics (not in worker.toml: removed unless keep_vars); secrets
    are never touched by a deploy and not listed. With `drift`, the live values were set
    outside cfworker (the dashboard, another tool), and the lines say so.
    """
    skip = set(KEEP_SECRETS) | {"inherit"}
    have = {b["name"]: b for b in live if isinstance(b.get("name"), str) and b.get("type") not in skip}
    need = {b["name"]: b for b in want if b.get("type") not in skip}
    tail = " (changed outside cfworker; this deploy restores worker.toml)" if drift else ""
    lines = []
    for name in sorted(set(have) | set(need)):
        old, new = have.get(name), need.get(name)
        label = "var" if (new or old or {}).get("type") in ("plain_text", "json") else "binding"
        if old is None and new is not None:
            lines.append(f"{label} {name}: added ({_describe(new)})")
        elif new is None and old is not None:
            if label == "var" and project.keep_vars:
                lines.append(f"var {name}: kept (not in worker.toml; keep_vars = true)")
            elif label == "var":
                lines.append(f"var {name}: REMOVED, it is not in worker.toml "
                             f"(set keep_vars = true to keep vars set elsewhere){tail}")
            else:
                lines.append(f"binding {name}: REMOVED ({_describe(old)}), it is not in worker.toml{tail}")
        elif old is not None and new is not None and _comparable(old) != _comparable(new):
            lines.append(f"{label} {name}: {_describe(old)} -> {_describe(new)}{tail}")
    return lines


def _comparable(binding: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in binding.items() if k != "name"}


def _describe(binding: dict[str, Any]) -> str:
    """`'hi'` for a text var, `kv_namespace namespace_id=abc...` for anything else."""
    kind = binding.get("type")
    if kind == "plain_text":
        return _short(binding.get("text"))
    if kind == "json":
        return _short(binding.get("json"))
    fields = ", ".join(f"{k}={_short(v, 24)}" for k, v in sorted(binding.items()) if k not in ("name", "type"))
    return f"{kind} {fields}".strip()


def _plan_settings(project: Project, snapshot: RemoteSnapshot | None) -> tuple[list[Step], list[Blocker]]:
    """Non-versioned script settings (tags, logpush, observability) that differ from the live script.

    They are not part of a version, survive every other tool's deploys (real-api-quirks
    #4) and are written by one PATCH of script-settings, only when something differs.
    Tags: worker.toml's are added to the ones already there and every tag cfworker does
    not own is kept; the hash tag older cfworker releases wrote is the only one removed.
    Observability is compared on the keys worker.toml sets.
    """
    live = snapshot.settings if snapshot is not None else None
    live_tags = tuple(live.tags) if live is not None else ()
    kept = [t for t in live_tags if not t.startswith(HASH_TAG_PREFIX)]
    tags = tuple(kept + [t for t in project.tags if t not in kept])
    if len(tags) > MAX_TAGS:
        foreign = [t for t in kept if t not in project.tags]
        return [], [Blocker(f"worker {project.name!r} would carry {len(tags)} tags, more than the {MAX_TAGS} "
                            f"Cloudflare allows (set elsewhere: {', '.join(foreign) or 'none'})",
                            "remove tags from `tags` in worker.toml, or remove tags set elsewhere in the dashboard")]
    changes: list[tuple[str, Any]] = []
    previous: list[tuple[str, Any]] = []
    if tags != live_tags:
        changes.append(("tags", tags))
        previous.append(("tags", live_tags))
    if project.logpush is not None and (live is None or bool(live.logpush) != project.logpush):
        changes.append(("logpush", project.logpush))
        previous.append(("logpush", live.logpush if live is not None else None))
    live_obs = live.observability if live is not None else None
    if project.observability is not None and not _covers(live_obs, project.observability):
        changes.append(("observability", project.observability))
        previous.append(("observability", live_obs))
    if not changes:
        return [], []
    return [SetScriptSettings(project.name, tuple(changes), tuple(previous))], []


def _covers(live: Any, want: Any) -> bool:
    """True when `live` has every key `want` sets, with the same value (nested tables alike)."""
    if isinstance(want, dict):
        return isinstance(live, dict) and all(_covers(live.get(k), v) for k, v in want.items())
    return bool(live == want)


def _short(value: Any, limit: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _plan_workers_dev(project: Project, snapshot: RemoteSnapshot | None, notes: list[str]) -> list[Step]:
    want, want_previews = project.wants_workers_dev, project.preview_urls
    live = snapshot.subdomain if snapshot is not None and snapshot.script_exists else None
    current = live.enabled if live is not None else None
    current_previews = live.previews_enabled if live is not None else None
    enabled_ok = current == want or (current is None and not want)
    previews_ok = want_previews is None or current_previews == want_previews
    if enabled_ok and previews_ok:
        return []
    if not want and project.workers_dev is None and not enabled_ok:
        notes.append("workers.dev turns off because worker.toml has routes; set workers_dev = true to keep it")
    return [SetWorkersDev(project.name, want, current, want_previews, current_previews)]


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
    steps += _stale_routes(project, snapshot, wanted, blockers)
    if snapshot.domains is not None:
        hosts = {r.pattern.lower() for r in project.routes if r.custom_domain}
        for domain in snapshot.domains:
            if domain.service == project.name and domain.hostname not in hosts:
                steps.append(DetachDomain(domain.id, domain.hostname))
    return steps, conflicts, blockers


def _stale_routes(project: Project, snapshot: RemoteSnapshot, wanted: dict[str, set[str]],
                  blockers: list[Blocker]) -> list[Step]:
    """Delete steps for this script's routes that left worker.toml, in whatever zone they are.

    The script's own route list covers every zone in one read (real-api-quirks #14); when
    that read was refused, only the zones worker.toml names are scanned.
    """
    steps: list[Step] = []
    if snapshot.script_routes is None:
        for zone_id, routes in sorted(snapshot.routes.items()):
            zone_name = next((z.name for z in snapshot.zones if z.id == zone_id), zone_id)
            for r in routes:
                if r.script == project.name and r.pattern not in wanted.get(zone_id, set()):
                    steps.append(DeleteRoute(zone_id, zone_name, r.id, r.pattern))
        return steps
    for sr in snapshot.script_routes:
        zone = next((z for z in snapshot.zones if z.name == sr.zone_name), None)
        if zone is not None and sr.pattern in wanted.get(zone.id, set()):
            continue
        if zone is None:
            blockers.append(Blocker(f"route {sr.pattern} of this worker (zone {sr.zone_name or 'unknown'}) is no "
                                    "longer in worker.toml, but its zone could not be found in this account",
                                    "delete the route in the dashboard (Workers Routes of that zone), or add it "
                                    "back to worker.toml"))
            continue
        steps.append(DeleteRoute(zone.id, zone.name, sr.id, sr.pattern))
    return steps


def _plan_domain(route: RouteSpec, zone_id: str, zone_name: str, script: str, snapshot: RemoteSnapshot,
                 options: PlanOptions, conflicts: list[Conflict]) -> list[Step]:
    host = route.pattern.lower()
    existing = next((d for d in snapshot.domains or () if d.hostname == host), None)
    if existing is not None and existing.service == script:
        return []
    previous = None
    if existing is not None:
        if not options.take_over_routes:
            conflicts.append(Conflict(f"custom domain {host}", f"worker {existing.service!r}",
                                      f"detach it from worker {existing.service!r}, or rerun with --take-over-routes"))
            return []
        previous = existing.service
    records = snapshot.domain_dns.get(host) or ()
    labels = tuple(r.data.label() for r in records)
    if labels and not options.override_dns:
        conflicts.append(Conflict(f"custom domain {host}", f"DNS record(s) of its own: {', '.join(labels)}",
                                  "delete those records, or rerun with --override-dns to let Cloudflare replace "
                                  "them with the custom domain's (never implied by --take-over-routes)",
                                  verb="has"))
        return []
    return [AttachDomain(host, zone_id, zone_name, script, previous_service=previous, replaces_records=labels,
                         override_dns=options.override_dns)]


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
