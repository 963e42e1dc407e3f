"""Issue 14 end to end: Durable Object migrations, queue consumers, Workflows, R2/D1 provisioning.

Each test writes its own small project into tmp_path and runs the real CLI (in-process), the
real esbuild and the fake Cloudflare API.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Result, run_cli
from tests.fakes import multipart

pytestmark = pytest.mark.needs_esbuild

NAME = "app"

COUNTER_JS = """\
export class Counter {
  constructor(state, env) { this.state = state; }
  async fetch() { return new Response("counter"); }
}
export default {
  async fetch(request, env) { return new Response("hello"); },
};
"""

TALLY_JS = COUNTER_JS.replace("class Counter", "class Tally").replace('"counter"', '"tally"')

DO_TOML = f"""\
# a Worker with a Durable Object class of its own
name = "{NAME}"
main = "src/index.js"
compatibility_date = "2025-06-01"

[[durable_objects.bindings]]
name = "COUNTER"
class_name = "Counter"

[[migrations]]
tag = "v1"
new_sqlite_classes = ["Counter"]
"""

QUEUE_JS = """\
export default {
  async fetch(request, env) { return new Response("hello"); },
  async queue(batch, env) { for (const m of batch.messages) m.ack(); },
};
"""

WORKFLOW_JS = """\
import { WorkflowEntrypoint } from "cloudflare:workers";
export class OrderFlow extends WorkflowEntrypoint {
  async run(event, step) { return "done"; }
}
export default {
  async fetch(request, env) { return new Response("hello"); },
};
"""


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild and a workers.dev subdomain."""
    fake_cf.set_workers_subdomain("acme")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def make_project(root: Path, toml: str, js: str) -> Path:
    project = root / "proj"
    (project / "src").mkdir(parents=True)
    (project / "worker.toml").write_text(toml)
    (project / "src" / "index.js").write_text(js)
    return project


def deploy(project: Path, env: dict[str, str], *args: str) -> Result:
    return run_cli(["deploy", *args], env=env, cwd=project)


def edit(project: Path, old: str, new: str, file: str = "worker.toml") -> None:
    path = project / file
    text = path.read_text()
    assert old in text, (old, text)
    path.write_text(text.replace(old, new))


def upload_metadata(fake_cf, since: int = 0) -> list[dict[str, Any]]:
    """The `metadata` part of every script upload (PUT script or POST version) after request #since."""
    script = f"/accounts/{fake_cf.account_id}/workers/scripts/{NAME}"
    out = []
    for r in fake_cf.requests[since:]:
        if (r.method, r.path) in (("PUT", script), ("POST", script + "/versions")):
            ctype = next(v for k, v in r.headers.items() if k.lower() == "content-type")
            parts = {p.name: p for p in multipart.parse(ctype, r.body)}
            out.append(json.loads(parts["metadata"].data))
    return out


def migrations_sent(fake_cf, since: int = 0) -> list[dict[str, Any]]:
    return [m["migrations"] for m in upload_metadata(fake_cf, since) if "migrations" in m]


def bindings_of(fake_cf, type_: str) -> list[dict[str, Any]]:
    return [b for b in fake_cf.scripts[NAME].metadata["bindings"] if b["type"] == type_]


# -- 1. Durable Object migrations -------------------------------------------------------------------

V2_RENAME = '\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ from = "Counter", to = "Tally" }]\n'


def test_do_first_deploy_applies_migration_v1_and_binds_the_class(tmp_path, env, fake_cf) -> None:
    """A new Worker with its own DO class: one PUT carrying exactly migration v1, the class live and bound."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    r = deploy(project, env)
    assert r.code == 0, r
    script = fake_cf.scripts[NAME]
    assert script.migration_tag == "v1" and script.do_classes == {"Counter"}
    assert bindings_of(fake_cf, "durable_object_namespace") == [
        {"type": "durable_object_namespace", "name": "COUNTER", "class_name": "Counter"}]
    assert migrations_sent(fake_cf) == [{"new_tag": "v1", "steps": [{"new_sqlite_classes": ["Counter"]}]}]
    assert fake_cf.count("PUT", f"/accounts/*/workers/scripts/{NAME}") == 1
    assert "migration v1: new SQLite class Counter" in r.out


def test_do_redeploy_of_the_same_tree_sends_no_migration(tmp_path, env, fake_cf) -> None:
    """The live tag is the last one listed: a rerun sends no migration and the tag stays v1."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    assert deploy(project, env).code == 0
    mark = len(fake_cf.requests)
    again = deploy(project, env)
    assert again.code == 0, again
    assert migrations_sent(fake_cf, mark) == []
    assert fake_cf.count("GET", f"/accounts/*/workers/services/{NAME}") >= 2  # the live tag was read again
    assert "Durable Object migrations: up to date (tag v1)" in again.out
    assert fake_cf.scripts[NAME].migration_tag == "v1"


