"""`cfworker zones list`, `dns list|set|delete` and `purge` against the fake API (in-process CLI)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import Result, run_cli


@pytest.fixture
def env(fake_cf: Any) -> dict[str, str]:
    """Credentials for the fake with one zone, example.com."""
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return dict(fake_cf.env)


def cf(env: dict[str, str], *args: str, cwd: Path | None = None, interactive: bool = False,
       input: str | None = None) -> Result:
    return run_cli(list(args), env=env, cwd=cwd, interactive=interactive, input=input)


def test_zones_list_prints_and_emits_json(env, fake_cf) -> None:
    """zones list shows each zone with its plan; --json is a parseable list."""
    fake_cf.add_zone("shop.example.org", plan="pro")
    r = cf(env, "zones", "list")
    assert r.code == 0, r
    assert "example.com" in r.out and "shop.example.org" in r.out and "pro" in r.out
    doc = json.loads(cf(env, "zones", "list", "--json").out)
    assert sorted(z["name"] for z in doc) == ["example.com", "shop.example.org"]


def test_dns_set_creates_then_is_idempotent_then_updates_in_place(env, fake_cf) -> None:
    """dns set: a create, then no write for the same record, then one PATCH for new content."""
    r = cf(env, "dns", "set", "A", "www", "192.0.2.1", "--ttl", "300", "--comment", "by hand")
    assert r.code == 0, r
    [record] = fake_cf.dns_records(fake_cf.zone_id)
    assert (record["name"], record["content"], record["ttl"], record["comment"]) == \
        ("www.example.com", "192.0.2.1", 300, "by hand")
    before = len(fake_cf.writes())
    same = cf(env, "dns", "set", "A", "www.example.com", "192.0.2.1")
    assert same.code == 0, same
    assert len(fake_cf.writes()) == before and "already up to date" in same.out
    moved = cf(env, "dns", "set", "A", "www", "192.0.2.2", "--json")
    assert moved.code == 0, moved
    assert json.loads(moved.out)["action"] == "updated"
    assert [(w.method, w.json()) for w in fake_cf.writes()[before:]] == [("PATCH", {"content": "192.0.2.2"})]
    [record] = fake_cf.dns_records(fake_cf.zone_id)
    assert (record["content"], record["ttl"], record["comment"]) == ("192.0.2.2", 300, "by hand")


def test_dns_set_bad_value_is_a_usage_error_without_traceback(env, fake_cf) -> None:
    """A value the worker.toml validator refuses is reported against its argument, exit 2, nothing sent."""
    r = cf(env, "dns", "set", "A", "www", "2001:db8::1")
    assert r.code == 2, r
    assert "CONTENT:" in r.err and "AAAA" in r.err and "Traceback" not in r.output
    assert fake_cf.requests == []
    mx = cf(env, "dns", "set", "MX", "@", "mail.example.com")
    assert mx.code == 2 and "--priority" in mx.err


def test_dns_list_shows_owner_of_deploy_records(env, fake_cf) -> None:
    """dns list marks records a deploy created with their Worker; --json has the same."""
    fake_cf.add_dns_record(fake_cf.zone_id, "A", "app.example.com", "192.0.2.1", comment="[cfworker:hello]")
    fake_cf.add_dns_record(fake_cf.zone_id, "TXT", "example.com", "v=spf1 -all")
    r = cf(env, "dns", "list")
    assert r.code == 0, r
    assert "OWNER" in r.out and "hello" in r.out
    doc = json.loads(cf(env, "dns", "list", "--json").out)
    assert {rec["name"]: rec["owner"] for rec in doc["records"]} == {"app.example.com": "hello", "example.com": None}
    only = json.loads(cf(env, "dns", "list", "app", "--json").out)
    assert [rec["name"] for rec in only["records"]] == ["app.example.com"]


def test_dns_delete_needs_yes_without_a_terminal_and_is_idempotent(env, fake_cf) -> None:
    """dns delete refuses without --yes in CI, deletes with it, and finds nothing the second time."""
    fake_cf.add_dns_record(fake_cf.zone_id, "A", "old.example.com", "192.0.2.1")
    fake_cf.add_dns_record(fake_cf.zone_id, "A", "keep.example.com", "192.0.2.1")
    refused = cf(env, "dns", "delete", "old")
    assert refused.code == 2, refused
    assert "--yes" in refused.err and fake_cf.writes() == []
    done = cf(env, "dns", "delete", "old", "--yes")
    assert done.code == 0, done
    assert [r["name"] for r in fake_cf.dns_records(fake_cf.zone_id)] == ["keep.example.com"]
    again = cf(env, "dns", "delete", "old", "--yes")
    assert again.code == 0 and "nothing to delete" in again.out


def test_dns_commands_need_a_zone_when_the_account_has_several(env, fake_cf) -> None:
    """With two zones a relative name is ambiguous: the error lists them and asks for --zone."""
    fake_cf.add_zone("other.org")
    r = cf(env, "dns", "set", "A", "www", "192.0.2.1")
    assert r.code == 2, r
    assert "2 zones" in r.err and "--zone" in r.err
    ok = cf(env, "dns", "set", "A", "www", "192.0.2.1", "--zone", "other.org")
    assert ok.code == 0, ok


def test_purge_files_are_split_into_requests_of_100(env, fake_cf) -> None:
    """150 --file URLs become two requests (100 + 50), each of one kind."""
    args = [a for i in range(150) for a in ("--file", f"https://example.com/f{i}.js")]
    r = cf(env, "purge", *args, "--json")
    assert r.code == 0, r
    assert [(p.kind, len(p.items)) for p in fake_cf.purges] == [("files", 100), ("files", 50)]
    assert [req["items"] for req in json.loads(r.out)["requests"]] == [
        [f"https://example.com/f{i}.js" for i in range(100)], [f"https://example.com/f{i}.js" for i in range(100, 150)]]


def test_purge_everything_needs_confirmation(env, fake_cf) -> None:
    """--everything is refused without --yes in CI, then sent as purge_everything."""
    refused = cf(env, "purge", "--everything")
    assert refused.code == 2 and fake_cf.purges == []
    r = cf(env, "purge", "--everything", "--yes")
    assert r.code == 0, r
    assert [(p.kind, p.items) for p in fake_cf.purges] == [("purge_everything", [])]


def test_purge_tags_and_prefixes_each_get_their_own_request(env, fake_cf) -> None:
    """Tags and prefixes in one command: one request per kind (Cloudflare takes one kind per request)."""
    r = cf(env, "purge", "--tag", "html", "--tag", "css", "--prefix", "example.com/assets")
    assert r.code == 0, r
    assert [(p.kind, p.items) for p in fake_cf.purges] == [("tags", ["html", "css"]),
                                                           ("prefixes", ["example.com/assets"])]


def test_purge_rejects_bad_items_before_sending(env, fake_cf) -> None:
    """A host with a scheme or a URL in no account zone is an error; nothing is purged."""
    bad = cf(env, "purge", "--host", "https://example.com")
    assert bad.code == 2 and "--host" in bad.err
    elsewhere = cf(env, "purge", "--file", "https://nowhere.net/a.js")
    assert elsewhere.code == 2 and "nowhere.net" in elsewhere.err
    assert fake_cf.purges == []


def test_purge_without_flags_runs_the_configured_purge(env, fake_cf, tmp_path: Path) -> None:
    """`cfworker purge` alone runs worker.toml's [purge], placeholders expanded from the routes."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default {}\n")
    (tmp_path / "worker.toml").write_text(
        'name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
        'routes = ["www.example.com/*"]\n[purge]\nfiles = ["https://{host}/index.html"]\n')
    r = cf(env, "purge", cwd=tmp_path)
    assert r.code == 0, r
    assert [(p.kind, p.items) for p in fake_cf.purges] == [("files", ["https://www.example.com/index.html"])]
