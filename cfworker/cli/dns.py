"""`cfworker dns list|set|delete`: a zone's DNS records from the command line.

`set` is an idempotent upsert planned by the deploy's own DNS planner (`plan_set`): the
record with the same type, name and content is updated, else the only record of that type
and name, else one is created; running it twice writes once. Values are checked by the
same validator as [[dns]] in worker.toml. Records the deploy owns show their Worker in
the OWNER column. `delete` removes every record matching its filters, after confirmation
(--yes without a terminal); nothing matching is not an error, so it is idempotent too.
"""

from __future__ import annotations

from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext
from cfworker.errors import UserError

_FLAGS = {"type": "TYPE", "name": "NAME", "content": "CONTENT", "ttl": "--ttl", "proxied": "--proxied",
          "priority": "--priority", "comment": "--comment", "tags": "--tag"}


@cli.group()
def dns() -> None:
    """List, set and delete DNS records of a zone."""


def _zone_option(f: Any) -> Any:
    return click.option("--zone", "-z", metavar="NAME",
                        help="Zone name. [default: the zone NAME falls in, or the account's only zone]")(f)


def _record_json(record: Any, owner: str | None) -> dict[str, Any]:
    return {"id": record.id, "type": record.type, "name": record.name, "content": record.content,
            "ttl": record.ttl, "proxied": record.proxied, "priority": record.priority,
            "comment": record.comment, "tags": list(record.tags), "owner": owner}


@dns.command("list")
@click.argument("name", required=False)
@click.option("--type", "-t", "rtype", metavar="TYPE", help="Only records of this type (A, AAAA, CNAME, ...).")
@_zone_option
@account_option
@project_options
@debug_option
@json_option
@pass_app
def dns_list(app: AppContext, name: str | None, rtype: str | None, zone: str | None) -> None:
    """List a zone's records (only those named NAME when given)."""
    from cfworker.api import dns as dns_api
    from cfworker.cli.hook_session import open_session, pick_zone
    from cfworker.deploy.dns import fqdn, owner_of

    client, account_id = open_session(app)
    with client:
        target = pick_zone(client, account_id, zone=zone, host=name)
        records = dns_api.list_records(client, target.id, type=rtype.upper() if rtype else None,
                                       name=fqdn(name, target.name) if name else None)
    if app.json_mode:
        app.ui.emit_json({"zone": target.name, "zone_id": target.id,
                          "records": [_record_json(r, owner_of(r)) for r in records]})
        return
    if not records:
        app.ui.info(f"No matching DNS records in zone {target.name}.")
        return
    rows = [(r.type, r.name, r.content if r.priority is None else f"{r.priority} {r.content}",
             "auto" if r.ttl == 1 else str(r.ttl), "proxied" if r.proxied else "dns-only", owner_of(r) or "-")
            for r in records]
    header = ("TYPE", "NAME", "CONTENT", "TTL", "PROXY", "OWNER")
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header) - 1)]
    for row in [header, *rows]:
        app.ui.info("  ".join(cell.ljust(w) for cell, w in zip(row, widths)) + "  " + row[-1])


def _validated(raw: dict[str, Any]) -> Any:
    """The record as a DnsRecordSpec, checked by the worker.toml validator; bad values are a UserError."""
    from cfworker.config.diagnostics import Diagnostics
    from cfworker.config.hooks import check_dns

    d = Diagnostics("dns set")
    specs = check_dns(d, "dns", [raw])
    if d.has_errors() or not specs:
        problem = d.errors[0]
        flag = _FLAGS.get(problem.path.rsplit(".", 1)[-1], problem.path)
        raise UserError(f"{flag}: {problem.message}", hint=problem.hint or None)
    return specs[0]


