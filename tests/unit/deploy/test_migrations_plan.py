"""Durable Object migrations in the deploy plan: what the upload carries, and what blocks it.

Research notes A1.3: a new Worker (or one without a live tag) gets every migration as
`{new_tag, steps}`; a live tag in the middle of worker.toml's list gets the later ones with
`old_tag`; the last tag gets none. A live tag worker.toml does not list, a binding to a class
no migration creates (10061) and a bound class the entry module does not export are blockers.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from cfworker.bindings.kind import BindingSpec
from cfworker.bundle.model import Bundle
from cfworker.config.model import MigrationSpec, Project
from cfworker.deploy.concerns.migrations import describe_step, pending
from cfworker.deploy.concerns.script import DeployVersion, UploadScript
from cfworker.deploy.plan import Plan
from cfworker.deploy.planner import plan_deploy
from cfworker.deploy.render import plan_to_json, render_plan
from cfworker.upload import hash_annotation
from tests.unit.deploy.helpers import VERSION_ID, binding, bundle, deployed, new_script, project

V1 = MigrationSpec("v1", new_sqlite_classes=("Counter",))
V2 = MigrationSpec("v2", new_classes=("Room",))
V3 = MigrationSpec("v3", renamed_classes=(("Room", "Hall"),))
COUNTER = binding("durable_objects.bindings", "COUNTER", class_name="Counter")


def do_project(*migrations: MigrationSpec, bindings: tuple[Any, ...] = (COUNTER,), **changes: Any) -> Project:
    return project(migrations=migrations, bindings=bindings, **changes)


def exporting(*names: str) -> Bundle:
    """The helpers' bundle, with the entry module's exports known (as esbuild's metafile gives them)."""
    return replace(bundle(), exports=names)


def upload_of(plan: Plan) -> UploadScript:
    [upload] = [s for s in plan.steps if isinstance(s, UploadScript)]
    return upload


def sent(plan: Plan) -> Any:
    """The `migrations` of the upload metadata (None when absent)."""
    return upload_of(plan).form.metadata.get("migrations")


# -- what the upload carries ------------------------------------------------------------------------
def test_new_worker_sends_every_migration_without_old_tag() -> None:
    """A first deploy: the stepped form with every step, no old_tag, on the PUT path."""
    p = do_project(V1, V2)
    plan = plan_deploy(p, bundle(), new_script(p))
    assert not plan.blockers
    upload = upload_of(plan)
    assert upload.form.metadata["migrations"] == {
        "new_tag": "v2", "steps": [{"new_sqlite_classes": ["Counter"]}, {"new_classes": ["Room"]}]}
    assert upload.is_new and upload.put and not upload.destructive
    assert plan.facts["migration_steps"] == ["migration v1: new SQLite class Counter", "migration v2: new class Room"]


def test_offline_plan_sends_every_migration_and_says_the_tag_was_not_checked() -> None:
    """Without credentials (snapshot None) every migration is planned as pending, and the plan says why."""
    plan = plan_deploy(do_project(V1, V2), bundle(), None)
    assert sent(plan) == {"new_tag": "v2", "steps": [V1.step(), V2.step()]}
    assert any("migration tag" in c for c in plan.skipped_checks)


def test_live_tag_is_last_sends_no_migrations_and_nothing_is_uploaded() -> None:
    """Every migration is applied and nothing else changed: no upload at all, and a note says so."""
    p, b = do_project(V1, V2), bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag="v2"))
    assert plan.steps == () and not plan.blockers
    assert "Durable Object migrations: up to date (tag v2)" in plan.notes
    assert "migration_steps" not in plan.facts


def test_live_tag_is_last_and_code_changed_uploads_a_version_without_migrations() -> None:
    """A code change still uploads, through the versions API (no PUT), with no `migrations` key."""
    p = do_project(V1, V2)
    plan = plan_deploy(p, bundle(b"export default {}; export class Counter {}"),
                       deployed(p, bundle(), migration_tag="v2"))
    upload = upload_of(plan)
    assert "migrations" not in upload.form.metadata
    assert not upload.put and not upload.is_new and upload.migration_steps == ()


def test_live_tag_in_the_middle_sends_only_the_later_ones_with_old_tag() -> None:
    p = do_project(V1, V2, V3, bindings=(COUNTER, binding("durable_objects.bindings", "HALL", class_name="Hall")))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag="v1"))
    assert not plan.blockers
    assert sent(plan) == {"old_tag": "v1", "new_tag": "v3",
                          "steps": [{"new_classes": ["Room"]}, {"renamed_classes": [{"from": "Room", "to": "Hall"}]}]}
    assert list(sent(plan)) == ["old_tag", "new_tag", "steps"]
    upload = upload_of(plan)
    assert upload.put and not upload.is_new  # pending migrations take the PUT path (api-notes §1.3)
    assert [type(s) for s in plan.steps] == [UploadScript, DeployVersion]


