"""What `cfworker zones`, `dns` and `purge` share: a client session, picking a zone, applying steps.

The steps are the deploy's own hook steps (deploy.plan), rendered by deploy.render and
performed by deploy.hook_runner, so a command and a deploy do the same requests. A zone
is `--zone` (a name), else the zone a host name falls in, else the account's only zone.
Not a command module: the command modules import it inside their functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from cfworker.cli.context import AppContext
from cfworker.errors import PartialFailure, UserError

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.api.zones import Zone
    from cfworker.deploy.hook_steps import HookStep


def open_session(app: AppContext) -> tuple[CloudflareClient, str]:
    """(client, account id) from the environment; the caller closes the client."""
    settings = app.settings()
    for warning in settings.warnings:
        app.ui.warn(warning)
    client = app.make_client(settings)
    try:
        return client, app.account_id(settings, client)
    except BaseException:
        client.close()
        raise


def pick_zone(client: CloudflareClient, account_id: str, *, zone: str | None, host: str | None = None) -> Zone:
    """The zone to act on: --zone, else the zone `host` falls in, else the account's only zone."""
    from cfworker.api import zones as zones_api
    from cfworker.deploy.zones import zone_for_host

    if zone:
        found = zones_api.find_zone(client, zone, account_id=account_id)
        if found is None:
            raise UserError(f"zone {zone!r} is not in this account",
                            hint="`cfworker zones list` shows the zones these credentials can use")
        return found
    zones = zones_api.list_zones(client, account_id=account_id)
    dotted = bool(host and "." in host.strip("."))
    if dotted and host and (match := zone_for_host(zones, host)) is not None:
        return match
    if dotted and zones:
        # A dotted name outside every zone is more likely a typo or another account's domain
        # than a name relative to the only zone: say so instead of creating name.zone.
        listing = ", ".join(z.name for z in zones[:8]) + (", ..." if len(zones) > 8 else "")
        raise UserError(f"{host!r} is in none of this account's zones ({listing})",
                        hint=f"pass --zone {zones[0].name} to use it as a name relative to that zone")
    if len(zones) == 1:
        return zones[0]
    if not zones:
        raise UserError("this account has no zones", hint="add a domain to the account in the Cloudflare dashboard")
    listing = ", ".join(z.name for z in zones[:8]) + (", ..." if len(zones) > 8 else "")
    what = f"{host!r} is in none of them" if host and "." in host else "which one?"
    raise UserError(f"the account has {len(zones)} zones ({listing}); {what}", hint="pass --zone example.com")


def apply_steps(app: AppContext, client: CloudflareClient, steps: Sequence[HookStep]) -> list[dict[str, Any]]:
    """Perform steps in order, printing each; a failure after some applied is a PartialFailure (exit 3)."""
    from cfworker.deploy.hook_runner import HookRunner
    from cfworker.errors import CfWorkerError

    runner = HookRunner(client, announce=app.ui.info)
    outputs: list[dict[str, Any]] = []
    landed = client.writes_landed
    for step in steps:
        try:
            outputs.append(runner.run(step))
        except CfWorkerError as exc:
            if not outputs and client.writes_landed == landed:  # refused cleanly: nothing was written
                raise
            done = f"{len(outputs)} of {len(steps)} request(s) applied" if outputs else \
                "the request reached Cloudflare and may have been applied"
            raise PartialFailure(f"{done}, then: {exc.message}", hint="rerun the same command to finish",
                                 notes=exc.notes) from None
        app.ui.success(f"done: {step.describe()}")
    return outputs
