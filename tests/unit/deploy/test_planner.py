"""plan_deploy: what a deploy writes, decided from plain values (no network)."""

from __future__ import annotations

from dataclasses import replace

from cfworker.api.domains import CustomDomain
from cfworker.api.kv import KVNamespace
from cfworker.api.routes import ScriptRoute
from cfworker.api.workers import Subdomain
from cfworker.api.zones import Zone
from cfworker.deploy.concerns.crons import PutSchedules
from cfworker.deploy.concerns.domains import AttachDomain, DetachDomain
from cfworker.deploy.concerns.provision import CreateResource
from cfworker.deploy.concerns.routes import CreateRoute, DeleteRoute, UpdateRoute
from cfworker.deploy.concerns.script import DeployVersion, UploadScript
from cfworker.deploy.concerns.settings import SetScriptSettings
from cfworker.deploy.concerns.workers_dev import SetWorkersDev
from cfworker.deploy.plan import Ref
from cfworker.deploy.planner import PlanOptions, plan_deploy
from cfworker.deploy.zones import route_host, zone_for_host
from cfworker.upload import hash_annotation, hash_from_annotations
from tests.unit.deploy.helpers import (
    KV_ID,
    ZONE_ID,
    KVNamespaceSpec,
    Route,
    RouteSpec,
    VarSpec,
    bundle,
    deployed,
    foreign,
    new_script,
    project,
    with_reads,
)


def test_new_script_plans_create_upload_and_workers_dev_on() -> None:
    """A first deploy without routes uploads the script and turns workers.dev on."""
    plan = plan_deploy(project(), bundle(), new_script())
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion, SetWorkersDev]
    upload = plan.steps[0]
    assert isinstance(upload, UploadScript) and upload.is_new
    assert plan.steps[2] == SetWorkersDev("app", True, None)
    assert plan.facts["urls"] == ["https://app.acme.workers.dev"]
    assert not plan.conflicts and not plan.blockers


def test_unchanged_redeploy_plans_nothing() -> None:
    """When the recorded content hash matches and everything else is in sync, the plan is empty."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, deployed(p, b))
    assert plan.steps == ()
    assert any("upload skipped" in n for n in plan.notes)


def test_force_upload_uploads_even_when_unchanged() -> None:
    """--force uploads a script whose hash matches."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, deployed(p, b), PlanOptions(force_upload=True))
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]


def test_changed_var_uploads_once_and_notes_the_change() -> None:
    """A changed var produces exactly one upload and a note showing old and new value."""
    p, b = project(), bundle()
    snapshot = deployed(p, b)
    plan = plan_deploy(replace(p, vars=(VarSpec("GREETING", "hello"),)), b, snapshot)
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]
    assert "var GREETING: 'hi' -> 'hello'" in plan.notes


def test_changed_code_uploads() -> None:
    """A different bundle changes the hash, so the script is uploaded."""
    p = project()
    plan = plan_deploy(p, bundle(b"export default {fetch(){return new Response('v2')}}"), deployed(p, bundle()))
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]
    assert not any(n.startswith("the live version") for n in plan.notes)  # cfworker's own older deploy: not drift


def test_dashboard_var_is_reported_as_removed_unless_keep_vars() -> None:
    """A var only on the live script is flagged REMOVED; with keep_vars it is reported as kept."""
    p, b = project(), bundle()
    live = deployed(replace(p, vars=(VarSpec("GREETING", "hi"), VarSpec("DASH", "x"))), b)
    plan = plan_deploy(p, b, live)
    assert any(n.startswith("var DASH: REMOVED") for n in plan.notes)
    plan = plan_deploy(replace(p, keep_vars=True), b, live)
    assert any("var DASH: kept" in n for n in plan.notes)


def test_kv_without_id_is_created_when_not_found() -> None:
    """A KV binding without id, not bound and not found by title, is created, and the upload refers to it."""
    p = project(kv_namespaces=(KVNamespaceSpec("CACHE"),))
    plan = plan_deploy(p, bundle(), new_script(p, kv_namespaces=()))
    create = plan.steps[0]
    assert create == CreateResource("kv_namespaces", "CACHE", "app-cache")
    upload = plan.steps[1]
    assert isinstance(upload, UploadScript) and upload.pending == (("CACHE", "id", Ref("kv:CACHE", "id")),)


