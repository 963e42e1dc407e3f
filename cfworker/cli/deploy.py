"""`cfworker deploy`: build, read remote state, plan, show, then apply (or stop at --dry-run)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext

EXAMPLES = """\b
EXAMPLES
  cfworker deploy --dry-run                  the plan; nothing is written
  cfworker deploy --yes                      in CI: apply destructive steps without asking
  cfworker deploy --env staging --var MODE:staging --message "$(git log -1 --format=%s)"
  cfworker deploy --json | jq .ok            one JSON document on every path
"""


@cli.command(epilog=EXAMPLES)
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
@click.option("--name", metavar="NAME", help="Deploy as this Worker name instead of the config's.")
@click.option("--compatibility-date", metavar="YYYY-MM-DD", help="Use this compatibility date instead of the config's.")
@click.option("--compatibility-flag", "--compatibility-flags", "compatibility_flags", metavar="FLAG", multiple=True,
              help="Use these compatibility flags instead of the config's (repeat for several).")
@click.option("--var", "vars_", metavar="KEY:VALUE", multiple=True,
              help="A plain-text var to add or replace (repeat for several).")
@click.option("--minify/--no-minify", default=None, help="Minify the bundle, or not, whatever [build] minify says.")
@click.option("--keep-vars", is_flag=True, help="Keep vars set in the dashboard that the config does not list.")
@click.option("--message", metavar="TEXT", help="A message for this version (at most 50 characters).")
@click.option("--tag", metavar="TAG", help="A tag for this version (at most 20 characters).")
@click.option("--secrets-file", type=click.Path(dir_okay=False, path_type=Path), metavar="FILE",
              help="Upload these secrets with the version: a JSON object or NAME=value lines (values never shown).")
@account_option
@project_options
@debug_option
@json_option
@pass_app
def deploy(app: AppContext, dry_run: bool, yes: bool, take_over_routes: bool, override_dns: bool, force_upload: bool,
           no_hooks: bool, no_config_write: bool, outdir: str | None, check: bool | None = None,
           watch: bool = False, name: str | None = None, compatibility_date: str | None = None,
           compatibility_flags: tuple[str, ...] = (), vars_: tuple[str, ...] = (), minify: bool | None = None,
           keep_vars: bool = False, message: str | None = None, tag: str | None = None,
           secrets_file: Path | None = None) -> int:
    """Bundle the Worker, show the plan of changes, and apply it."""
    from cfworker.config.overrides import DeployFlags

    flags = DeployFlags(name=name, compatibility_date=compatibility_date, compatibility_flags=compatibility_flags,
                        vars=vars_, minify=minify, keep_vars=keep_vars, message=message, tag=tag)
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
    if flags != DeployFlags():
        from cfworker.config.overrides import apply_flags

        project = apply_flags(project, flags)
    if secrets_file is not None:
        import dataclasses

        from cfworker.cli.secret import parse_secrets_file

        secrets = parse_secrets_file(app.path(secrets_file), str(secrets_file))
        project = dataclasses.replace(project, deploy_secrets=tuple(secrets.items()))
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
    if outcome.declined:
        app.ui.info(outcome.message or "Cancelled.")
    elif outcome.exit_code != 0:
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