def test_do_redeploy_of_the_same_tree_writes_nothing(tmp_path, env, fake_cf) -> None:
    """The second deploy of an unchanged tree after a migration deploy makes no write at all (the content
    hash leaves the applied migrations out)."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    assert deploy(project, env).code == 0
    writes = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert [(w.method, w.path) for w in fake_cf.writes()[writes:]] == []
    assert "upload skipped" in again.out


def test_do_rename_migration_sends_exactly_the_pending_step(tmp_path, env, fake_cf) -> None:
    """Adding v2 (rename Counter -> Tally) sends one migration: old_tag v1, new_tag v2, only the rename step."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    assert deploy(project, env).code == 0
    edit(project, 'class_name = "Counter"', 'class_name = "Tally"')
    (project / "worker.toml").write_text((project / "worker.toml").read_text() + V2_RENAME)
    (project / "src" / "index.js").write_text(TALLY_JS)
    mark = len(fake_cf.requests)
    r = deploy(project, env)
    assert r.code == 0, r
    assert migrations_sent(fake_cf, mark) == [
        {"old_tag": "v1", "new_tag": "v2", "steps": [{"renamed_classes": [{"from": "Counter", "to": "Tally"}]}]}]
    assert len(upload_metadata(fake_cf, mark)) == 1
    script = fake_cf.scripts[NAME]
    assert script.migration_tag == "v2" and script.do_classes == {"Tally"}
    assert bindings_of(fake_cf, "durable_object_namespace") == [
        {"type": "durable_object_namespace", "name": "COUNTER", "class_name": "Tally"}]
    assert "migration v2: rename Counter -> Tally" in r.out
    assert "migration v1" not in r.out

    writes = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert fake_cf.writes()[writes:] == [] and script.migration_tag == "v2"


# -- 2. migration blockers and destructive migrations -------------------------------------------------

def test_do_binding_without_a_migration_is_blocked_before_any_write(tmp_path, env, fake_cf) -> None:
    """A binding to an own class no [[migrations]] creates: exit 1, nothing written, a hint to add one."""
    toml = DO_TOML.split("[[migrations]]")[0]
    project = make_project(tmp_path, toml, COUNTER_JS)
    r = deploy(project, env)
    assert r.code == 1, r
    assert fake_cf.writes() == []
    assert NAME not in fake_cf.scripts
    assert "COUNTER" in r.output and "Counter" in r.output
    assert "[[migrations]]" in r.output and 'new_sqlite_classes = ["Counter"]' in r.output
    assert "Traceback" not in r.output


def test_deleted_classes_migration_needs_yes(tmp_path, env, fake_cf) -> None:
    """v2 deleting Counter is destructive: refused without --yes (nothing written), applied with it."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    assert deploy(project, env).code == 0
    toml = (project / "worker.toml").read_text()
    binding = '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "Counter"\n'
    assert binding in toml
    (project / "worker.toml").write_text(toml.replace(binding, "") + '\n[[migrations]]\ntag = "v2"\n'
                                                                     'deleted_classes = ["Counter"]\n')
    (project / "src" / "index.js").write_text('export default { fetch() { return new Response("bye"); } };\n')
    writes = len(fake_cf.writes())
    refused = deploy(project, env)
    assert refused.code == 2, refused
    assert fake_cf.writes()[writes:] == []
    assert fake_cf.scripts[NAME].migration_tag == "v1" and fake_cf.scripts[NAME].do_classes == {"Counter"}
    assert "DELETE class Counter" in refused.out and "--yes" in refused.output

    mark = len(fake_cf.requests)
    applied = deploy(project, env, "--yes")
    assert applied.code == 0, applied
    assert migrations_sent(fake_cf, mark) == [{"old_tag": "v1", "new_tag": "v2",
                                               "steps": [{"deleted_classes": ["Counter"]}]}]
    assert fake_cf.scripts[NAME].migration_tag == "v2" and fake_cf.scripts[NAME].do_classes == set()
    assert bindings_of(fake_cf, "durable_object_namespace") == []


# -- 3. queue consumers ---------------------------------------------------------------------------

CONSUMER_TOML = f"""\
name = "{NAME}"
main = "src/index.js"
compatibility_date = "2025-06-01"

