"""The DNS hook planner: zones, ownership, diffs and batching, decided from plain values (no network)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cfworker.api.dns import DnsRecord, RecordData
from cfworker.api.zones import Zone
from cfworker.config.model import DnsRecordSpec, RouteSpec
from cfworker.deploy.dns import (
    DnsScan,
    ZoneDiff,
    desired_record,
    diff_zone,
    dns_scans,
    fqdn,
    is_owned,
    managed_comment,
    owner_of,
    plan_dns,
    plan_set,
    resolve_records,
    zone_steps,
)
from cfworker.deploy.hook_steps import (
    ApplyDnsBatch,
    CreateDnsRecord,
    DeleteDnsRecord,
    UpdateDnsRecord,
)
from cfworker.deploy.planner import PlanOptions, plan_deploy
from cfworker.errors import UserError
from tests.unit.deploy.helpers import bundle, deployed, project

EXAMPLE = Zone("z1", "example.com")
SHOP = Zone("z2", "shop.example.com")
OTHER = Zone("z3", "other.org")
MARK = "[cfworker:app]"


def rec(rid: str, rtype: str, name: str, content: str, *, comment: str | None = MARK, **kw: object) -> DnsRecord:
    return DnsRecord(rid, rtype, name, content, comment=comment, **kw)  # type: ignore[arg-type]


def want(rtype: str, name: str, content: str, **kw: object) -> RecordData:
    return RecordData(rtype, name, content, comment=MARK, **kw)  # type: ignore[arg-type]


def test_fqdn_places_relative_names_and_keeps_qualified_ones() -> None:
    """`www` and `@` are placed in the zone; names already in it (with or without a final dot) stay."""
    assert fqdn("www", "example.com") == "www.example.com"
    assert fqdn("@", "example.com") == "example.com"
    assert fqdn("API.Example.com.", "example.com") == "api.example.com"
    assert fqdn("example.com", "example.com") == "example.com"


def test_desired_record_marks_ownership_and_forces_auto_ttl_when_proxied() -> None:
    """The comment ends with the marker; proxied records get TTL 1 (Cloudflare ignores others)."""
    spec = DnsRecordSpec("A", "www", "192.0.2.1", ttl=3600, proxied=True, comment="front end")
    data = desired_record(spec, "example.com", "app")
    assert data == RecordData("A", "www.example.com", "192.0.2.1", 1, True, None, "front end [cfworker:app]", ())
    assert desired_record(DnsRecordSpec("CNAME", "w", "Target.Example.net."), "example.com", "app").content \
        == "target.example.net"
    assert desired_record(DnsRecordSpec("TXT", "@", "v=spf1 -all"), "example.com", "app").proxied is None


def test_ownership_marker_round_trips() -> None:
    """owner_of reads back the Worker a marked comment names; unmarked records have no owner."""
    assert managed_comment(None, "app") == MARK
    assert owner_of(rec("1", "A", "a.example.com", "192.0.2.1", comment="x [cfworker:app]")) == "app"
    assert owner_of(rec("1", "A", "a.example.com", "192.0.2.1", comment="hand made")) is None
    assert is_owned(rec("1", "A", "a.example.com", "192.0.2.1"), "app")
    assert not is_owned(rec("1", "A", "a.example.com", "192.0.2.1"), "app-staging")


def test_resolve_records_picks_explicit_then_longest_then_route_zone() -> None:
    """zone = wins; else the longest zone suffix; a relative name falls back to the routes' only zone."""
    p = project(routes=(RouteSpec("other.org/*"),), dns=(
        DnsRecordSpec("A", "www", "192.0.2.1", zone="example.com"),
        DnsRecordSpec("A", "a.shop.example.com", "192.0.2.2"),
        DnsRecordSpec("TXT", "@", "hello"),
    ))
    wanted, blockers = resolve_records(p, (EXAMPLE, SHOP, OTHER))
    assert blockers == []
    assert [(w.zone.name, w.record.name) for w in wanted] == [
        ("example.com", "www.example.com"), ("shop.example.com", "a.shop.example.com"), ("other.org", "other.org")]


@pytest.mark.parametrize(("spec", "fragment"), [
    (DnsRecordSpec("A", "www", "192.0.2.1"), "which zone?"),
    (DnsRecordSpec("A", "www", "192.0.2.1", zone="missing.net"), "'missing.net' is not in this account"),
])
def test_unplaceable_record_is_a_blocker(spec: DnsRecordSpec, fragment: str) -> None:
    """A record without a zone (relative name, no routes) or with an unknown zone blocks the deploy."""
    _, blockers = resolve_records(project(dns=(spec,)), (EXAMPLE,))
    assert len(blockers) == 1 and fragment in blockers[0].message
    assert "dns[0]" in blockers[0].message


