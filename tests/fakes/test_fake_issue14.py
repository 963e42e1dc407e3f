"""Issue 14: DO migrations, queues and consumers, workflows, R2 and D1 (one test per behaviour)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.test_fake_cloudflare import errors, upload

MOD = "application/javascript+module"
ROOMS = b"export class Room {}\nexport class Lobby {}\nexport default { fetch() {} }\n"
CONSUMER = b"export default { async queue(batch) {}, fetch() {} }\n"
WORKFLOW = b"import { WorkflowEntrypoint } from 'cloudflare:workers';\nclass Flow extends WorkflowEntrypoint {}\n" \
           b"export { Flow as Checkout };\nexport default {}\n"


def _meta(bindings: list[dict[str, Any]] | None = None, migrations: dict[str, Any] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"main_module": "index.js", "bindings": bindings or []}
    if migrations is not None:
        meta["migrations"] = migrations
    return meta


def _put(client: httpx.Client, fake: FakeCloudflare, name: str, meta: dict[str, Any],
         content: bytes = ROOMS) -> httpx.Response:
    return upload(client, fake, name, meta, {"index.js": (content, MOD)})


def _do(cls: str, name: str = "ROOM", **extra: Any) -> dict[str, Any]:
    return {"type": "durable_object_namespace", "name": name, "class_name": cls, **extra}


def _script_path(fake: FakeCloudflare, name: str) -> str:
    return f"/accounts/{fake.account_id}/workers/scripts/{name}"


# -- Durable Object migrations --------------------------------------------------------------------

def test_new_class_for_a_live_class_is_10074(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """new_classes / new_sqlite_classes create a class; doing it again for a live class is 10074."""
    ok = _put(fake_cf_client, fake_cf, "app", _meta(migrations={"new_tag": "v1", "steps": [{"new_classes": ["Room"]}]}))
    assert ok.status_code == 200, ok.text
    assert fake_cf.scripts["app"].do_classes == {"Room"}
    again = _put(fake_cf_client, fake_cf, "app", _meta(migrations={"old_tag": "v1", "new_tag": "v2",
                                                                   "steps": [{"new_sqlite_classes": ["Room"]}]}))
    assert (again.status_code, errors(again)) == (400, [10074])
    assert "new-sqlite-class migration to class 'Room'" in again.json()["errors"][0]["message"]
    assert fake_cf.scripts["app"].migration_tag == "v1"


def test_rename_needs_a_live_from_and_a_free_to(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """renamed_classes {from, to}: `from` must be live, `to` must not; the class then has the new name."""
    fake_cf.add_script("app", ROOMS, metadata={"migrations": {"new_tag": "v1", "new_classes": ["Room", "Lobby"]}})
    def step(r: dict[str, str]) -> dict[str, Any]:
        return _meta(migrations={"old_tag": "v1", "new_tag": "v2", "steps": [{"renamed_classes": [r]}]})
    missing = _put(fake_cf_client, fake_cf, "app", step({"from": "Hall", "to": "Hall2"}))
    taken = _put(fake_cf_client, fake_cf, "app", step({"from": "Room", "to": "Lobby"}))
    assert errors(missing) == [10074] and errors(taken) == [10074]
    assert _put(fake_cf_client, fake_cf, "app", step({"from": "Lobby", "to": "Hall"})).status_code == 200
    assert fake_cf.scripts["app"].do_classes == {"Room", "Hall"}


def test_delete_class_must_be_live_and_unbound(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """deleted_classes: a class that is not live is 10074; one the same upload still binds is 10061."""
    fake_cf.add_script("app", ROOMS, bindings=[], metadata={"migrations": {"new_tag": "v1", "new_classes": ["Room"]}})
    delete = {"old_tag": "v1", "new_tag": "v2", "steps": [{"deleted_classes": ["Room"]}]}
    gone = _put(fake_cf_client, fake_cf, "app", _meta(migrations={**delete, "steps": [{"deleted_classes": ["Ghost"]}]}))
    assert errors(gone) == [10074] and "delete-class migration to class 'Ghost'" in gone.json()["errors"][0]["message"]
    bound = _put(fake_cf_client, fake_cf, "app", _meta([_do("Room")], delete))
    assert errors(bound) == [10061]
    assert bound.json()["errors"][0]["message"] == ("Cannot apply --delete-class migration to class 'Room' without "
                                                    "also removing the binding that references it.")
    assert _put(fake_cf_client, fake_cf, "app", _meta([], delete)).status_code == 200
    assert fake_cf.scripts["app"].do_classes == set() and fake_cf.scripts["app"].migration_tag == "v2"


def test_transfer_moves_a_class_from_another_script(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """transferred_classes {from, from_script, to}: the class leaves the other script and lives here."""
    fake_cf.add_script("old", ROOMS, metadata={"migrations": {"new_tag": "v1", "new_classes": ["Room"]}})
    move = {"new_tag": "v1", "steps": [{"transferred_classes": [{"from": "Room", "from_script": "old", "to": "Lobby"}]}]}
    nowhere = {"new_tag": "v1", "steps": [{"transferred_classes": [{"from": "Room", "from_script": "nope",
                                                                      "to": "Lobby"}]}]}
    assert errors(_put(fake_cf_client, fake_cf, "new", _meta(migrations=nowhere))) == [10074]
    r = _put(fake_cf_client, fake_cf, "new", _meta([_do("Lobby")], move))
    assert r.status_code == 200, r.text
    assert fake_cf.scripts["new"].do_classes == {"Lobby"} and fake_cf.scripts["old"].do_classes == set()
    twice = _put(fake_cf_client, fake_cf, "other", _meta(migrations=move))
    assert errors(twice) == [10074]  # "old" has no class Room any more


def test_single_step_form_and_old_tag_precondition(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The single-step form works like one step; old_tag must equal the live tag (10079)."""
    assert _put(fake_cf_client, fake_cf, "app", _meta(migrations={"new_tag": "v1", "new_classes": ["Room"]})
                ).status_code == 200
    stale = _put(fake_cf_client, fake_cf, "app", _meta(migrations={"old_tag": "v0", "new_tag": "v2",
                                                                   "new_classes": ["Lobby"]}))
    missing = _put(fake_cf_client, fake_cf, "app", _meta(migrations={"new_tag": "v2", "new_classes": ["Lobby"]}))
    assert errors(stale) == [10079] and errors(missing) == [10079]
    assert "current tag is v1" in stale.json()["errors"][0]["message"]


