"""Post-deploy hooks end to end: [[dns]] and [purge] through `cfworker deploy` (real esbuild, fake API)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Result, run_cli
from tests.fakes import Drop, Status

pytestmark = pytest.mark.needs_esbuild

DNS_GLOB = "/zones/*/dns_records*"


@pytest.fixture
def env(fake_cf: Any, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild, a workers.dev subdomain and example.com."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


@pytest.fixture
def hello(example: Callable[[str], Path]) -> Path:
    """examples/hello with a route in example.com (the default zone of relative record names)."""
    project = example("hello")
    toml = project / "worker.toml"
    toml.write_text(toml.read_text() + 'workers_dev = true\nroutes = [{ pattern = "app.example.com/*", '
                    'zone_name = "example.com" }]\n')
    return project


def records_toml(*records: tuple[str, str, str]) -> str:
    return "".join(f'\n[[dns]]\ntype = "{t}"\nname = "{n}"\ncontent = "{c}"\n' for t, n, c in records)


def configure(project: Path, extra: str) -> None:
    """Replace everything after the base config with `extra` (records, purge)."""
    toml = project / "worker.toml"
    base = toml.read_text().split("\n# -- hooks --\n")[0]
    toml.write_text(base + "\n# -- hooks --\n" + extra)


def deploy(project: Path, env: dict[str, str], *args: str) -> Result:
    return run_cli(["deploy", *args], env=env, cwd=project)


def dns_writes(fake_cf: Any, since: int = 0) -> list[tuple[str, str]]:
    return [(w.method, w.path) for w in fake_cf.writes()[since:] if "/dns_records" in w.path]


def by_name(fake_cf: Any) -> dict[str, dict[str, Any]]:
    return {r["name"]: r for r in fake_cf.dns_records(fake_cf.zone_id)}


THREE = (("A", "app", "192.0.2.1"), ("AAAA", "v6", "2001:db8::1"), ("TXT", "@", "v=spf1 -all"))


def test_three_records_are_created_then_left_alone_then_one_updated(hello: Path, env, fake_cf) -> None:
    """3 records: created by 3 POSTs; a rerun writes no DNS; one changed content is one PATCH of that record."""
    configure(hello, records_toml(*THREE))
    r = deploy(hello, env)
    assert r.code == 0, r
    assert fake_cf.count("POST", "/zones/*/dns_records") == 3
    records = by_name(fake_cf)
    assert set(records) == {"app.example.com", "v6.example.com", "example.com"}
    assert all(rec["comment"] == "[cfworker:hello]" for rec in records.values())

    before = len(fake_cf.writes())
    again = deploy(hello, env)
    assert again.code == 0, again
    assert len(fake_cf.writes()) == before, ("an unchanged deploy writes nothing", [(w.method, w.path) for w in fake_cf.writes()[before:]], again.out)
    assert "everything is up to date" in again.out

    configure(hello, records_toml(("A", "app", "192.0.2.99"), *THREE[1:]))
    before = len(fake_cf.writes())
    changed = deploy(hello, env)
    assert changed.code == 0, changed
    app_id = records["app.example.com"]["id"]
    assert dns_writes(fake_cf, before) == [("PATCH", f"/zones/{fake_cf.zone_id}/dns_records/{app_id}")]
    assert fake_cf.writes()[before].json() == {"content": "192.0.2.99"}
    after = by_name(fake_cf)
    assert after["app.example.com"]["content"] == "192.0.2.99"
    assert {k: after[k] for k in ("v6.example.com", "example.com")} == \
        {k: records[k] for k in ("v6.example.com", "example.com")}


def test_records_not_created_by_cfworker_are_never_modified_or_deleted(hello: Path, env, fake_cf) -> None:
    """Unmarked records (identical, beside ours, elsewhere) survive every deploy byte for byte."""
    zid = fake_cf.zone_id
    fake_cf.add_dns_record(zid, "A", "app.example.com", "192.0.2.1", ttl=300, comment="hand made")
    fake_cf.add_dns_record(zid, "A", "v6.example.com", "198.51.100.7")
    fake_cf.add_dns_record(zid, "MX", "example.com", "mail.example.com", priority=10)
    foreign = {r["id"]: r for r in fake_cf.dns_records(zid)}
    configure(hello, records_toml(*THREE))
    r = deploy(hello, env)
    assert r.code == 0, r
    assert "exists but was not created by cfworker; left as it is" in r.out
    configure(hello, "dns = []\n")
    removed = deploy(hello, env, "--yes")
    assert removed.code == 0, removed
    now = {r["id"]: r for r in fake_cf.dns_records(zid)}
    assert now == foreign, "only the records cfworker created were removed"
    touched = {w.path.rsplit("/", 1)[-1] for w in fake_cf.writes() if "/dns_records/" in w.path}
    assert not touched & set(foreign)


def test_removing_an_owned_record_is_destructive_and_needs_yes(hello: Path, env, fake_cf) -> None:
    """A record that left worker.toml is deleted only with --yes; without it nothing is written."""
    configure(hello, records_toml(*THREE))
    assert deploy(hello, env).code == 0
    configure(hello, records_toml(*THREE[:2]))
    before = len(fake_cf.writes())
    refused = deploy(hello, env)
    assert refused.code == 2, refused
    assert len(fake_cf.writes()) == before
    assert "delete DNS record TXT example.com v=spf1 -all" in refused.out and "[destructive]" in refused.out
    applied = deploy(hello, env, "--yes")
    assert applied.code == 0, applied
    assert set(by_name(fake_cf)) == {"app.example.com", "v6.example.com"}


def test_250_records_converge_with_batches_then_a_rerun_writes_nothing(hello: Path, env, fake_cf) -> None:
    """250 records: two batch requests (200 + 50), no single creates; the next deploy writes nothing."""
    configure(hello, records_toml(*(("A", f"h{i}", f"192.0.2.{i % 250 + 1}") for i in range(250))))
    r = deploy(hello, env)
    assert r.code == 0, r
    batches = [w for w in fake_cf.writes() if w.path.endswith("/dns_records/batch")]
    assert [len(w.json().get("posts", [])) for w in batches] == [200, 50]
    assert fake_cf.count("POST", "/zones/*/dns_records") == 0
    assert len(fake_cf.dns_records(fake_cf.zone_id)) == 250
    assert "DNS batch 1/2 in zone example.com: 200 to create" in r.out
    before = len(fake_cf.writes())
    again = deploy(hello, env)
    assert again.code == 0, again
    assert len(fake_cf.writes()) == before
    assert fake_cf.count("GET", "/zones/*/dns_records") == 2, "one DNS list per deploy, not one per record"


def test_purge_of_100_urls_per_host_is_split_within_the_limit(hello: Path, env, fake_cf) -> None:
    """100 URLs under {host} for two route hosts: 200 URLs in two requests of at most 100, every deploy."""
    toml = hello / "worker.toml"
    toml.write_text(toml.read_text().replace('routes = [{ pattern = "app.example.com/*", zone_name = "example.com" }]',
                                             'routes = ["app.example.com/*", "www.example.com/*"]'))
    files = ", ".join(f'"https://{{host}}/asset-{i}.js"' for i in range(100))
    configure(hello, f"[purge]\nfiles = [{files}]\n")
    r = deploy(hello, env)
    assert r.code == 0, r
    assert [(p.kind, len(p.items)) for p in fake_cf.purges] == [("files", 100), ("files", 100)]
    assert {u.split("/")[2] for p in fake_cf.purges for u in p.items} == {"app.example.com", "www.example.com"}
    assert deploy(hello, env).code == 0
    assert len(fake_cf.purges) == 4, "the purge runs after every deploy"


def test_hook_failure_after_a_good_upload_exits_3_and_a_rerun_finishes_without_uploading(
        hello: Path, env, fake_cf) -> None:
    """A failing DNS create: exit 3 naming the hook and the rerun; the rerun creates it, no second upload."""
    configure(hello, records_toml(*THREE) + '\n[purge]\nfiles = ["https://{host}/index.html"]\n')
    fake_cf.inject("POST", "/zones/*/dns_records", Status(400, code=1004), times=1)
    r = deploy(hello, env)
    assert r.code == 3, r
    assert "! failed: create DNS record A app.example.com 192.0.2.1" in r.out
    assert "1 post-deploy hook(s) failed: create DNS record A app.example.com 192.0.2.1" in r.err
    assert "rerun `cfworker deploy` to retry: the unchanged script is not uploaded again" in r.err
    assert "Serving at:" in r.out
    assert "hello" in fake_cf.scripts and len(fake_cf.purges) == 1, "the other hooks still ran"
    assert len(fake_cf.dns_records(fake_cf.zone_id)) == 2
    uploads = fake_cf.count("PUT", "/accounts/*/workers/scripts/hello")
    again = deploy(hello, env)
    assert again.code == 0, again
    assert "upload skipped" in again.out
    assert fake_cf.count("PUT", "/accounts/*/workers/scripts/hello") == uploads
    assert len(fake_cf.dns_records(fake_cf.zone_id)) == 3


def test_failed_upload_skips_the_hooks(hello: Path, env, fake_cf) -> None:
    """Hooks run only after the upload and routes succeed: a failed upload leaves DNS untouched."""
    configure(hello, records_toml(*THREE))
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/*", Status(400), times=1)
    r = deploy(hello, env)
    assert r.code != 0, r
    assert dns_writes(fake_cf) == []
    assert "not run: create DNS record" in r.out


def test_lost_answer_to_a_record_create_is_confirmed_not_repeated(hello: Path, env, fake_cf) -> None:
    """A create whose answer is lost (applied anyway) is read back and counted as done; no duplicate."""
    configure(hello, records_toml(*THREE))
    fake_cf.inject("POST", "/zones/*/dns_records", Drop(after_apply=True), times=1)
    r = deploy(hello, env)
    assert r.code == 0, r
    assert len(fake_cf.dns_records(fake_cf.zone_id)) == 3
    before = len(fake_cf.writes())
    assert deploy(hello, env).code == 0
    assert len(fake_cf.writes()) == before


def test_failed_batch_reports_its_records(hello: Path, env, fake_cf) -> None:
    """A refused batch: exit 3, 'none of the N changes' and the records it held, then a rerun converges."""
    configure(hello, records_toml(*(("A", f"h{i}", "192.0.2.1") for i in range(5))))
    fake_cf.inject("POST", "/zones/*/dns_records/batch", Status(400, code=1004), times=1)
    r = deploy(hello, env)
    assert r.code == 3, r
    assert "none of the 5 change(s) in this batch was applied" in r.out
    assert "+ A h0.example.com 192.0.2.1" in r.out
    assert deploy(hello, env).code == 0
    assert len(fake_cf.dns_records(fake_cf.zone_id)) == 5


def test_dry_run_shows_hook_steps_and_no_hooks_skips_them(hello: Path, env, fake_cf) -> None:
    """--dry-run lists DNS and purge steps without writing; --no-hooks neither reads nor writes DNS."""
    configure(hello, records_toml(*THREE) + '\n[purge]\nfiles = ["https://{host}/index.html"]\n')
    dry = deploy(hello, env, "--dry-run")
    assert dry.code == 0, dry
    assert fake_cf.writes() == []
    for fragment in ("+ create DNS record A app.example.com 192.0.2.1 (ttl auto)",
                     "+ create DNS record TXT example.com v=spf1 -all", "~ purge 1 URL(s) from the cache of zone "
                     "example.com"):
        assert fragment in dry.out, fragment
    plain = deploy(hello, env, "--no-hooks", "--json")
    assert plain.code == 0, plain
    assert fake_cf.count(None, DNS_GLOB) == 1, "only the dry run read DNS"
    assert fake_cf.purges == [] and "hello" in fake_cf.scripts
    assert all(s["phase"] != "post" for s in json.loads(plain.out)["plan"])


def test_one_record_config_reads_a_filtered_list_that_still_finds_owned_leftovers(hello: Path, env, fake_cf) -> None:
    """With one wanted name the DNS read is filtered (that name OR the marker), yet an owned record that
    left the config is still found and deleted; unrelated records in the zone are not even read."""
    configure(hello, records_toml(*THREE))
    assert deploy(hello, env).code == 0
    for i in range(20):
        fake_cf.add_dns_record(fake_cf.zone_id, "A", f"other{i}.example.com", "198.51.100.1")
    configure(hello, records_toml(THREE[0]))
    r = deploy(hello, env, "--yes", "--json")
    assert r.code == 0, r
    [read] = [q for q in fake_cf.requests if q.method == "GET" and q.path.endswith("/dns_records")][-1:]
    assert "match=any" in read.query and "comment.endswith" in read.query and "name=app.example.com" in read.query
    assert sorted(a["action"] for a in json.loads(r.out)["plan"]) == ["DeleteDnsRecord", "DeleteDnsRecord"]
    names = set(by_name(fake_cf))
    assert "app.example.com" in names and "v6.example.com" not in names and len(names) == 21