def test_kv_without_id_is_found_by_title_not_created() -> None:
    """An existing namespace with the derived title is reused: no create (wrangler's 10014 bug)."""
    p = project(kv_namespaces=(KVNamespaceSpec("CACHE"),))
    plan = plan_deploy(p, bundle(), new_script(p, kv_namespaces=(KVNamespace(KV_ID, "app-cache"),)))
    assert not any(isinstance(s, CreateResource) for s in plan.steps)
    assert plan.facts["write_back"] == [("kv_namespaces", "CACHE", {"id": KV_ID})]
    upload = next(s for s in plan.steps if isinstance(s, UploadScript))
    assert {"type": "kv_namespace", "name": "CACHE", "namespace_id": KV_ID} in upload.form.bindings


def test_kv_without_id_reuses_live_binding_and_stays_unchanged() -> None:
    """A KV binding the live script already has keeps its namespace, and nothing is uploaded."""
    p, b = project(kv_namespaces=(KVNamespaceSpec("CACHE"),)), bundle()
    plan = plan_deploy(p, b, deployed(p, b, kv_ids={"CACHE": KV_ID}))
    assert plan.steps == ()
    assert plan.facts["write_back"] == [("kv_namespaces", "CACHE", {"id": KV_ID})]


def test_route_owned_by_other_script_is_a_conflict() -> None:
    """Another worker's route stops the plan with a conflict naming the owner; no route step is planned."""
    p, b = project(routes=(RouteSpec("api.example.com/*", zone_name="example.com"),), workers_dev=False), bundle()
    snap = deployed(p, b, routes={ZONE_ID: (Route("r1", "api.example.com/*", "other"),)})
    plan = plan_deploy(p, b, snap)
    assert len(plan.conflicts) == 1
    assert plan.conflicts[0].owner == "worker 'other'" and "--take-over-routes" in plan.conflicts[0].fix
    assert not any(isinstance(s, (CreateRoute, UpdateRoute)) for s in plan.steps)


def test_take_over_routes_moves_the_route_as_destructive() -> None:
    """--take-over-routes turns the conflict into a destructive update."""
    p, b = project(routes=(RouteSpec("api.example.com/*", zone_name="example.com"),), workers_dev=False), bundle()
    snap = deployed(p, b, routes={ZONE_ID: (Route("r1", "api.example.com/*", "other"),)})
    plan = plan_deploy(p, b, snap, PlanOptions(take_over_routes=True))
    step = next(s for s in plan.steps if isinstance(s, UpdateRoute))
    assert step.previous_script == "other" and step.destructive and not plan.conflicts


def test_unassigned_route_is_claimed_without_flag() -> None:
    """A route that runs no worker is pointed at this one, not treated as a conflict."""
    p, b = project(routes=(RouteSpec("api.example.com/*", zone_name="example.com"),), workers_dev=False), bundle()
    plan = plan_deploy(p, b, deployed(p, b, routes={ZONE_ID: (Route("r1", "api.example.com/*", None),)}))
    assert plan.steps == (UpdateRoute(ZONE_ID, "example.com", "r1", "api.example.com/*", "app", None),)


def test_missing_route_is_created_and_stale_own_route_deleted() -> None:
    """New patterns are created; this worker's patterns that left worker.toml are deleted (destructive)."""
    p, b = project(routes=(RouteSpec("new.example.com/*"),), workers_dev=False), bundle()
    snap = deployed(p, b, routes={ZONE_ID: (Route("r9", "old.example.com/*", "app"), Route("r8", "x.example.com/*", "zz"))},
                    script_routes=(ScriptRoute("r9", "old.example.com/*", "example.com"),))
    plan = plan_deploy(p, b, snap)
    assert plan.steps == (CreateRoute(ZONE_ID, "example.com", "new.example.com/*", "app"),
                          DeleteRoute(ZONE_ID, "example.com", "r9", "old.example.com/*"))
    assert plan.destructive_steps == (plan.steps[1],)
    # Without the script's own route list (a refused read), the configured zones are scanned instead.
    assert plan_deploy(p, b, with_reads(p, snap, script_routes=None)).steps == plan.steps


