"""`cfworker purge`: purge cached content now, with the requests the deploy's purge hook makes.

Give one or more of --file/--tag/--host/--prefix (each kind goes in its own requests,
at most 100 items each), or --everything (needs --yes without a terminal). With no flag
the [purge] section of worker.toml runs, `{host}`/`{routes}` expanded from its routes:
the way to retry a purge hook that failed without deploying again.
"""

from __future__ import annotations

from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext
from cfworker.errors import UserError


@cli.command(epilog="""\b
EXAMPLES
  cfworker purge                                    what worker.toml's [purge] says
  cfworker purge --file https://example.com/app.js --file https://example.com/
  cfworker purge --tag release-42 --zone example.com
  cfworker purge --everything --zone example.com --yes
""")
@click.option("--everything", is_flag=True, help="Purge everything cached for the zone.")
@click.option("--file", "files", multiple=True, metavar="URL", help="A URL to purge (repeatable).")
@click.option("--tag", "tags", multiple=True, metavar="TAG", help="A cache tag to purge (repeatable).")
@click.option("--host", "hosts", multiple=True, metavar="HOST", help="A host name to purge (repeatable).")
@click.option("--prefix", "prefixes", multiple=True, metavar="PREFIX",
              help="A URL prefix without scheme, e.g. example.com/assets (repeatable).")
@click.option("--zone", "-z", metavar="NAME",
              help="Zone name. [default: the zone of each item's host, or the account's only zone]")
@click.option("--yes", "-y", is_flag=True, help="Purge everything without asking.")
@project_options
@account_option
@debug_option
@json_option
@pass_app
def purge(app: AppContext, everything: bool, files: tuple[str, ...], tags: tuple[str, ...], hosts: tuple[str, ...],
          prefixes: tuple[str, ...], zone: str | None, yes: bool) -> None:
    """Purge cached content: URLs, tags, hosts, prefixes or everything (default: worker.toml's [purge])."""
    from cfworker.cli.hook_session import apply_steps, open_session
    from cfworker.deploy.plan import Plan
    from cfworker.deploy.render import render_plan

    flagged = bool(files or tags or hosts or prefixes)
    if everything and flagged:
        raise UserError("--everything purges the whole zone; drop --file/--tag/--host/--prefix, or --everything")
    client, account_id = open_session(app)
    with client:
        if everything or flagged:
            plan = _plan_from_flags(client, account_id, everything, files, tags, hosts, prefixes, zone)
        else:
            plan = _plan_from_config(app, client, account_id, zone)
        if plan.blockers:
            first = plan.blockers[0]
            raise UserError(first.message, hint=first.hint)
        steps = plan.steps
        app.ui.lines(render_plan(Plan(script="", steps=steps, notes=plan.notes), header="Purge:"))
        if any(s.kind == "everything" for s in steps):
            zones = ", ".join(s.zone_name for s in steps)
            app.confirm_destructive(f"purge everything cached for {zones}?", yes=yes)
        outputs = apply_steps(app, client, steps)
    if app.json_mode:
        app.ui.emit_json({"requests": [{"zone": s.zone_name, "kind": s.kind, "items": list(s.items), **out}
                                       for s, out in zip(steps, outputs)]})


def _plan_from_flags(client: Any, account_id: str, everything: bool, files: tuple[str, ...], tags: tuple[str, ...],
                     hosts: tuple[str, ...], prefixes: tuple[str, ...], zone: str | None) -> Any:
    """Purge steps for the flags; items are checked by the [purge] validator (no placeholders here)."""
    from cfworker.api import zones as zones_api
    from cfworker.cli.hook_session import pick_zone
    from cfworker.config.diagnostics import Diagnostics
    from cfworker.config.hooks import check_purge
    from cfworker.deploy.purge import purge_steps

    if any("{" in f for f in files):
        raise UserError("--file takes full URLs; {host} and {routes} work only in worker.toml's [purge]")
    d = Diagnostics("purge")
    raw: dict[str, Any] = {k: list(v) for k, v in (("files", files), ("tags", tags), ("hosts", hosts),
                                                     ("prefixes", prefixes)) if v}
    spec = check_purge(d, "purge", {**raw, **({"everything": True} if everything else {})})
    if spec is None or d.has_errors():
        problem = d.errors[0]
        key = problem.path.split(".", 1)[-1].split("[")[0]
        flag = {"files": "--file", "tags": "--tag", "hosts": "--host", "prefixes": "--prefix"}.get(key, "purge")
        raise UserError(f"{flag}: {problem.message}", hint=problem.hint or None)
    fixed = pick_zone(client, account_id, zone=zone) if zone else None
    zones = [fixed] if fixed else zones_api.list_zones(client, account_id=account_id)
    default = [fixed] if fixed else []
    if not fixed and (everything or tags):
        default = [pick_zone(client, account_id, zone=None)]  # the only zone, else "pass --zone"
    return purge_steps(spec, spec.files, zones, fixed=fixed, default=default)


def _plan_from_config(app: AppContext, client: Any, account_id: str, zone: str | None) -> Any:
    """The [purge] hook of worker.toml, as a deploy would run it."""
    from dataclasses import replace

    from cfworker.deploy.purge import plan_purge, purge_lookups
    from cfworker.deploy.remote import fetch_zones
    from cfworker.deploy.zones import route_host

    project = app.load_project()
    if project.purge is None:
        raise UserError("nothing to purge: give --file, --tag, --host, --prefix or --everything",
                        hint="or add a [purge] section to worker.toml")
    if zone:
        project = replace(project, purge=replace(project.purge, zone=zone))
    names, hosts = purge_lookups(project)
    names |= {r.zone_name for r in project.routes if r.zone_name}
    hosts |= {h for r in project.routes if not r.zone_name and not r.zone_id and (h := route_host(r.pattern))}
    zones = fetch_zones(client, account_id, names=names, hosts=hosts)
    return plan_purge(project, zones)