# this Worker consumes the jobs queue
[[queues.consumers]]
queue = "jobs"
max_batch_size = 10
max_batch_timeout = 5
max_retries = 3
dead_letter_queue = "jobs-dlq"
max_concurrency = 2
retry_delay = 30
"""

CONSUMER_SETTINGS = {"batch_size": 10, "max_wait_time_ms": 5000, "max_retries": 3, "max_concurrency": 2,
                     "retry_delay": 30}


def mine(fake_cf, queue: str) -> list[Any]:
    return [c for c in fake_cf.queue(queue).consumers if c.script == NAME]


def test_queue_consumer_attach_converge_update_and_detach(tmp_path, env, fake_cf) -> None:
    """Attach with the configured settings; a rerun writes nothing; one setting changed is one PUT;
    removing the entry is refused without --yes and detaches with it."""
    fake_cf.add_queue("jobs")
    fake_cf.add_queue("jobs-dlq")
    project = make_project(tmp_path, CONSUMER_TOML, QUEUE_JS)
    first = deploy(project, env)
    assert first.code == 0, first
    [consumer] = mine(fake_cf, "jobs")
    assert consumer.type == "worker" and consumer.dead_letter_queue == "jobs-dlq"
    assert consumer.settings == CONSUMER_SETTINGS
    assert fake_cf.count("POST", "/accounts/*/queues/*/consumers") == 1
    assert mine(fake_cf, "jobs-dlq") == []

    writes = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert fake_cf.writes()[writes:] == []

    edit(project, "max_batch_size = 10", "max_batch_size = 20")
    updated = deploy(project, env)
    assert updated.code == 0, updated
    new = fake_cf.writes()[writes:]
    qid = fake_cf.queue("jobs").id
    assert [(w.method, w.path) for w in new] == [
        ("PUT", f"/accounts/{fake_cf.account_id}/queues/{qid}/consumers/{consumer.id}")]
    assert new[0].json()["settings"] == {**CONSUMER_SETTINGS, "batch_size": 20}
    [after] = mine(fake_cf, "jobs")
    assert after.id == consumer.id and after.settings["batch_size"] == 20
    assert "update consumer of queue jobs" in updated.out

    text = (project / "worker.toml").read_text()
    (project / "worker.toml").write_text(text[:text.index("# this Worker consumes")])
    writes = len(fake_cf.writes())
    refused = deploy(project, env)
    assert refused.code == 2, refused
    assert fake_cf.writes()[writes:] == []
    assert len(mine(fake_cf, "jobs")) == 1
    assert "stop consuming queue jobs" in refused.out and "--yes" in refused.output
    detached = deploy(project, env, "--yes")
    assert detached.code == 0, detached
    assert mine(fake_cf, "jobs") == []
    assert fake_cf.count("DELETE", f"/accounts/*/queues/{qid}/consumers/{consumer.id}") == 1
    assert "jobs" in fake_cf.queues  # the queue itself stays


def test_consumer_of_a_missing_queue_is_blocked_before_any_write(tmp_path, env, fake_cf) -> None:
    """[[queues.consumers]] naming a queue the account lacks: exit 1, nothing written, the queue named."""
    fake_cf.add_queue("jobs-dlq")
    project = make_project(tmp_path, CONSUMER_TOML, QUEUE_JS)
    r = deploy(project, env)
    assert r.code == 1, r
    assert fake_cf.writes() == []
    assert NAME not in fake_cf.scripts
    assert "queue 'jobs' does not exist" in r.output
    assert "Traceback" not in r.output


# -- 4. Workflows ---------------------------------------------------------------------------------

WORKFLOW_TOML = f"""\
name = "{NAME}"
main = "src/index.js"
compatibility_date = "2025-06-01"

