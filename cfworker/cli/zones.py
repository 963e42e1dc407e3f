"""`cfworker zones list`: the zones (domains) these credentials can use in the account."""

from __future__ import annotations

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext


@cli.group()
def zones() -> None:
    """List the account's zones (the domains DNS records, routes and purges live in)."""


@zones.command("list")
@account_option
@project_options
@debug_option
@json_option
@pass_app
def zones_list(app: AppContext) -> None:
    """List the account's zones: id, name, status and plan."""
    from cfworker.api import zones as zones_api
    from cfworker.cli.hook_session import open_session

    client, account_id = open_session(app)
    with client:
        items = zones_api.list_zones(client, account_id=account_id)
    if app.json_mode:
        app.ui.emit_json([{"id": z.id, "name": z.name, "status": z.status, "plan": z.plan} for z in items])
        return
    if not items:
        app.ui.info("No zones in this account.")
    width = max((len(z.name) for z in items), default=0)
    for z in items:
        app.ui.info(f"{z.id}  {z.name:<{width}}  {z.status:<8}  {z.plan or '-'}")