def test_diff_creates_missing_and_ignores_matching_records() -> None:
    """Wanted records that exist unchanged make no change; the missing one is created."""
    have = [rec("1", "A", "www.example.com", "192.0.2.1")]
    wanted = [want("A", "www.example.com", "192.0.2.1"), want("A", "api.example.com", "192.0.2.2")]
    diff = diff_zone(wanted, have, "app")
    assert diff.creates == (want("A", "api.example.com", "192.0.2.2"),)
    assert diff.updates == () and diff.deletes == ()


def test_diff_content_change_updates_that_record_in_place() -> None:
    """A changed content updates the owned record of the same type and name (same id), nothing else."""
    have = [rec("1", "A", "www.example.com", "192.0.2.1"), rec("2", "A", "api.example.com", "192.0.2.2")]
    new = want("A", "www.example.com", "192.0.2.9")
    diff = diff_zone([new, want("A", "api.example.com", "192.0.2.2")], have, "app")
    assert diff.updates == ((have[0], new),) and diff.creates == () and diff.deletes == ()


def test_diff_ttl_or_comment_change_updates() -> None:
    """Any stored field that differs (ttl, comment) updates the record."""
    have = [rec("1", "A", "www.example.com", "192.0.2.1", ttl=300)]
    assert len(diff_zone([want("A", "www.example.com", "192.0.2.1", ttl=600)], have, "app").updates) == 1
    new_comment = replace(want("A", "www.example.com", "192.0.2.1", ttl=300), comment="new " + MARK)
    assert len(diff_zone([new_comment], have, "app").updates) == 1


def test_diff_deletes_only_owned_records_that_left_the_config() -> None:
    """An owned record no longer wanted is deleted; an unmarked or other Worker's record never is."""
    have = [rec("1", "A", "old.example.com", "192.0.2.1"),
            rec("2", "A", "hand.example.com", "192.0.2.2", comment="made by hand"),
            rec("3", "A", "staging.example.com", "192.0.2.3", comment="[cfworker:app-staging]")]
    diff = diff_zone([], have, "app")
    assert diff.deletes == (have[0],)


def test_diff_leaves_identical_foreign_record_alone_with_a_note() -> None:
    """An identical record cfworker did not create counts as in place: no write, a note says so."""
    have = [rec("9", "A", "www.example.com", "192.0.2.1", comment=None)]
    diff = diff_zone([want("A", "www.example.com", "192.0.2.1")], have, "app")
    assert diff.size == 0
    assert diff.notes == ("DNS A www.example.com 192.0.2.1: exists but was not created by cfworker; left as it is",)


def test_diff_foreign_cname_at_the_name_is_a_conflict_not_a_write() -> None:
    """A record that would clash with an unowned CNAME (81054) is a plan conflict."""
    have = [rec("9", "CNAME", "www.example.com", "elsewhere.net", comment=None)]
    diff = diff_zone([want("A", "www.example.com", "192.0.2.1")], have, "app")
    assert diff.size == 0 and len(diff.conflicts) == 1
    assert "CNAME" in diff.conflicts[0].owner and "never changes records" in diff.conflicts[0].fix


def test_diff_foreign_record_of_same_type_stays_beside_the_new_one() -> None:
    """Another A record at the name (not ours) is not replaced: ours is created and a note says both answer."""
    have = [rec("9", "A", "www.example.com", "198.51.100.1", comment=None)]
    diff = diff_zone([want("A", "www.example.com", "192.0.2.1")], have, "app")
    assert diff.creates == (want("A", "www.example.com", "192.0.2.1"),)
    assert "198.51.100.1" in diff.notes[0] and diff.updates == () and diff.deletes == ()


def test_few_changes_are_single_steps_deletes_first() -> None:
    """Up to three changes: one step each, ordered deletes, updates, creates (the batch order)."""
    old = rec("1", "CNAME", "www.example.com", "a.net")
    diff = ZoneDiff(creates=(want("A", "www.example.com", "192.0.2.1"),), deletes=(old,))
    steps = zone_steps(EXAMPLE, diff, 200)
    assert [type(s) for s in steps] == [DeleteDnsRecord, CreateDnsRecord]
    assert steps[0].destructive and not steps[1].destructive
    assert all(s.phase == "post" for s in steps)