[[workflows]]
binding = "ORDERS"
name = "order-flow"
class_name = "OrderFlow"
"""


def test_workflow_is_registered_after_the_upload_and_a_rerun_leaves_it(tmp_path, env, fake_cf) -> None:
    """The workflow is registered with this Worker's class; a rerun sends no workflow write."""
    project = make_project(tmp_path, WORKFLOW_TOML, WORKFLOW_JS)
    r = deploy(project, env)
    assert r.code == 0, r
    wf = fake_cf.workflows["order-flow"]
    assert (wf.script_name, wf.class_name) == (NAME, "OrderFlow")
    assert [(b["name"], b.get("workflow_name"), b.get("class_name")) for b in bindings_of(fake_cf, "workflow")] == [
        ("ORDERS", "order-flow", "OrderFlow")]
    puts = [i for i, q in enumerate(fake_cf.requests) if q.method == "PUT" and q.path.endswith("/workflows/order-flow")]
    uploads = [i for i, q in enumerate(fake_cf.requests) if q.path.endswith(f"/workers/scripts/{NAME}")
               and q.method == "PUT"]
    assert len(puts) == 1 and uploads and uploads[0] < puts[0], "registered after the upload"
    assert "register workflow order-flow (class OrderFlow)" in r.out

    writes = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert fake_cf.count("PUT", "/accounts/*/workflows/*") == 1
    assert fake_cf.writes()[writes:] == []
    assert fake_cf.workflows["order-flow"].version_id == wf.version_id


# -- 5. R2 and D1 provisioning --------------------------------------------------------------------

STORAGE_TOML = f"""\
# storage bindings: cfworker finds or creates what they point at
name = "{NAME}"
main = "src/index.js"
compatibility_date = "2025-06-01"

[[r2_buckets]]
binding = "FILES"  # uploads go here

[[d1_databases]]
binding = "DB"  # the main database
"""

PLAIN_JS = 'export default { fetch() { return new Response("hello"); } };\n'


def test_r2_and_d1_are_created_written_back_and_reused(tmp_path, env, fake_cf) -> None:
    """First deploy creates app-files and app-db, binds them and writes them into worker.toml (comments
    kept); the second deploy creates nothing and writes nothing."""
    project = make_project(tmp_path, STORAGE_TOML, PLAIN_JS)
    r = deploy(project, env)
    assert r.code == 0, r
    assert [(b.name, b.jurisdiction) for b in fake_cf.r2_buckets] == [(f"{NAME}-files", "default")]
    assert sorted(fake_cf.d1_databases) == [f"{NAME}-db"]
    uuid = fake_cf.d1_databases[f"{NAME}-db"].uuid
    assert bindings_of(fake_cf, "r2_bucket") == [{"type": "r2_bucket", "name": "FILES", "bucket_name": f"{NAME}-files"}]
    assert [(b["name"], b["id"]) for b in bindings_of(fake_cf, "d1")] == [("DB", uuid)]

    text = (project / "worker.toml").read_text()
    assert f'bucket_name = "{NAME}-files"' in text and f'database_id = "{uuid}"' in text
    stripped = "\n".join(line for line in text.splitlines()
                         if not line.startswith(("bucket_name =", "database_id ="))) + "\n"
    assert stripped == STORAGE_TOML, "only the written-back lines may be added"
    assert "# uploads go here" in text and "# the main database" in text

    writes = len(fake_cf.writes())
    again = deploy(project, env)
    assert again.code == 0, again
    assert fake_cf.writes()[writes:] == []
    assert fake_cf.count("POST", "/accounts/*/r2/buckets") == 1
    assert fake_cf.count("POST", "/accounts/*/d1/database") == 1
    assert (project / "worker.toml").read_text() == text


