"""`cfworker deploy`: build, read remote state, plan, show, then apply (or stop at --dry-run)."""

from __future__ import annotations

from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext


@cli.command()
@click.option("--dry-run", is_flag=True, help="Build and print the plan; write nothing. Works without credentials.")
@click.option("--yes", "-y", is_flag=True, help="Apply destructive steps (route deletions, workers.dev off) without asking.")
@click.option("--take-over-routes", is_flag=True, help="Move routes and custom domains that another Worker owns to this one.")
@click.option("--override-dns", is_flag=True,
              help="Let a custom domain replace DNS records its hostname already has (never implied by other flags).")
@click.option("--force", "force_upload", is_flag=True, help="Upload the script even when its content hash is unchanged.")
@click.option("--no-hooks", is_flag=True, help="Skip the post-deploy hooks ([[dns]] records and [purge]).")
@click.option("--no-config-write", "no_config_write", is_flag=True,
              help="Do not write found or created ids (KV, D1, R2) back into the config file.")
@click.option("--outdir", type=click.Path(file_okay=False), metavar="DIR", help="Where to write the bundle. [default: dist/]")
@click.option("--check/--no-check", "check", default=None,
              help="Boot the bundle in workerd before anything is written and refuse one that throws at start-up. "
                   "[default: on when the pinned workerd is installed; --check installs it]")
@click.option("--watch", "-w", is_flag=True, help="Then redeploy on every save until Ctrl-C (as `cfworker watch`).")
@account_option
@project_options
@debug_option
@json_option
@pass_app
def deploy(app: AppContext, dry_run: bool, yes: bool, take_over_routes: bool, override_dns: bool, force_upload: bool,
           no_hooks: bool, no_config_write: bool, outdir: str | None, check: bool | None = None,
           watch: bool = False) -> int:
    """Bundle the Worker, show the plan of changes, and apply it."""
    if watch:
        if dry_run:
            raise click.UsageError("--watch cannot be combined with --dry-run")
        from cfworker.cli.watch import run_watch_command

        return run_watch_command(app, yes=yes, take_over_routes=take_over_routes, override_dns=override_dns,
                                 force_upload=force_upload,
                                 no_config_write=no_config_write, no_hooks=no_hooks,
                                 account_id=app.account_id_flag, outdir=outdir, check=check)
    import time

    from cfworker.concurrency import DaemonPool
    from cfworker.deploy import DeployOptions, run_deploy
    from cfworker.deploy.render import render_summary

    started = time.perf_counter()
    project = app.load_project()
    settings = app.settings(project=project, require_credentials=not dry_run)
    for warning in settings.warnings:
        app.ui.warn(warning)
    options = DeployOptions(dry_run=dry_run, yes=yes, take_over_routes=take_over_routes, override_dns=override_dns,
                            force_upload=force_upload, write_config=not no_config_write and not dry_run,
                            interactive=app.is_interactive, no_hooks=no_hooks)
    # esbuild runs while the API client is set up and Cloudflare is read: the build does not
    # depend on remote state, and against the real API the reads dominate.
    mode = "auto" if check is None else ("on" if check else "off")
    checked: dict[str, float] = {}

    def build_and_check() -> Any:
        bundle = app.build_bundle(project, outdir=outdir)
        ms = app.startup_check(project, bundle, mode)
        if ms is not None:
            checked["startup_check"] = ms
        return bundle

    with DaemonPool(max_workers=1, name="build") as pool:
        future = pool.submit(build_and_check)
        client: Any = None
        try:
            resolved_account = None
            if settings.credentials is not None:
                client = app.make_client(settings)
                resolved_account = app.account_id(settings, client)
            elif dry_run:
                app.ui.info("No credentials: planning without reading Cloudflare (remote checks skipped).")

            def built() -> Any:
                bundle = future.result()
                app.ui.step(_built_line(bundle))
                return bundle

            def check_notes() -> list[str]:
                ms = checked.get("startup_check")
                return [app.startup_line(ms)] if ms is not None else []

            outcome = run_deploy(project, built, client=client, account_id=resolved_account, ui=app.ui,
                                 options=options, confirm=lambda q: click.confirm(q, default=False),
                                 notes=check_notes)
        finally:
            if client is not None:
                client.close()
    bundle = future.result()
    outcome.timings["build"] = bundle.total_ms
    outcome.timings.update(checked)
    outcome.timings["total"] = (time.perf_counter() - started) * 1000
    app.ui.lines(render_summary(outcome))
    if outcome.exit_code != 0:
        hint = outcome.hint or ("rerun `cfworker deploy` to finish; applied steps are not repeated"
                                if outcome.exit_code == 3 else None)
        app.ui.error(outcome.message or "deploy failed", hint=hint)
    if app.json_mode:
        payload = outcome.to_json()
        payload["bundle"] = {"main_module": bundle.main_module, "size": bundle.total_size,
                             "modules": [{"name": m.name, "type": m.type, "size": m.size} for m in bundle.modules]}
        app.ui.emit_json(payload)
    return outcome.exit_code


def _built_line(bundle: Any) -> str:
    from cfworker.ui import human_size

    assets = bundle.assets
    files = (f"{len(assets.files)} asset file(s) ({human_size(assets.total_size)})" if assets is not None else "")
    if bundle.assets_only:
        return f"Read {files} in {bundle.total_ms:.0f} ms (assets-only Worker: no code to bundle)"
    extra = len(bundle.modules) - 1
    more = f" + {extra} module(s)" if extra else ""
    return (f"Built {bundle.main_module} {human_size(bundle.main.size)} (gzip {human_size(bundle.gzip_size())})"
            f"{more}{' + ' + files if files else ''} in {bundle.total_ms:.0f} ms")