def test_many_changes_are_chunked_batches_in_api_order() -> None:
    """250 changes with batch size 200: two batches, deletes first, then patches, then posts."""
    creates = tuple(want("A", f"r{i}.example.com", "192.0.2.1") for i in range(240))
    deletes = tuple(rec(f"d{i}", "A", f"old{i}.example.com", "192.0.2.2") for i in range(5))
    updates = tuple((rec(f"u{i}", "A", f"u{i}.example.com", "192.0.2.3"), want("A", f"u{i}.example.com", "192.0.2.4"))
                    for i in range(5))
    steps = zone_steps(EXAMPLE, ZoneDiff(creates, updates, deletes), 200)
    assert [type(s) for s in steps] == [ApplyDnsBatch, ApplyDnsBatch]
    first, second = steps
    assert isinstance(first, ApplyDnsBatch) and isinstance(second, ApplyDnsBatch)
    assert (len(first.deletes), len(first.patches), len(first.posts)) == (5, 5, 190)
    assert (len(second.deletes), len(second.patches), len(second.posts)) == (0, 0, 50)
    assert (first.part, first.parts, second.part) == (1, 2, 2)
    assert first.destructive and not second.destructive
    assert first.posts + second.posts == creates


def test_batch_size_is_configurable() -> None:
    """dns_batch_size sets the chunk: 250 creates at 100 per batch are three batches."""
    creates = tuple(want("A", f"r{i}.example.com", "192.0.2.1") for i in range(250))
    assert [s.size for s in zone_steps(EXAMPLE, ZoneDiff(creates), 100)] == [100, 100, 50]  # type: ignore[union-attr]


def test_scans_read_record_zones_fully_and_route_zones_for_owned_records() -> None:
    """The DNS read covers each record zone (its names) and each route zone (owned records only)."""
    p = project(routes=(RouteSpec("other.org/*"),), dns=(DnsRecordSpec("A", "www.example.com", "192.0.2.1"),))
    scans = dns_scans(p, (EXAMPLE, OTHER))
    assert scans == [DnsScan(EXAMPLE, frozenset({"www.example.com"}), MARK), DnsScan(OTHER, frozenset(), MARK)]
    assert scans[1].owned_only
    assert dns_scans(project(), (EXAMPLE,)) == []  # no [[dns]] key: DNS is not read at all


def test_plan_deploy_appends_dns_steps_in_the_post_phase() -> None:
    """With the script unchanged, a deploy plans only the missing record, as a post step."""
    p = project(dns=(DnsRecordSpec("A", "www.example.com", "192.0.2.1"),
                     DnsRecordSpec("A", "api.example.com", "192.0.2.2")))
    b = bundle()
    snapshot = deployed(p, b, zones=(EXAMPLE,), dns_records={"z1": (rec("1", "A", "www.example.com", "192.0.2.1"),)})
    plan = plan_deploy(p, b, snapshot)
    created = want("A", "api.example.com", "192.0.2.2", proxied=False)
    assert plan.steps == (CreateDnsRecord("z1", "example.com", created),)
    assert plan_deploy(p, b, snapshot, PlanOptions(hooks=False)).steps == ()


def test_plan_deploy_unchanged_records_plan_nothing() -> None:
    """A second deploy with every record in place plans no step at all."""
    p = project(dns=(DnsRecordSpec("A", "www.example.com", "192.0.2.1"),))
    b = bundle()
    snapshot = deployed(p, b, zones=(EXAMPLE,), dns_records={"z1": (rec("1", "A", "www.example.com", "192.0.2.1"),)})
    assert plan_deploy(p, b, snapshot).steps == ()


def test_empty_dns_list_deletes_owned_records_in_route_zones() -> None:
    """`dns = []` with routes in example.com deletes this Worker's records there (destructively)."""
    p = project(routes=(RouteSpec("example.com/*"),), dns=())
    b = bundle()
    owned = rec("1", "A", "www.example.com", "192.0.2.1")
    plan = plan_dns(p, (EXAMPLE,), {"z1": (owned,)})
    assert plan.steps == (DeleteDnsRecord("z1", "example.com", "1", owned.data),)
    assert plan_deploy(p, b, deployed(p, b, zones=(EXAMPLE,), dns_records={"z1": (owned,)})).destructive_steps


def test_offline_plan_creates_every_record_and_says_what_it_did_not_check() -> None:
    """Without a snapshot every record is planned as created, and the skipped check is listed."""
    p = project(dns=(DnsRecordSpec("A", "www", "192.0.2.1", zone="example.com"),))
    plan = plan_deploy(p, bundle(), None)
    dns_steps = [s for s in plan.steps if isinstance(s, CreateDnsRecord)]
    assert [s.record.name for s in dns_steps] == ["www.example.com"]
    assert any("DNS records" in c for c in plan.skipped_checks)


