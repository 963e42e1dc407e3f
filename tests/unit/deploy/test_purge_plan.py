"""The purge hook planner, hook rendering and purge pacing, from plain values (no network)."""

from __future__ import annotations

from cfworker.api.cache import PurgePacer
from cfworker.api.dns import RecordData
from cfworker.api.errors import ApiErrorItem, CloudflareAPIError
from cfworker.api.zones import Zone
from cfworker.config.model import PurgeSpec, RouteSpec
from cfworker.deploy.hook_steps import ApplyDnsBatch, PurgeCache
from cfworker.deploy.plan import Plan
from cfworker.deploy.planner import plan_deploy
from cfworker.deploy.purge import expand_files, plan_purge, purge_lookups
from cfworker.deploy.render import batch_failure_lines, plan_to_json, render_plan
from tests.unit.deploy.helpers import bundle, deployed, project

EXAMPLE = Zone("z1", "example.com", plan="free")
OTHER = Zone("z3", "other.org", plan="enterprise")
ROUTES = (RouteSpec("example.com/*"), RouteSpec("https://api.example.com/v1/*"), RouteSpec("*.example.com/*"),
          RouteSpec("app.other.org", custom_domain=True))


def purge_project(**spec: object) -> object:
    return project(routes=ROUTES, purge=PurgeSpec(**spec))  # type: ignore[arg-type]


def test_host_and_routes_placeholders_expand_per_concrete_route() -> None:
    """{host} becomes each route host, {routes} each pattern without scheme and *; wildcard hosts are skipped."""
    urls, blockers = expand_files(["https://{host}/index.html", "https://{routes}app.js", "https://x.org/a"], ROUTES)
    assert blockers == []
    assert urls == ["https://example.com/index.html", "https://api.example.com/index.html",
                    "https://app.other.org/index.html", "https://example.com/app.js",
                    "https://api.example.com/v1/app.js", "https://app.other.org/app.js", "https://x.org/a"]


def test_placeholder_without_routes_is_a_blocker() -> None:
    """{host} with no route to take it from blocks the plan instead of purging nothing."""
    _, blockers = expand_files(["https://{host}/a"], ())
    assert blockers and "no routes" in blockers[0].message


def test_urls_go_to_the_zone_of_their_host_in_requests_of_at_most_100() -> None:
    """250 URLs of one zone are three requests (100, 100, 50), one kind each."""
    p = project(purge=PurgeSpec(files=tuple(f"https://example.com/f{i}" for i in range(250))))
    plan = plan_purge(p, (EXAMPLE,))  # type: ignore[arg-type]
    assert [len(s.items) for s in plan.steps] == [100, 100, 50]
    assert {(s.zone_id, s.kind) for s in plan.steps} == {("z1", "files")}
    assert [(s.part, s.parts) for s in plan.steps] == [(1, 3), (2, 3), (3, 3)]


def test_chunk_size_over_100_applies_only_to_enterprise_url_purges() -> None:
    """chunk_size 500: one request on an Enterprise zone, capped at 100 (with a note) elsewhere."""
    files = tuple(f"https://{host}/f{i}" for host in ("example.com", "app.other.org") for i in range(150))
    plan = plan_purge(project(purge=PurgeSpec(files=files, chunk_size=500)), (EXAMPLE, OTHER))
    assert sorted((s.zone_name, len(s.items)) for s in plan.steps) == [
        ("example.com", 50), ("example.com", 100), ("other.org", 150)]
    assert any("needs Enterprise" in n for n in plan.notes)


def test_tags_and_everything_go_to_every_route_zone_and_pass_the_plan_for_pacing() -> None:
    """Tags and purge-everything target each route zone; steps carry the zone plan."""
    plan = plan_purge(purge_project(tags=("html",)), (EXAMPLE, OTHER))  # type: ignore[arg-type]
    assert [(s.zone_name, s.kind, s.items, s.zone_plan) for s in plan.steps] == [
        ("example.com", "tags", ("html",), "free"), ("other.org", "tags", ("html",), "enterprise")]
    everything = plan_purge(purge_project(everything=True, zone="other.org"), (EXAMPLE, OTHER))  # type: ignore[arg-type]
    assert everything.steps == (PurgeCache("z3", "other.org", "everything", zone_plan="enterprise"),)


