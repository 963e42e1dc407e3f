"""`cfworker whoami`: which credentials are in use, whether they work, which accounts they see."""

from __future__ import annotations

from typing import Any

import click

from cfworker.cli import cli, debug_option, json_option, pass_app
from cfworker.cli.context import AppContext


@cli.command()
@click.option("--account-id", metavar="ID", help="Account to report as in use. [env var: CLOUDFLARE_ACCOUNT_ID]")
@debug_option
@json_option
@pass_app
def whoami(app: AppContext, account_id: str | None) -> None:
    """Verify the credentials and list the accounts they can use."""
    from cfworker.api import accounts as api
    from cfworker.api.errors import CloudflareAPIError

    settings = app.settings(account_id_flag=account_id)
    for warning in settings.warnings:
        app.ui.warn(warning)
    credentials = settings.require_credentials()
    report: dict[str, Any] = {"auth": {"kind": credentials.kind, "source": credentials.source}}
    with app.make_client(settings) as client:
        if credentials.kind == "token":
            status = api.verify_token(client)
            report["auth"]["status"] = status.status
            report["auth"]["token_id"] = status.id
            if status.expires_on:
                report["auth"]["expires_on"] = status.expires_on
            if status.status != "active":
                from cfworker.errors import RemoteError

                raise RemoteError(
                    f"the API token from {credentials.source} is {status.status}",
                    hint="create a new token at dash.cloudflare.com/profile/api-tokens",
                )
        else:
            user = api.get_user(client)
            report["auth"]["email"] = user.email
            report["auth"]["status"] = "active"
        accounts_error = None
        try:
            accounts = api.list_accounts(client)
        except CloudflareAPIError as exc:
            if exc.status not in (401, 403):
                raise
            accounts, accounts_error = [], exc
    report["accounts"] = [{"id": a.id, "name": a.name} for a in accounts]
    chosen = settings.account_id
    if chosen is None and (only := api.choose_account(accounts)) is not None:
        report["account_id"] = {"value": only.id, "source": "the only account these credentials see"}
    elif chosen is not None:
        report["account_id"] = {"value": chosen.value, "source": chosen.source}
    else:
        report["account_id"] = None

    if app.json_mode:
        app.ui.emit_json(report)
        return
    ui = app.ui
    auth = report["auth"]
    what = "API token" if credentials.kind == "token" else f"global API key of {auth['email']}"
    ui.success(f"Authenticated with the {what} from {credentials.source} (status: {auth['status']})")
    if accounts_error is not None:
        ui.warn(f"could not list accounts: {accounts_error.message}")
        if accounts_error.hint:
            ui.info(f"  {accounts_error.hint}")
    elif not accounts:
        ui.info("These credentials see no accounts.")
    else:
        ui.info("Accounts:")
        width = max(len(a.name) for a in accounts)
        for account in accounts:
            ui.info(f"  {account.name.ljust(width)}  {account.id}")
    if report["account_id"]:
        ui.info(f"Account in use: {report['account_id']['value']} ({report['account_id']['source']})")
    elif len(accounts) > 1:
        ui.info("Account in use: none chosen; set CLOUDFLARE_ACCOUNT_ID or account_id in worker.toml")