def test_existing_d1_database_and_r2_bucket_are_found_by_name(tmp_path, env, fake_cf) -> None:
    """<name>-db and <name>-files already exist: they are bound and written back, not created."""
    uuid = fake_cf.add_d1_database(f"{NAME}-db")
    fake_cf.add_r2_bucket(f"{NAME}-files")
    project = make_project(tmp_path, STORAGE_TOML, PLAIN_JS)
    r = deploy(project, env)
    assert r.code == 0, r
    assert fake_cf.count("POST", "/accounts/*/d1/database") == 0
    assert fake_cf.count("POST", "/accounts/*/r2/buckets") == 0
    assert sorted(fake_cf.d1_databases) == [f"{NAME}-db"] and len(fake_cf.r2_buckets) == 1
    assert [(b["name"], b["id"]) for b in bindings_of(fake_cf, "d1")] == [("DB", uuid)]
    assert f'database_id = "{uuid}"' in (project / "worker.toml").read_text()


def test_ids_lost_from_worker_toml_are_written_back_on_an_up_to_date_deploy(tmp_path, env, fake_cf) -> None:
    """A CI checkout without the written-back lines: the deploy finds the bucket and database through the live
    bindings (nothing to create or upload) and pins them in worker.toml again."""
    project = make_project(tmp_path, STORAGE_TOML, PLAIN_JS)
    assert deploy(project, env).code == 0
    uuid = fake_cf.d1_databases[f"{NAME}-db"].uuid
    (project / "worker.toml").write_text(STORAGE_TOML)  # as a fresh clone without the write-back would have it
    writes = len(fake_cf.writes())
    r = deploy(project, env)
    assert r.code == 0, r
    assert fake_cf.writes()[writes:] == []
    assert "already bound to the worker" in r.out
    text = (project / "worker.toml").read_text()
    assert f'database_id = "{uuid}"' in text and f'bucket_name = "{NAME}-files"' in text


# -- 6. --json --------------------------------------------------------------------------------------

def test_json_migration_deploy_prints_exactly_one_document(tmp_path, env, fake_cf) -> None:
    """--json on a deploy with a migration: stdout is one JSON document with the plan and the results."""
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    r = deploy(project, env, "--json")
    assert r.code == 0, r
    doc = json.loads(r.out)  # raises on anything but exactly one JSON document
    assert doc["ok"] is True and doc["script"] == NAME
    upload = next(s for s in doc["plan"] if s["action"] == "UploadScript")
    assert upload["details"] == ["migration v1: new SQLite class Counter"]
    assert all(x["status"] == "applied" for x in doc["results"])
    assert fake_cf.scripts[NAME].migration_tag == "v1"



DELETE_V2 = '\n[[migrations]]\ntag = "v2"\ndeleted_classes = ["Counter"]\n'
DO_BINDING = '[[durable_objects.bindings]]\nname = "COUNTER"\nclass_name = "Counter"\n'


def _refused_json(tmp_path, env, fake_cf) -> tuple[Result, int]:
    project = make_project(tmp_path, DO_TOML, COUNTER_JS)
    assert deploy(project, env).code == 0
    (project / "worker.toml").write_text((project / "worker.toml").read_text().replace(DO_BINDING, "") + DELETE_V2)
    writes = len(fake_cf.writes())
    return deploy(project, env, "--json"), writes


def test_json_refused_destructive_migration_is_one_document(tmp_path, env, fake_cf) -> None:
    """--json on an unconfirmed deleted_classes migration: exit 1, nothing written, one JSON document on stdout
    naming the destructive upload and its migration step (human output on stderr)."""
    r, writes = _refused_json(tmp_path, env, fake_cf)
    assert r.code == 2, r
    assert fake_cf.writes()[writes:] == []
    doc = json.loads(r.out)
    assert doc["ok"] is False and doc["exit_code"] == 2 and doc["results"] == []
    upload = next(s for s in doc["plan"] if s["action"] == "UploadScript")
    assert upload["destructive"] is True
    assert upload["details"] == ["migration v2: DELETE class Counter (its stored data is lost)"]
    assert "--yes" in doc["message"]
    assert "Plan for worker" in r.err and "Plan for worker" not in r.out


def test_json_refused_deploy_is_not_reported_as_a_dry_run(tmp_path, env, fake_cf) -> None:
    """A deploy run without --dry-run that is refused says dry_run: false."""
    r, _ = _refused_json(tmp_path, env, fake_cf)
    assert r.code == 2, r
    assert json.loads(r.out)["dry_run"] is False
