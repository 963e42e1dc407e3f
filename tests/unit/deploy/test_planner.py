"""plan_deploy: what a deploy writes, decided from plain values (no network)."""

from __future__ import annotations

from dataclasses import replace

from cfworker.api.domains import CustomDomain
from cfworker.api.kv import KVNamespace
from cfworker.api.workers import Subdomain
from cfworker.api.zones import Zone
from cfworker.deploy.plan import (
    AttachDomain,
    CreateKVNamespace,
    CreateRoute,
    DeleteRoute,
    DetachDomain,
    PutSchedules,
    Ref,
    SetWorkersDev,
    UpdateRoute,
    UploadScript,
)
from cfworker.deploy.planner import PlanOptions, plan_deploy
from cfworker.deploy.zones import route_host, zone_for_host
from cfworker.upload import hash_from_tags
from tests.unit.deploy.helpers import (
    KV_ID,
    ZONE_ID,
    KVNamespaceSpec,
    Route,
    RouteSpec,
    VarSpec,
    bundle,
    deployed,
    new_script,
    project,
)


def test_new_script_plans_create_upload_and_workers_dev_on() -> None:
    """A first deploy without routes uploads the script and turns workers.dev on."""
    plan = plan_deploy(project(), bundle(), new_script())
    assert [type(s) for s in plan.steps] == [UploadScript, SetWorkersDev]
    upload = plan.steps[0]
    assert isinstance(upload, UploadScript) and upload.is_new
    assert plan.steps[1] == SetWorkersDev("app", True, None)
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
    assert [type(s) for s in plan.steps] == [UploadScript]


def test_changed_var_uploads_once_and_notes_the_change() -> None:
    """A changed var produces exactly one upload and a note showing old and new value."""
    p, b = project(), bundle()
    snapshot = deployed(p, b)
    plan = plan_deploy(replace(p, vars=(VarSpec("GREETING", "hello"),)), b, snapshot)
    assert [type(s) for s in plan.steps] == [UploadScript]
    assert "var GREETING: 'hi' -> 'hello'" in plan.notes


def test_changed_code_uploads() -> None:
    """A different bundle changes the hash, so the script is uploaded."""
    p = project()
    plan = plan_deploy(p, bundle(b"export default {fetch(){return new Response('v2')}}"), deployed(p, bundle()))
    assert [type(s) for s in plan.steps] == [UploadScript]


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
    plan = plan_deploy(p, bundle(), new_script(kv_namespaces=()))
    create = plan.steps[0]
    assert create == CreateKVNamespace("CACHE", "app-cache")
    upload = plan.steps[1]
    assert isinstance(upload, UploadScript) and upload.kv_refs == (("CACHE", Ref("kv:CACHE", "id")),)


def test_kv_without_id_is_found_by_title_not_created() -> None:
    """An existing namespace with the derived title is reused: no create (wrangler's 10014 bug)."""
    p = project(kv_namespaces=(KVNamespaceSpec("CACHE"),))
    plan = plan_deploy(p, bundle(), new_script(kv_namespaces=(KVNamespace(KV_ID, "app-cache"),)))
    assert not any(isinstance(s, CreateKVNamespace) for s in plan.steps)
    assert plan.facts["kv_ids"] == {"CACHE": KV_ID}
    upload = next(s for s in plan.steps if isinstance(s, UploadScript))
    assert {"type": "kv_namespace", "name": "CACHE", "namespace_id": KV_ID} in upload.form.bindings


def test_kv_without_id_reuses_live_binding_and_stays_unchanged() -> None:
    """A KV binding the live script already has keeps its namespace, and nothing is uploaded."""
    p, b = project(kv_namespaces=(KVNamespaceSpec("CACHE"),)), bundle()
    plan = plan_deploy(p, b, deployed(p, b, kv_ids={"CACHE": KV_ID}))
    assert plan.steps == ()
    assert plan.facts["kv_ids"] == {"CACHE": KV_ID}


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
    snap = deployed(p, b, routes={ZONE_ID: (Route("r9", "old.example.com/*", "app"), Route("r8", "x.example.com/*", "zz"))})
    plan = plan_deploy(p, b, snap)
    assert plan.steps == (CreateRoute(ZONE_ID, "example.com", "new.example.com/*", "app"),
                          DeleteRoute(ZONE_ID, "example.com", "r9", "old.example.com/*"))
    assert plan.destructive_steps == (plan.steps[1],)


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
    assert [type(s) for s in plan.steps] == [CreateKVNamespace, UploadScript, CreateRoute]


def test_hash_recorded_in_tags() -> None:
    """The upload's tags carry the content hash the next deploy compares against."""
    plan = plan_deploy(project(tags=("team-a",)), bundle(), new_script())
    upload = plan.steps[0]
    assert isinstance(upload, UploadScript)
    assert upload.form.metadata["tags"][0] == "team-a"
    assert hash_from_tags(upload.form.metadata["tags"]) == upload.form.content_hash


def test_route_host_and_longest_zone_match() -> None:
    """Hosts come from patterns without scheme/wildcards/paths; the longest label-aligned zone wins."""
    assert route_host("https://*.shop.example.com/api/*") == "shop.example.com"
    assert route_host("*example.com/*") == "example.com"
    assert route_host("*/api/*") is None
    zones = (Zone("1", "example.com"), Zone("2", "shop.example.com"), Zone("3", "ample.com"))
    assert zone_for_host(zones, "a.shop.example.com") == zones[1]
    assert zone_for_host(zones, "example.com") == zones[0]
    assert zone_for_host((Zone("3", "ample.com"),), "example.com") is None