def _complete_type(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from cfworker.cli.completion import complete_dns_type

    return complete_dns_type(ctx, param, incomplete)


@dns.command("set", epilog="""\b
EXAMPLES
  cfworker dns set A www.example.com 192.0.2.1 --proxied
  cfworker dns set CNAME docs.example.com example.pages.dev
  cfworker dns set TXT example.com "v=spf1 -all" --ttl 300
  cfworker dns set MX example.com mail.example.com --priority 10
""")
@click.argument("rtype", metavar="TYPE", shell_complete=_complete_type)
@click.argument("name")
@click.argument("content")
@click.option("--ttl", type=int, help="1 (automatic) or 60-86400 seconds. [default: 1 for a new record]")
@click.option("--proxied/--no-proxied", default=None, help="Proxy through Cloudflare (A, AAAA, CNAME).")
@click.option("--priority", type=int, help="MX priority (required for MX).")
@click.option("--comment", help="Record comment.")
@click.option("--tag", "tags", multiple=True, metavar="NAME:VALUE", help="Record tag (repeatable).")
@_zone_option
@account_option
@project_options
@debug_option
@json_option
@pass_app
def dns_set(app: AppContext, rtype: str, name: str, content: str, ttl: int | None, proxied: bool | None,
            priority: int | None, comment: str | None, tags: tuple[str, ...], zone: str | None) -> None:
    """Make sure a record TYPE NAME CONTENT exists (create it, or update the one in place)."""
    from dataclasses import replace

    from cfworker.api import dns as dns_api
    from cfworker.cli.hook_session import apply_steps, open_session, pick_zone
    from cfworker.deploy.dns import desired_record, managed_comment, owner_of, plan_set
    from cfworker.deploy.hook_steps import CreateDnsRecord

    raw: dict[str, Any] = {"type": rtype, "name": name, "content": content}
    given = {k: v for k, v in (("ttl", ttl), ("proxied", proxied), ("priority", priority), ("comment", comment),
                               ("tags", list(tags) if tags else None)) if v is not None}
    spec = _validated({**raw, **given})
    client, account_id = open_session(app)
    with client:
        target = pick_zone(client, account_id, zone=zone, host=name)
        want = desired_record(spec, target.name, script=None)
        have = dns_api.list_records(client, target.id, name=want.name)
        current = next((r for r in have if (r.type, r.name) == (want.type, want.name)), None)
        if "comment" in given and current is not None and (owner := owner_of(current)):
            want = replace(want, comment=managed_comment(spec.comment, owner))  # keep the deploy's ownership
        steps = plan_set(target, want, have, given=frozenset(given) - {"content"})
        outputs = apply_steps(app, client, steps)
    action = "unchanged" if not steps else "created" if isinstance(steps[0], CreateDnsRecord) else "updated"
    if app.json_mode:
        app.ui.emit_json({"zone": target.name, "action": action, "steps": [s.describe() for s in steps],
                          "id": outputs[0].get("id") if outputs else None})
    elif not steps:
        app.ui.info(f"{want.label()} is already up to date in zone {target.name}.")


@dns.command("delete")
@click.argument("name")
@click.option("--type", "-t", "rtype", metavar="TYPE", help="Only records of this type.")
@click.option("--content", help="Only records with this content.")
@click.option("--id", "record_id", metavar="ID", help="Only the record with this id.")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_zone_option
@account_option
@project_options
@debug_option
@json_option
@pass_app
def dns_delete(app: AppContext, name: str, rtype: str | None, content: str | None, record_id: str | None,
               yes: bool, zone: str | None) -> None:
    """Delete the records named NAME (narrowed by --type, --content or --id)."""
    from cfworker.api import dns as dns_api
    from cfworker.api.zones import Zone
    from cfworker.cli.hook_session import (
        apply_steps,
        open_session,
        pick_zone,
    )
    from cfworker.deploy.dns import ZoneDiff, fqdn, normalize_content, zone_steps
    from cfworker.deploy.plan import Plan
    from cfworker.deploy.render import render_plan

    client, account_id = open_session(app)
    with client:
        target: Zone = pick_zone(client, account_id, zone=zone, host=name)
        records = [r for r in dns_api.list_records(client, target.id, type=rtype.upper() if rtype else None,
                                                   name=fqdn(name, target.name))
                   if (content is None or normalize_content(r.type, r.content) == normalize_content(r.type, content))
                   and (record_id is None or r.id == record_id)]
        steps = zone_steps(target, ZoneDiff(deletes=tuple(records)), 200, delete_reason="")
        if steps:
            app.ui.lines(render_plan(Plan(script="", steps=tuple(steps)),
                                     header=f"DNS records to delete in zone {target.name}:"))
            app.confirm_destructive(f"delete {len(records)} DNS record(s) listed above?", yes=yes)
        apply_steps(app, client, steps)
    if app.json_mode:
        app.ui.emit_json({"zone": target.name, "deleted": [r.id for r in records]})
    elif not records:
        app.ui.info(f"No matching DNS records in zone {target.name}; nothing to delete.")