def test_unresolvable_record_blocks_the_whole_plan() -> None:
    """A record without a zone is a blocker, so nothing is written (not a failed hook later)."""
    p = project(dns=(DnsRecordSpec("A", "www", "192.0.2.1"),))
    b = bundle()
    plan = plan_deploy(p, b, deployed(p, b, zones=(EXAMPLE, OTHER), dns_records={}))
    assert plan.blockers and "which zone?" in plan.blockers[0].message


def test_plan_set_is_an_idempotent_upsert() -> None:
    """dns set: create when missing, nothing when equal, update the only record of the type and name."""
    new = RecordData("A", "www.example.com", "192.0.2.1", proxied=False)
    assert plan_set(EXAMPLE, new, [], given=frozenset()) == [CreateDnsRecord("z1", "example.com", new)]
    same = rec("1", "A", "www.example.com", "192.0.2.1", comment="hand made")
    assert plan_set(EXAMPLE, new, [same], given=frozenset()) == []
    moved = plan_set(EXAMPLE, replace(new, content="192.0.2.9"), [same], given=frozenset())
    assert len(moved) == 1 and isinstance(moved[0], UpdateDnsRecord)
    assert moved[0].record.content == "192.0.2.9" and moved[0].record.comment == "hand made"


def test_plan_set_refuses_to_guess_between_several_records() -> None:
    """Two A records at the name and a third content: the user must say which to change."""
    have = [rec("1", "A", "www.example.com", "192.0.2.1"), rec("2", "A", "www.example.com", "192.0.2.2")]
    with pytest.raises(UserError, match="has 2 A records"):
        plan_set(EXAMPLE, RecordData("A", "www.example.com", "192.0.2.3"), have, given=frozenset())


def test_comment_too_long_for_a_free_zone_blocks_before_writing() -> None:
    """The marked comment must fit Free's 100 characters; a paid zone allows it."""
    spec = DnsRecordSpec("A", "www.example.com", "192.0.2.1", comment="x" * 90)
    _, blockers = resolve_records(project(dns=(spec,)), (replace(EXAMPLE, plan="free"),))
    assert blockers and "allows 100" in blockers[0].message
    wanted, blockers = resolve_records(project(dns=(spec,)), (replace(EXAMPLE, plan="pro"),))
    assert not blockers and len(wanted) == 1
    long = replace(spec, comment="x" * 495)
    _, blockers = resolve_records(project(dns=(long,)), (replace(EXAMPLE, plan="pro"),))
    assert blockers and blockers[0].message.startswith("dns[0].comment:") and "Pro plan) allows 500" in blockers[0].message


def test_record_tags_beyond_the_zone_plan_block_naming_the_key() -> None:
    """Free zones allow no record tags, paid ones 20 (a refused record would fail a whole batch)."""
    tagged = DnsRecordSpec("A", "www.example.com", "192.0.2.1", tags=("owner:web",))
    _, blockers = resolve_records(project(dns=(tagged,)), (replace(EXAMPLE, plan="free"),))
    assert blockers and blockers[0].message.startswith("dns[0].tags:") and "allows no record tags" in blockers[0].message
    _, blockers = resolve_records(project(dns=(tagged,)), (replace(EXAMPLE, plan="business"),))
    assert not blockers
    many = replace(tagged, tags=tuple(f"t{i}:x" for i in range(21)))
    _, blockers = resolve_records(project(dns=(many,)), (replace(EXAMPLE, plan="business"),))
    assert blockers and "20 tags per record" in blockers[0].message


def test_batch_size_follows_the_zone_plan() -> None:
    """500 changes: batches of 200 on a Free zone, one batch of 500 on a Pro zone; dns_batch_size caps it."""
    specs = tuple(DnsRecordSpec("A", f"r{i}.example.com", "192.0.2.1") for i in range(500))
    for plan, sizes, cap in (("free", [200, 200, 100], None), ("pro", [500], None), ("pro", [300, 200], 300)):
        zone = replace(EXAMPLE, plan=plan)
        dns = plan_dns(project(dns=specs, dns_batch_size=cap), (zone,), {zone.id: ()})
        assert [s.size for s in dns.steps] == sizes, (plan, cap)  # type: ignore[union-attr]


def test_patch_body_holds_only_changed_fields() -> None:
    """An update sends the changed fields only; removing every tag sends an empty list."""
    old = RecordData("A", "www.example.com", "192.0.2.1", 300, False, None, MARK, ("team:web",))
    assert RecordData("A", "www.example.com", "192.0.2.2", 300, False, None, MARK, ("team:web",)).changes_from(old) \
        == {"content": "192.0.2.2"}
    assert replace(old, tags=()).changes_from(old) == {"tags": []}
    assert "tags" not in replace(old, tags=()).to_api()