def test_existing_worker_without_a_live_tag_gets_every_migration() -> None:
    """A Worker deployed before it had Durable Objects (no migration_tag): all steps, no old_tag."""
    p, b = do_project(V1), bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag=None))
    assert sent(plan) == {"new_tag": "v1", "steps": [{"new_sqlite_classes": ["Counter"]}]}
    assert upload_of(plan).put and not upload_of(plan).is_new


def test_live_tag_not_in_worker_toml_is_a_blocker() -> None:
    """Replaying the history (wrangler's fallback) fails on Cloudflare (10074): the plan stops instead."""
    p, b = do_project(V1, V2), bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag="v0"))
    assert [(bl.message, bl.hint) for bl in plan.blockers] == [(
        "the live worker's Durable Object migration tag is 'v0', which worker.toml's [[migrations]] (v1, v2) does "
        "not list",
        "add the migration tagged 'v0' back where it was (the list is the migration history, in order), then add "
        "new migrations after it")]
    assert all("migrations" not in s.form.metadata for s in plan.steps if isinstance(s, UploadScript))


@pytest.mark.parametrize(("step", "destructive"), [
    (MigrationSpec("v2", deleted_classes=("Old",)), True),
    (MigrationSpec("v2", transferred_classes=(("Lobby", "old-worker", "Hall"),)), True),
    (MigrationSpec("v2", new_classes=("Room",)), False),
    (MigrationSpec("v2", renamed_classes=(("Counter", "Tally"),)), False),
])
def test_deleting_or_transferring_a_class_makes_the_upload_destructive(step: MigrationSpec, destructive: bool) -> None:
    bound = "Tally" if step.renamed_classes else "Counter"
    p = do_project(MigrationSpec("v1", new_sqlite_classes=("Counter", "Old")), step,
                   bindings=(binding("durable_objects.bindings", "COUNTER", class_name=bound),))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag="v1"))
    assert not plan.blockers
    upload = upload_of(plan)
    assert upload.destructive is destructive
    assert plan.destructive_steps == ((upload,) if destructive else ())
    assert plan.facts["migrations_destructive"] is destructive


def test_only_pending_destructive_steps_count() -> None:
    """A deletion already applied (at or before the live tag) does not make a later upload destructive."""
    p = do_project(MigrationSpec("v1", new_sqlite_classes=("Counter", "Old")),
                   MigrationSpec("v2", deleted_classes=("Old",)), MigrationSpec("v3", new_classes=("Room",)))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag="v2"))
    assert sent(plan) == {"old_tag": "v2", "new_tag": "v3", "steps": [{"new_classes": ["Room"]}]}
    assert not upload_of(plan).destructive and plan.destructive_steps == ()


def test_next_deploy_after_applying_migrations_uploads_nothing() -> None:
    """After a deploy applied v1 (its deployment annotated with that upload's hash), an unchanged tree is skipped."""
    p, b = do_project(V1), bundle()
    first = upload_of(plan_deploy(p, b, new_script(p)))
    live = deployed(p, b, migration_tag="v1")
    [dep] = live.deployments or ()
    live = replace(live, deployments=(replace(dep, versions=((VERSION_ID, 100.0),),
                                              annotations={"workers/message": hash_annotation(first.form.content_hash)}),))
    plan = plan_deploy(p, b, live)
    assert plan.steps == (), [s.describe() for s in plan.steps]


# -- blockers -----------------------------------------------------------------------------------------
def test_own_durable_object_class_without_a_creating_migration_is_a_blocker() -> None:
    """No migration creates Counter: Cloudflare would refuse the binding with 10061; nothing is written."""
    p = do_project()
    plan = plan_deploy(p, bundle(), new_script(p))
    [blocker] = plan.blockers
    assert blocker.message == ("durable_objects binding COUNTER uses class Counter of this worker, but no "
                               "[[migrations]] entry creates it (Cloudflare refuses such a binding: 10061)")
    assert 'new_sqlite_classes = ["Counter"]' in blocker.hint


@pytest.mark.parametrize("history", [
    (MigrationSpec("v1", new_classes=("Room",)),),  # another class
    (V1, MigrationSpec("v2", renamed_classes=(("Counter", "Tally"),))),  # renamed away
    (V1, MigrationSpec("v2", deleted_classes=("Counter",))),  # deleted
], ids=["other-class", "renamed-away", "deleted"])
def test_bound_class_that_the_history_does_not_leave_is_a_blocker(history: tuple[MigrationSpec, ...]) -> None:
    p = do_project(*history)
    plan = plan_deploy(p, bundle(), new_script(p))
    assert [b.message.split(",")[0] for b in plan.blockers] == [
        "durable_objects binding COUNTER uses class Counter of this worker"]
    assert all("10061" in b.message for b in plan.blockers)


def test_binding_naming_this_worker_as_script_name_needs_a_migration_too() -> None:
    """script_name = this Worker's own name is the same as no script_name."""
    p = do_project(bindings=(binding("durable_objects.bindings", "COUNTER", class_name="Counter", script_name="app"),))
    assert [b.message.split(" (")[0] for b in plan_deploy(p, bundle(), new_script(p)).blockers] == [
        "durable_objects binding COUNTER uses class Counter of this worker, but no [[migrations]] entry creates it"]