def test_route_in_a_zone_worker_toml_no_longer_names_is_deleted() -> None:
    """A route of this worker in a zone the config dropped is found by the script's route list and deleted."""
    other = Zone("d" * 32, "old-shop.net")
    p, b = project(routes=(RouteSpec("new.example.com/*"),), workers_dev=False), bundle()
    snap = deployed(p, b, zones=(Zone(ZONE_ID, "example.com"), other),
                    routes={ZONE_ID: (Route("r1", "new.example.com/*", "app"),)},
                    script_routes=(ScriptRoute("r1", "new.example.com/*", "example.com"),
                                   ScriptRoute("r7", "old-shop.net/*", "old-shop.net")))
    plan = plan_deploy(p, b, snap)
    assert plan.steps == (DeleteRoute(other.id, "old-shop.net", "r7", "old-shop.net/*"),)
    assert plan.destructive_steps == plan.steps


def test_route_in_unknown_zone_is_a_blocker() -> None:
    """A route whose zone is not in the account stops the plan before any write."""
    p = project(routes=(RouteSpec("api.nowhere.org/*"),), workers_dev=False)
    plan = plan_deploy(p, bundle(), new_script())
    assert plan.blockers and "api.nowhere.org/*" in plan.blockers[0].message


def test_adding_routes_turns_workers_dev_off_destructively_with_a_note() -> None:
    """Routes without workers_dev = true switch workers.dev off, shown as destructive with a note."""
    p, b = project(), bundle()
    snap = deployed(p, b, subdomain=Subdomain(True))
    plan = plan_deploy(replace(p, routes=(RouteSpec("a.example.com/*"),)), b, snap)
    step = next(s for s in plan.steps if isinstance(s, SetWorkersDev))
    assert step == SetWorkersDev("app", False, True) and step.destructive
    assert any("workers_dev = true" in n for n in plan.notes)


def test_workers_dev_unchanged_plans_nothing() -> None:
    """workers.dev in the wanted state gives no step."""
    p, b = project(workers_dev=True), bundle()
    assert plan_deploy(p, b, deployed(p, b, subdomain=Subdomain(True))).steps == ()


def test_crons_change_only_when_different() -> None:
    """Schedules are replaced when the set differs, left alone when equal or not configured."""
    p, b = project(crons=("*/5 * * * *",)), bundle()
    assert plan_deploy(p, b, deployed(p, b)).steps == ()
    plan = plan_deploy(replace(p, crons=("0 * * * *",)), b, deployed(p, b))
    assert PutSchedules("app", ("0 * * * *",), ("*/5 * * * *",)) in plan.steps
    assert plan_deploy(replace(p, crons=None), b, deployed(p, b)).steps == ()
    cleared = plan_deploy(replace(p, crons=()), b, deployed(p, b))
    assert PutSchedules("app", (), ("*/5 * * * *",)) in cleared.steps


def test_missing_required_secret_blocks() -> None:
    """A secret listed in worker.toml but absent on the script blocks the deploy."""
    p, b = project(secrets=("API_KEY", "OTHER")), bundle()
    plan = plan_deploy(p, b, deployed(p, b, secrets=("OTHER",)))
    assert len(plan.blockers) == 1 and "API_KEY" in plan.blockers[0].message
    assert "cfworker secret put" in plan.blockers[0].hint
    assert plan_deploy(p, b, deployed(p, b, secrets=("API_KEY", "OTHER"))).blockers == ()


def test_secrets_on_new_script_block_with_hint() -> None:
    """Required secrets on a worker that does not exist yet block with a hint to create them."""
    plan = plan_deploy(project(secrets=("API_KEY",)), bundle(), new_script())
    assert plan.blockers and "does not exist yet" in plan.blockers[0].message


def test_custom_domains_attach_conflict_and_detach() -> None:
    """Custom domains: attach when absent, conflict when another worker has one, detach ours when removed."""
    p, b = project(routes=(RouteSpec("shop.example.com", custom_domain=True),
                           RouteSpec("blog.example.com", custom_domain=True)), workers_dev=False), bundle()
    domains = (CustomDomain("d1", "blog.example.com", "other", ZONE_ID), CustomDomain("d2", "old.example.com", "app", ZONE_ID))
    plan = plan_deploy(p, b, deployed(p, b, domains=domains))
    assert AttachDomain("shop.example.com", ZONE_ID, "example.com", "app") in plan.steps
    assert DetachDomain("d2", "old.example.com") in plan.steps
    assert [c.subject for c in plan.conflicts] == ["custom domain blog.example.com"]