def test_hosts_and_prefixes_are_placed_by_host_and_unknown_hosts_block() -> None:
    """A prefix goes to its host's zone; an item in no account zone is a blocker."""
    plan = plan_purge(project(purge=PurgeSpec(prefixes=("example.com/assets",), hosts=("app.other.org",))),
                      (EXAMPLE, OTHER))
    assert {(s.zone_name, s.kind) for s in plan.steps} == {("example.com", "prefixes"), ("other.org", "hosts")}
    bad = plan_purge(project(purge=PurgeSpec(hosts=("nowhere.net",))), (EXAMPLE,))
    assert bad.blockers and "nowhere.net" in bad.blockers[0].message


def test_purge_lookups_name_the_hosts_to_place() -> None:
    """The snapshot reads the zones of every purge host (after expansion), or just purge.zone."""
    assert purge_lookups(purge_project(files=("https://{host}/a",))) == (
        set(), {"example.com", "api.example.com", "app.other.org"})
    assert purge_lookups(purge_project(tags=("t",), zone="Example.com")) == ({"example.com"}, set())


def test_purge_runs_after_every_deploy_even_when_nothing_changed() -> None:
    """An unchanged script still gets its configured purge (the only step)."""
    p = project(routes=(RouteSpec("example.com/*"),), purge=PurgeSpec(files=("https://{host}/",)))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, zones=(EXAMPLE,), routes={"z1": ()}))
    assert [type(s) for s in plan.steps if s.phase == "post"] == [PurgeCache]


def test_batch_renders_its_records_and_json_lists_all_of_them() -> None:
    """A batch shows its first records under the plan line; --json lists every one."""
    posts = tuple(RecordData("A", f"r{i}.example.com", "192.0.2.1") for i in range(12))
    step = ApplyDnsBatch("z1", "example.com", posts=posts)
    lines = render_plan(Plan(script="app", steps=(step,)))
    assert lines[1] == "  ~ DNS batch 1/1 in zone example.com: 12 to create, 0 to update, 0 to delete"
    assert lines[2] == "      + A r0.example.com 192.0.2.1" and lines[-1] == "      ... and 2 more"
    assert len(plan_to_json(Plan(script="app", steps=(step,)))[0]["records"]) == 12  # type: ignore[arg-type]


def test_failed_batch_is_reported_record_by_record() -> None:
    """The record Cloudflare blames is named, and the summary says none of the batch was applied."""
    posts = (RecordData("A", "a.example.com", "192.0.2.1"), RecordData("A", "b.example.com", "192.0.2.2"))
    step = ApplyDnsBatch("z1", "example.com", posts=posts)
    error = CloudflareAPIError(method="POST", path="/zones/z1/dns_records/batch", status=400, errors=[
        ApiErrorItem(81058, "An identical record already exists.", {"operation": "posts[1]"})])
    assert batch_failure_lines(step, error) == [
        "+ A b.example.com 192.0.2.2: An identical record already exists. [81058]",
        "none of the 2 change(s) in this batch was applied (a batch is all or nothing)"]
    unexplained = batch_failure_lines(step, CloudflareAPIError(method="POST", path="/x", status=500))
    assert unexplained[1].startswith("Cloudflare did not say") and unexplained[2] == "  + A a.example.com 192.0.2.1"


def test_purge_pacer_waits_when_the_bucket_is_empty() -> None:
    """Free zones: 25 purges at once, then one per 12 s; the injected sleep gets the wait."""
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s
    pacer = PurgePacer.for_plan("free", clock=lambda: now[0], sleep=sleep)
    for _ in range(27):
        pacer.acquire()
    assert [round(w, 3) for w in waits] == [12.0, 12.0]
    fast = PurgePacer.for_plan("enterprise", clock=lambda: 0.0, sleep=sleep)
    for _ in range(500):
        fast.acquire()
    assert len(waits) == 2


def test_url_purges_keep_to_the_plans_urls_per_second_and_announce_long_waits() -> None:
    """Free zones allow 800 URLs per second: 1,000 URLs in requests of 100 wait a quarter second; a
    tag-purge wait of 12 s is announced, a short wait is not."""
    now = [0.0]
    waits: list[float] = []
    lines: list[str] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s
    urls = PurgePacer.for_urls("free", clock=lambda: now[0], sleep=sleep)
    for _ in range(10):
        urls.acquire(100, announce=lines.append)
    assert round(sum(waits), 3) == 0.25 and lines == []
    tags = PurgePacer.for_plan("free", clock=lambda: now[0], sleep=sleep)
    for _ in range(26):
        tags.acquire(announce=lines.append)
    assert lines == ["waiting 12 s for Cloudflare's limit on tag, host and prefix purges (Free plan: 5 per minute)"]
    assert PurgePacer.for_urls("enterprise").rate == 3000.0