def test_binding_to_another_workers_class_needs_no_migration_or_export() -> None:
    """A class of another Worker (script_name) is that Worker's business: no migration, no export check."""
    p = do_project(bindings=(binding("durable_objects.bindings", "ROOMS", class_name="Room", script_name="rooms"),))
    plan = plan_deploy(p, exporting("default"), new_script(p))
    assert plan.blockers == ()
    assert "migrations" not in upload_of(plan).form.metadata
    assert {"type": "durable_object_namespace", "name": "ROOMS", "class_name": "Room",
            "script_name": "rooms"} in upload_of(plan).form.bindings


def test_bound_class_not_exported_by_the_entry_module_is_a_blocker() -> None:
    p = do_project(V1)
    plan = plan_deploy(p, exporting("default"), new_script(p))
    assert [(b.message, b.hint) for b in plan.blockers] == [(
        "this worker's Durable Object class(es) Counter are bound but not exported by the entry module index.js",
        'export them from the entry module: export { Counter } from "./..."')]


def test_exported_class_passes_and_unknown_exports_are_not_checked() -> None:
    """Exports known and listing the class: fine. Exports unknown (None, e.g. a prebuilt bundle): no check."""
    p = do_project(V1)
    assert plan_deploy(p, exporting("default", "Counter"), new_script(p)).blockers == ()
    assert bundle().exports is None
    assert plan_deploy(p, bundle(), new_script(p)).blockers == ()


def test_workflow_class_of_this_worker_must_be_exported_but_needs_no_migration() -> None:
    own = BindingSpec("workflows", "ORDERS", (("binding", "ORDERS"), ("name", "order-flow"), ("class_name", "OrderFlow")))
    other = BindingSpec("workflows", "BILLING", (("binding", "BILLING"), ("name", "billing"), ("class_name", "Billing"),
                                                 ("script_name", "billing-worker")))
    p = project(bindings=(own, other))
    plan = plan_deploy(p, exporting("default"), new_script(p))
    assert [b.message for b in plan.blockers] == [
        "this worker's Workflow class(es) OrderFlow are bound but not exported by the entry module index.js"]
    assert plan_deploy(p, exporting("default", "OrderFlow"), new_script(p)).blockers == ()


def test_missing_migration_and_missing_export_are_both_reported() -> None:
    p = do_project()
    messages = [b.message for b in plan_deploy(p, exporting("default"), new_script(p)).blockers]
    assert len(messages) == 2 and "10061" in messages[0] and "not exported" in messages[1]


# -- rendering --------------------------------------------------------------------------------------
def test_plan_lists_each_migration_step_under_the_upload() -> None:
    p = do_project(V1, MigrationSpec("v2", new_classes=("Room",), renamed_classes=(("Room", "Hall"),),
                                     deleted_classes=("Old",), transferred_classes=(("Lobby", "old-worker", "Lobby"),)))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, migration_tag=None))
    lines = render_plan(plan)
    [i] = [n for n, line in enumerate(lines) if line.startswith("  ~ upload script 'app':")]
    assert lines[i].endswith(", 2 migration(s)  [destructive]")
    assert lines[i + 1:i + 3] == [
        "      migration v1: new SQLite class Counter",
        "      migration v2: new class Room; rename Room -> Hall; DELETE class Old (its stored data is lost); "
        "TRANSFER class Lobby from worker 'old-worker' as Lobby"]
    [step] = [s for s in plan_to_json(plan) if s["action"] == "UploadScript"]
    assert step["details"] == [line.strip() for line in lines[i + 1:i + 3]] and step["destructive"] is True


def test_new_worker_plan_shows_create_with_migration_count() -> None:
    p = do_project(V1)
    lines = render_plan(plan_deploy(p, bundle(), new_script(p)))
    assert any(line.startswith("  + create script 'app':") and line.endswith(", 1 migration(s)") for line in lines)
    assert "      migration v1: new SQLite class Counter" in lines


def test_blocker_is_rendered_with_its_fix() -> None:
    p, b = do_project(V1), bundle()
    lines = render_plan(plan_deploy(p, b, deployed(p, b, migration_tag="gone")))
    [i] = [n for n, line in enumerate(lines) if "migration tag is 'gone'" in line]
    assert lines[i].startswith("  ! ") and lines[i + 1].startswith("      fix: add the migration tagged 'gone' back")


@pytest.mark.parametrize(("spec", "text"), [
    (MigrationSpec("v1"), "migration v1: no class changes"),
    (MigrationSpec("v1", new_classes=("A", "B")), "migration v1: new class A; new class B"),
    (MigrationSpec("v1", deleted_classes=("A",)), "migration v1: DELETE class A (its stored data is lost)"),
])
def test_describe_step(spec: MigrationSpec, text: str) -> None:
    assert describe_step(spec) == text


def test_pending_is_what_follows_the_live_tag() -> None:
    history = (V1, V2, V3)
    assert pending(history, None) == history
    assert pending(history, "v1") == (V2, V3)
    assert pending(history, "v3") == ()
    assert pending(history, "v9") is None