def test_offline_plan_lists_skipped_checks() -> None:
    """Without credentials the plan assumes a new worker and says which checks it skipped."""
    p = project(kv_namespaces=(KVNamespaceSpec("CACHE"),), routes=(RouteSpec("a.example.com/*"),))
    plan = plan_deploy(p, bundle(), None)
    assert plan.skipped_checks
    assert [type(s) for s in plan.steps] == [CreateResource, UploadScript, DeployVersion, CreateRoute]


def test_hash_goes_into_the_deployment_message_and_tags_are_a_settings_step() -> None:
    """The deployment after the upload carries the content hash; tags are not in the form but their own step."""
    plan = plan_deploy(project(tags=("team-a",)), bundle(), new_script())
    upload, deploy = plan.steps[0], plan.steps[1]
    assert isinstance(upload, UploadScript) and isinstance(deploy, DeployVersion)
    assert "tags" not in upload.form.metadata
    assert deploy.upload_key == upload.key
    message = hash_annotation(upload.form.content_hash)
    assert len(message) <= 50 and hash_from_annotations({"workers/message": message}) == upload.form.content_hash[:16]
    assert SetScriptSettings("app", (("tags", ("team-a",)),), (("tags", ()),)) in plan.steps


def test_foreign_deploy_is_drift_and_uploads_again_with_the_reason() -> None:
    """A deployment another tool made on top of cfworker's is seen: upload + deployment, and the plan says who."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, foreign(deployed(p, b)))
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]
    assert any("deployed by wrangler (dev@example.com) on 2026-11-30, not by cfworker" in n for n in plan.notes), plan.notes
    assert plan_deploy(p, b, deployed(p, b)).steps == ()


def test_a_secret_change_on_top_of_cfworkers_deploy_is_not_drift() -> None:
    """A deployment Cloudflare made for a secret change keeps the code: the upload stays skipped."""
    p, b = project(), bundle()
    assert plan_deploy(p, b, foreign(deployed(p, b), "api", trigger="secret")).steps == ()


def test_rollback_is_drift_even_to_a_cfworker_version() -> None:
    """A rollback makes a deployment without cfworker's mark: the tree is uploaded again."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, foreign(deployed(p, b), "dash", trigger="rollback"))
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]
    assert any("rolled back to by the dashboard" in n for n in plan.notes)


def test_dashboard_var_edit_is_shown_as_drift_and_restored() -> None:
    """A var edited outside cfworker shows as a drift line naming both values."""
    p, b = project(), bundle()
    snap = foreign(deployed(p, b), "dash")
    snap = replace(snap, settings=replace(snap.settings, bindings=({"type": "plain_text", "name": "GREETING",
                                                                     "text": "edited"},
                                                                    {"type": "kv_namespace", "name": "OLD",
                                                                     "namespace_id": KV_ID})))
    notes = plan_deploy(p, b, snap).notes
    assert "var GREETING: 'edited' -> 'hi' (changed outside cfworker; this deploy restores worker.toml)" in notes
    assert any(n.startswith("binding OLD: REMOVED (kv_namespace namespace_id=") for n in notes), notes


def test_gradual_deployment_is_ended_only_as_a_destructive_step() -> None:
    """Traffic split between two versions: the deployment step is destructive and the note says so."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, foreign(deployed(p, b), versions=(("v-new", 10.0), ("v-old", 90.0))))
    deploy = plan.steps[1]
    assert isinstance(deploy, DeployVersion) and deploy.ends_split == 2 and plan.destructive_steps == (deploy,)
    assert any("gradual deployment" in n for n in plan.notes)


def test_tags_set_elsewhere_are_kept_and_the_old_hash_tag_dropped() -> None:
    """Live tags cfworker does not own stay; worker.toml's are added; the legacy hash tag goes."""
    p, b = project(tags=("team-a",)), bundle()
    snap = deployed(p, b)
    snap = replace(snap, settings=replace(snap.settings, tags=("cf:service=app", "cfworker-hash=" + "0" * 32)))
    step = next(s for s in plan_deploy(p, b, snap).steps if isinstance(s, SetScriptSettings))
    assert dict(step.changes)["tags"] == ("cf:service=app", "team-a")
    assert plan_deploy(p, b, replace(snap, settings=replace(snap.settings, tags=("cf:service=app", "team-a")))).steps == ()


