"""`cfworker whoami`: which credentials are in use, whether they work, which accounts they see."""

from __future__ import annotations

from typing import Any

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext


@cli.command()
@account_option
@project_options
@debug_option
@json_option
@pass_app
def whoami(app: AppContext) -> None:
    """Verify the credentials and list the accounts they can use."""
    from cfworker.api import accounts as api
    from cfworker.api.errors import CloudflareAPIError

    settings = app.settings()
    for warning in settings.warnings:
        app.ui.warn(warning)
    credentials = settings.require_credentials()
    report: dict[str, Any] = {"auth": {"kind": credentials.kind, "source": credentials.source}}
    with app.make_client(settings) as client:
        if credentials.kind == "token":
            status = _verify(client, settings, report)
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
    if credentials.kind != "token":
        what = f"global API key of {auth['email']}"
    elif auth.get("owner") == "account":
        what = f"account-owned API token (account {auth['account_id']})"
    else:
        what = "API token"
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


def _verify(client: Any, settings: Any, report: dict[str, Any]) -> Any:
    """The token's status: a user token from /user/tokens/verify, else (its code 1000) an account one."""
    from cfworker.api import accounts as api
    from cfworker.api.errors import CloudflareAPIError

    try:
        status = api.verify_token(client)
        report["auth"]["owner"] = "user"
        return status
    except CloudflareAPIError as exc:
        if not exc.has_code(api.ACCOUNT_TOKEN_HINT):
            raise
        refused = exc
    candidates = [settings.account_id.value] if settings.account_id is not None else []
    if not candidates:
        try:
            candidates = [a.id for a in api.list_accounts(client)]
        except CloudflareAPIError:
            raise refused from None
    for account_id in candidates[:5]:
        try:
            status = api.verify_account_token(client, account_id)
        except CloudflareAPIError:
            continue
        report["auth"]["owner"] = "account"
        report["auth"]["account_id"] = account_id
        return status
    raise refused