def test_migration_tag_shows_in_the_services_get_and_the_script_list(fake_cf: FakeCloudflare,
                                                                    fake_cf_client: httpx.Client) -> None:
    """wrangler reads result.default_environment.script.migration_tag (research notes A1.2)."""
    fake_cf.add_script("app", ROOMS, metadata={"migrations": {"new_tag": "v3", "steps": [{"new_classes": ["Room"]}]}})
    fake_cf.add_script("plain")
    service = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/services/app").json()["result"]
    assert service["default_environment"]["script"]["migration_tag"] == "v3"
    listed = {s["id"]: s for s in fake_cf_client.get(f"/accounts/{fake_cf.account_id}/workers/scripts").json()["result"]}
    assert listed["app"]["migration_tag"] == "v3" and listed["plain"]["migration_tag"] is None


def test_binding_to_a_class_the_module_does_not_export_is_10061(fake_cf: FakeCloudflare,
                                                                fake_cf_client: httpx.Client) -> None:
    """A DO binding to an own class the main module does not export: 10061 "... not exported by the script"
    (heuristic: `export class C` / `export { C }`); another Worker's class is not checked."""
    migrations = {"new_tag": "v1", "new_classes": ["Room"]}
    hidden = _put(fake_cf_client, fake_cf, "app", _meta([_do("Room")], migrations), b"class Room {}\nexport default {}")
    assert errors(hidden) == [10061]
    assert hidden.json()["errors"][0]["message"] == "Cannot create binding for class Room that is not exported by the script"
    default = _put(fake_cf_client, fake_cf, "app", _meta([_do("Room")], migrations), b"export default class Room {}")
    assert errors(default) == [10061]  # exported as `default`, not as `Room`
    listed = _put(fake_cf_client, fake_cf, "app", _meta([_do("Room")], migrations),
                  b"class R {}\nvar d = {};\nexport { R as Room, d as default };\n")
    assert listed.status_code == 200, listed.text
    other = _put(fake_cf_client, fake_cf, "b", _meta([_do("Elsewhere", script_name="app")]), b"export default {}")
    assert other.status_code == 200