def test_more_than_eight_tags_in_total_is_a_blocker() -> None:
    """Tags set elsewhere plus worker.toml's over 8 stop the plan before any write."""
    p, b = project(tags=("a", "b", "c")), bundle()
    snap = deployed(p, b)
    snap = replace(snap, settings=replace(snap.settings, tags=tuple(f"x{i}" for i in range(6))))
    plan = plan_deploy(p, b, snap)
    assert plan.blockers and "9 tags" in plan.blockers[0].message


def test_logpush_and_observability_change_only_when_they_differ() -> None:
    """Non-versioned settings are compared against the live script, observability on the keys set."""
    p, b = project(logpush=True, observability={"enabled": True}), bundle()
    snap = deployed(p, b)
    live = replace(snap.settings, logpush=True, observability={"enabled": True, "head_sampling_rate": 1})
    assert plan_deploy(p, b, replace(snap, settings=live)).steps == ()
    step = plan_deploy(p, b, replace(snap, settings=replace(live, logpush=False))).steps[0]
    assert isinstance(step, SetScriptSettings) and step.changes == (("logpush", True),)


def test_preview_urls_are_planned_with_workers_dev() -> None:
    """preview_urls that differ from the live switch plan one subdomain step carrying both values."""
    p, b = project(preview_urls=False), bundle()
    snap = deployed(p, b, subdomain=Subdomain(True, True))
    assert plan_deploy(p, b, snap).steps == (SetWorkersDev("app", True, True, False, True),)
    assert plan_deploy(p, b, with_reads(p, snap, subdomain=Subdomain(True, False))).steps == ()
    assert plan_deploy(project(), b, deployed(project(), b, subdomain=Subdomain(True, True))).steps == ()


def test_custom_domain_with_dns_records_is_a_conflict_unless_override_dns() -> None:
    """A hostname with records of its own needs --override-dns (destructive); --take-over-routes is not enough."""
    from cfworker.api.dns import DnsRecord

    p, b = project(routes=(RouteSpec("shop.example.com", custom_domain=True),), workers_dev=False), bundle()
    snap = deployed(p, b, domain_dns={"shop.example.com": (DnsRecord("r1", "A", "shop.example.com", "192.0.2.1"),)})
    plan = plan_deploy(p, b, snap, PlanOptions(take_over_routes=True))
    assert not plan.steps and "--override-dns" in plan.conflicts[0].fix
    assert plan.conflicts[0].describe() == "custom domain shop.example.com has DNS record(s) of its own: A shop.example.com 192.0.2.1"
    plan = plan_deploy(p, b, snap, PlanOptions(override_dns=True))
    attach = plan.steps[0]
    assert isinstance(attach, AttachDomain) and attach.override_dns and plan.destructive_steps == (attach,)


def test_last_custom_domain_removed_from_config_is_detached() -> None:
    """With no custom domains left in worker.toml, this worker's domain is still found and detached."""
    p, b = project(), bundle()
    plan = plan_deploy(p, b, deployed(p, b, domains=(CustomDomain("d2", "old.example.com", "app", ZONE_ID),)))
    assert plan.steps == (DetachDomain("d2", "old.example.com"),)


def test_route_host_and_longest_zone_match() -> None:
    """Hosts come from patterns without scheme/wildcards/paths; the longest label-aligned zone wins."""
    assert route_host("https://*.shop.example.com/api/*") == "shop.example.com"
    assert route_host("*example.com/*") == "example.com"
    assert route_host("*/api/*") is None
    zones = (Zone("1", "example.com"), Zone("2", "shop.example.com"), Zone("3", "ample.com"))
    assert zone_for_host(zones, "a.shop.example.com") == zones[1]
    assert zone_for_host(zones, "example.com") == zones[0]
    assert zone_for_host((Zone("3", "ample.com"),), "example.com") is None