def test_version_upload_migrations_apply_on_deployment(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A version upload's migrations wait for its deployment; binding a class only they create is 10123."""
    fake_cf.add_script("app", ROOMS)
    path = _script_path(fake_cf, "app") + "/versions"
    def post(meta: dict[str, Any]) -> httpx.Response:
        files = [("metadata", (None, json.dumps(meta).encode(), "application/json")),
                 ("index.js", ("index.js", ROOMS, MOD))]
        return fake_cf_client.post(path, files=files)
    migrations = {"new_tag": "v1", "steps": [{"new_classes": ["Room"]}]}
    assert errors(post(_meta([_do("Room")], migrations))) == [10123]
    version = post(_meta([], migrations))
    assert version.status_code == 200, version.text
    assert fake_cf.scripts["app"].migration_tag is None
    deploy = fake_cf_client.post(_script_path(fake_cf, "app") + "/deployments", json={
        "strategy": "percentage", "versions": [{"version_id": version.json()["result"]["id"], "percentage": 100}]})
    assert deploy.status_code == 200, deploy.text
    assert fake_cf.scripts["app"].migration_tag == "v1" and fake_cf.scripts["app"].do_classes == {"Room"}


# -- queues -------------------------------------------------------------------------------------

def test_queues_create_list_by_name_get_and_delete(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """POST {queue_name}; the list honours name (repeatable, exact) and page/per_page; 11009 taken, 11003 bad name."""
    path = f"/accounts/{fake_cf.account_id}/queues"
    created = fake_cf_client.post(path, json={"queue_name": "jobs"}).json()["result"]
    assert set(created) == {"queue_id", "queue_name", "created_on", "modified_on", "producers", "producers_total_count",
                            "consumers", "consumers_total_count", "settings"}
    for n in ("jobs-dlq", "mail", "logs"):
        fake_cf.add_queue(n)
    taken = fake_cf_client.post(path, json={"queue_name": "jobs"})
    assert (taken.status_code, errors(taken)) == (409, [11009])
    assert errors(fake_cf_client.post(path, json={"queue_name": "Bad_Name"})) == [11003]
    by_name = fake_cf_client.get(path, params=[("page", 1), ("name", "jobs"), ("name", "mail")]).json()
    assert [q["queue_name"] for q in by_name["result"]] == ["jobs", "mail"]
    page2 = fake_cf_client.get(path, params={"page": 2, "per_page": 3}).json()
    assert [q["queue_name"] for q in page2["result"]] == ["logs"] and page2["result_info"]["total_count"] == 4
    one = fake_cf_client.get(f"{path}/{created['queue_id']}").json()["result"]
    assert one["queue_name"] == "jobs"
    assert fake_cf_client.delete(f"{path}/{created['queue_id']}").status_code == 200
    gone = fake_cf_client.get(f"{path}/{created['queue_id']}")
    assert (gone.status_code, errors(gone)) == (404, [11000])
    assert sorted(fake_cf.queues) == ["jobs-dlq", "logs", "mail"]


def test_consumers_create_list_update_and_delete(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """POST the body wrangler sends, then PUT replaces it, GET lists it, DELETE removes it."""
    qid = fake_cf.add_queue("jobs")
    fake_cf.add_queue("jobs-dlq")
    fake_cf.add_script("worker", CONSUMER)
    path = f"/accounts/{fake_cf.account_id}/queues/{qid}/consumers"
    body = {"type": "worker", "script_name": "worker", "dead_letter_queue": "jobs-dlq",
            "settings": {"batch_size": 10, "max_retries": 3, "max_wait_time_ms": 5000, "max_concurrency": None,
                         "retry_delay": 30}}
    made = fake_cf_client.post(path, json=body)
    assert made.status_code == 200, made.text
    cid = made.json()["result"]["consumer_id"]
    assert made.json()["result"]["script"] == "worker" and made.json()["result"]["dead_letter_queue"] == "jobs-dlq"
    queue = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/queues/{qid}").json()["result"]
    assert queue["consumers_total_count"] == 1 and queue["consumers"][0]["consumer_id"] == cid
    put = fake_cf_client.put(f"{path}/{cid}", json={"type": "worker", "script_name": "worker", "settings": {"batch_size": 50}})
    assert put.status_code == 200 and put.json()["result"]["settings"] == {"batch_size": 50}
    assert "dead_letter_queue" not in put.json()["result"]
    assert [c["consumer_id"] for c in fake_cf_client.get(path).json()["result"]] == [cid]
    assert fake_cf_client.delete(f"{path}/{cid}").status_code == 200
    assert fake_cf_client.get(path).json()["result"] == []
    assert errors(fake_cf_client.delete(f"{path}/{cid}")) == [11000]


def test_a_second_worker_consumer_is_11004(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """POSTing a consumer for a script that already consumes the queue (or while another Worker does) is 11004."""
    qid = fake_cf.add_queue("jobs")
    fake_cf.add_script("worker", CONSUMER)
    fake_cf.add_script("other", CONSUMER)
    path = f"/accounts/{fake_cf.account_id}/queues/{qid}/consumers"
    assert fake_cf_client.post(path, json={"type": "worker", "script_name": "worker"}).status_code == 200
    again = fake_cf_client.post(path, json={"type": "worker", "script_name": "worker"})
    assert (again.status_code, errors(again)) == (409, [11004])
    assert again.json()["errors"][0]["message"] == "workers.api.error.consumer_exists"
    assert errors(fake_cf_client.post(path, json={"type": "worker", "script_name": "other"})) == [11004]


@pytest.mark.parametrize("settings", [{"batch_size": 0}, {"batch_size": 101}, {"max_wait_time_ms": 60001},
                                      {"max_retries": 101}, {"max_concurrency": 0}, {"retry_delay": 86401},
                                      {"batch_size": 2.5}, {"batch_size": "10"}, {"speed": 1}])
def test_consumer_settings_out_of_range_are_100127(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client,
                                                   settings: dict[str, Any]) -> None:
    """Consumer settings follow the Queues limits (batch 1-100, wait <= 60 s, retries <= 100, ...)."""
    qid = fake_cf.add_queue("jobs")
    fake_cf.add_script("worker", CONSUMER)
    r = fake_cf_client.post(f"/accounts/{fake_cf.account_id}/queues/{qid}/consumers",
                            json={"type": "worker", "script_name": "worker", "settings": settings})
    assert (r.status_code, errors(r)) == (400, [100127])


def test_consumer_needs_a_worker_with_a_queue_handler_and_a_real_dlq(fake_cf: FakeCloudflare,
                                                                   fake_cf_client: httpx.Client) -> None:
    """The script must exist (10007) and handle `queue` (11001); a dead_letter_queue must be a queue (11000)."""
    qid = fake_cf.add_queue("jobs")
    fake_cf.add_script("web")
    fake_cf.add_script("worker", CONSUMER)
    path = f"/accounts/{fake_cf.account_id}/queues/{qid}/consumers"
    assert errors(fake_cf_client.post(path, json={"type": "worker", "script_name": "nope"})) == [10007]
    assert errors(fake_cf_client.post(path, json={"type": "worker", "script_name": "web"})) == [11001]
    dlq = fake_cf_client.post(path, json={"type": "worker", "script_name": "worker", "dead_letter_queue": "nowhere"})
    assert (dlq.status_code, errors(dlq)) == (400, [11000])
    assert errors(fake_cf_client.post(f"/accounts/{fake_cf.account_id}/queues/{'0' * 32}/consumers",
                                      json={"type": "worker", "script_name": "worker"})) == [11000]


def test_queue_producer_binding_needs_the_queue(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A `queue` binding must name a queue of the account; the queue then lists the script as a producer."""
    binding = {"type": "queue", "name": "JOBS", "queue_name": "jobs"}
    missing = upload(fake_cf_client, fake_cf, "app", _meta([binding]))
    assert errors(missing) == [11000] and "app" not in fake_cf.scripts
    qid = fake_cf.add_queue("jobs")
    assert upload(fake_cf_client, fake_cf, "app", _meta([binding])).status_code == 200
    queue = fake_cf_client.get(f"/accounts/{fake_cf.account_id}/queues/{qid}").json()["result"]
    assert queue["producers"] == [{"type": "worker", "script": "app"}] and queue["producers_total_count"] == 1


# -- workflows ----------------------------------------------------------------------------------

def test_workflow_put_get_list_and_delete(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """PUT registers (or updates, same id) a Workflow; GET answers 10200 once it is gone."""
    fake_cf.add_script("shop", WORKFLOW)
    path = f"/accounts/{fake_cf.account_id}/workflows"
    absent = fake_cf_client.get(f"{path}/checkout")
    assert (absent.status_code, errors(absent)) == (404, [10200])
    made = fake_cf_client.put(f"{path}/checkout", json={"script_name": "shop", "class_name": "Checkout",
                                                       "limits": {"steps": 100}})
    assert made.status_code == 200, made.text
    wf = made.json()["result"]
    assert {k: wf[k] for k in ("name", "class_name", "script_name")} == {"name": "checkout", "class_name": "Checkout",
                                                                          "script_name": "shop"}
    assert {"id", "created_on", "modified_on", "version_id"} <= set(wf) and wf["limits"] == {"steps": 100}
    again = fake_cf_client.put(f"{path}/checkout", json={"script_name": "shop", "class_name": "Checkout"}).json()["result"]
    assert again["id"] == wf["id"] and again["version_id"] != wf["version_id"] and "limits" not in again
    assert fake_cf_client.get(f"{path}/checkout").json()["result"]["id"] == wf["id"]
    assert [w["name"] for w in fake_cf_client.get(path).json()["result"]] == ["checkout"]
    assert fake_cf_client.delete(f"{path}/checkout").status_code == 200
    assert errors(fake_cf_client.delete(f"{path}/checkout")) == [10200] and fake_cf.workflows == {}
    assert "shop" in fake_cf.scripts  # deleting a Workflow leaves its Worker alone


def test_workflow_needs_a_script_that_exports_the_class(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The script must exist (10007) and its main module export the class (same export heuristic)."""
    fake_cf.add_script("shop", WORKFLOW)
    path = f"/accounts/{fake_cf.account_id}/workflows/checkout"
    assert errors(fake_cf_client.put(path, json={"script_name": "nope", "class_name": "Checkout"})) == [10007]
    flow = fake_cf_client.put(path, json={"script_name": "shop", "class_name": "Flow"})  # not exported under that name
    assert (flow.status_code, errors(flow)) == (400, [10021])
    assert errors(fake_cf_client.put(path, json={"script_name": "shop", "class_name": "Checkout",
                                                 "limits": {"steps": 0}})) == [10021]


def test_workflow_schedules_need_a_paid_plan(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """schedules on a free Workers plan: 403/10208; with `config.workers_paid_plan` they are kept."""
    fake_cf.add_script("shop", WORKFLOW)
    path = f"/accounts/{fake_cf.account_id}/workflows/checkout"
    body = {"script_name": "shop", "class_name": "Checkout", "schedules": [{"cron": "0 * * * *"}]}
    free = fake_cf_client.put(path, json=body)
    assert (free.status_code, errors(free)) == (403, [10208])
    fake_cf.state.config.workers_paid_plan = True
    assert errors(fake_cf_client.put(path, json={**body, "schedules": [{"cron": "every hour"}]})) == [10021]
    assert fake_cf_client.put(path, json=body).json()["result"]["schedules"] == [{"cron": "0 * * * *"}]


def test_workflow_binding_uploads_before_the_workflow_exists(fake_cf: FakeCloudflare,
                                                             fake_cf_client: httpx.Client) -> None:
    """wrangler uploads first and registers the Workflow after: the binding alone is accepted."""
    binding = {"type": "workflow", "name": "FLOW", "workflow_name": "checkout", "class_name": "Checkout"}
    r = _put(fake_cf_client, fake_cf, "shop", _meta([binding]), WORKFLOW)
    assert r.status_code == 200, r.text
    assert fake_cf.workflows == {}


# -- R2 -----------------------------------------------------------------------------------------

def test_r2_bucket_create_get_delete(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """POST {name, locationHint?, storageClass?}; a taken name is 10004; names 3-63 of [a-z0-9-]; GET 10006."""
    path = f"/accounts/{fake_cf.account_id}/r2/buckets"
    made = fake_cf_client.post(path, json={"name": "assets", "locationHint": "wnam"})
    assert made.status_code == 200, made.text
    assert {k: made.json()["result"][k] for k in ("name", "location", "storage_class")} == {
        "name": "assets", "location": "WNAM", "storage_class": "Standard"}
    taken = fake_cf_client.post(path, json={"name": "assets"})
    assert (taken.status_code, errors(taken)) == (409, [10004])
    for bad in ("ab", "Assets", "-assets", "a" * 64, "my_bucket"):
        assert errors(fake_cf_client.post(path, json={"name": bad})) == [10005], bad
    assert errors(fake_cf_client.post(path, json={"name": "cold", "storageClass": "Glacier"})) == [10040]
    assert fake_cf_client.get(f"{path}/assets").json()["result"]["creation_date"]
    assert fake_cf_client.delete(f"{path}/assets").status_code == 200
    gone = fake_cf_client.get(f"{path}/assets")
    assert (gone.status_code, errors(gone)) == (404, [10006]) and fake_cf.r2_buckets == []


def test_r2_list_pages_by_cursor_with_name_contains(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The list is {buckets: [...]} by name, paged by cursor (empty at the end); name_contains filters."""
    for n in ("b-logs", "a-logs", "c-media", "d-logs"):
        fake_cf.add_r2_bucket(n)
    path = f"/accounts/{fake_cf.account_id}/r2/buckets"
    first = fake_cf_client.get(path, params={"per_page": 2}).json()
    assert [b["name"] for b in first["result"]["buckets"]] == ["a-logs", "b-logs"] and first["result_info"]["cursor"]
    rest = fake_cf_client.get(path, params={"per_page": 2, "cursor": first["result_info"]["cursor"]}).json()
    assert [b["name"] for b in rest["result"]["buckets"]] == ["c-media", "d-logs"] and rest["result_info"]["cursor"] == ""
    logs = fake_cf_client.get(path, params={"name_contains": "logs", "page": 2}).json()
    assert [b["name"] for b in logs["result"]["buckets"]] == ["a-logs", "b-logs", "d-logs"]
    assert ("GET", "/accounts/{account_id}/r2/buckets", ("page",)) in fake_cf.ignored_query


def test_r2_buckets_live_per_jurisdiction(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """cf-r2-jurisdiction picks the jurisdiction: the same name may exist once in each."""
    path = f"/accounts/{fake_cf.account_id}/r2/buckets"
    eu = {"cf-r2-jurisdiction": "eu"}
    assert fake_cf_client.post(path, json={"name": "files"}, headers=eu).json()["result"]["jurisdiction"] == "eu"
    assert errors(fake_cf_client.get(f"{path}/files")) == [10006]
    assert fake_cf_client.get(f"{path}/files", headers=eu).status_code == 200
    assert fake_cf_client.post(path, json={"name": "files"}).status_code == 200
    assert [b["name"] for b in fake_cf_client.get(path, headers={"cf-r2-jurisdiction": "fedramp"}
                                                  ).json()["result"]["buckets"]] == []
    assert errors(fake_cf_client.get(path, headers={"cf-r2-jurisdiction": "mars"})) == [10040]
    assert [(b.name, b.jurisdiction) for b in fake_cf.r2_buckets] == [("files", "default"), ("files", "eu")]


def test_r2_binding_needs_the_bucket_in_its_jurisdiction(fake_cf: FakeCloudflare,
                                                         fake_cf_client: httpx.Client) -> None:
    """An r2_bucket binding must name a bucket of the account in the binding's jurisdiction (10085)."""
    fake_cf.add_r2_bucket("files")
    eu = {"type": "r2_bucket", "name": "B", "bucket_name": "files", "jurisdiction": "eu"}
    refused = upload(fake_cf_client, fake_cf, "app", _meta([eu]))
    assert errors(refused) == [10085] and "R2 bucket 'files' not found." in refused.json()["errors"][0]["message"]
    fake_cf.add_r2_bucket("files", "eu")
    assert upload(fake_cf_client, fake_cf, "app", _meta([eu])).status_code == 200
    assert upload(fake_cf_client, fake_cf, "app", _meta([{**eu, "jurisdiction": None}])).status_code == 200


# -- D1 -----------------------------------------------------------------------------------------

def test_d1_create_list_get_by_uuid_or_name_and_delete(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """POST {name}: 7502 when taken; GET takes a uuid or a name (7404); DELETE takes the uuid only."""
    path = f"/accounts/{fake_cf.account_id}/d1/database"
    made = fake_cf_client.post(path, json={"name": "prod-db", "primary_location_hint": "weur"}).json()["result"]
    assert {"uuid", "name", "created_at", "version", "num_tables", "file_size"} <= set(made)
    assert errors(fake_cf_client.post(path, json={"name": "prod-db"})) == [7502]
    assert errors(fake_cf_client.post(path, json={"name": "-bad name"})) == [7400]
    fake_cf.add_d1_database("staging-db")
    assert fake_cf_client.get(f"{path}/{made['uuid']}").json()["result"]["name"] == "prod-db"
    assert fake_cf_client.get(f"{path}/prod-db").json()["result"]["uuid"] == made["uuid"]
    missing = fake_cf_client.get(f"{path}/nope")
    assert (missing.status_code, errors(missing)) == (404, [7404])
    listed = fake_cf_client.get(path, params={"name": "PROD", "per_page": 10, "page": 1}).json()
    assert [d["name"] for d in listed["result"]] == ["prod-db"] and listed["result_info"]["total_count"] == 1
    assert errors(fake_cf_client.get(path, params={"per_page": 5})) == [7400]
    assert errors(fake_cf_client.delete(f"{path}/prod-db")) == [7404]
    assert fake_cf_client.delete(f"{path}/{made['uuid']}").status_code == 200
    assert sorted(fake_cf.d1_databases) == ["staging-db"]


def test_d1_binding_needs_a_uuid_and_with_the_knob_a_database(fake_cf: FakeCloudflare,
                                                              fake_cf_client: httpx.Client) -> None:
    """A d1 binding's id must be a uuid (10021 "must have a valid `id`"); with `d1_bindings_must_exist`
    it must also be a database of the account (off by default, see state.Config)."""
    placeholder = {"type": "d1", "name": "DB", "id": "your-database-id"}
    refused = upload(fake_cf_client, fake_cf, "app", _meta([placeholder]))
    assert errors(refused) == [10021]
    assert refused.json()["errors"][0]["message"] == "binding DB of type d1 must have a valid `id` specified"
    stranger = {"type": "d1", "name": "DB", "id": "fa31fba5-1b4e-4f66-9bec-79483993c9e0"}
    assert upload(fake_cf_client, fake_cf, "app", _meta([stranger])).status_code == 200
    fake_cf.state.config.d1_bindings_must_exist = True
    assert errors(upload(fake_cf_client, fake_cf, "app", _meta([stranger]))) == [10021]
    uuid = fake_cf.add_d1_database("prod-db")
    assert upload(fake_cf_client, fake_cf, "app", _meta([{"type": "d1", "name": "DB", "database_id": uuid}])
                  ).status_code == 200


# -- permissions and seeding ----------------------------------------------------------------------

@pytest.mark.parametrize(("method", "path", "scope"), [
    ("GET", "/queues", "queues:read"), ("POST", "/queues", "queues:write"),
    ("GET", "/workflows", "workflows:read"), ("PUT", "/workflows/w", "workflows:write"),
    ("GET", "/r2/buckets", "r2:read"), ("POST", "/r2/buckets", "r2:write"),
    ("GET", "/d1/database", "d1:read"), ("POST", "/d1/database", "d1:write"),
])
def test_new_routes_need_their_scope(fake_cf: FakeCloudflare, method: str, path: str, scope: str) -> None:
    """A token without the product's scope gets 10000; the all-permission token holds every new scope."""
    other = "workers_scripts:write" if scope.startswith("queues") else "queues:write"
    token = fake_cf.add_token([other])
    assert fake_cf.base_url is not None
    url = f"{fake_cf.base_url}/accounts/{fake_cf.account_id}{path}"
    denied = httpx.request(method, url, headers={"Authorization": f"Bearer {token}"}, json={})
    assert errors(denied) == [10000]
    write = fake_cf.add_token([scope.replace(":read", ":write")])
    assert httpx.request(method, url, headers={"Authorization": f"Bearer {write}"}, json={}).status_code != 403
    assert scope in fake_cf.state.tokens[fake_cf.token].permissions


def test_seeding_and_reading_helpers(fake_cf: FakeCloudflare) -> None:
    """add_queue/add_queue_consumer/add_r2_bucket/add_d1_database/add_workflow and their readers."""
    qid = fake_cf.add_queue("jobs")
    cid = fake_cf.add_queue_consumer("jobs", "worker", settings={"batch_size": 5})
    assert fake_cf.queues["jobs"].id == qid and fake_cf.queue("jobs").consumers[0].id == cid
    assert fake_cf.add_r2_bucket("files", "eu") == "files" and fake_cf.r2_buckets[0].jurisdiction == "eu"
    uuid = fake_cf.add_d1_database("db")
    assert fake_cf.d1_databases["db"].uuid == uuid
    wid = fake_cf.add_workflow("checkout", "shop", "Checkout", schedules=["0 * * * *"])
    assert fake_cf.workflows["checkout"].id == wid and fake_cf.workflows["checkout"].schedules == [{"cron": "0 * * * *"}]
