"""`cfworker watch` (= `cfworker deploy --watch`): deploy, then redeploy on every save.

The command wires the redeploy loop (`cfworker.watch`) to the CLI: `CliPipeline` loads,
builds and deploys through the same AppContext factories and `run_deploy` that `cfworker
deploy` uses. The first deploy shows the whole plan; later ones print one line each.
Stopping: the first Ctrl-C or SIGTERM ends the session once the deploy in flight (if any)
is done, or at once while it only waits to retry; exit 0. A second one abandons the deploy
(a script upload is an idempotent PUT; the summary says what was applied); exit 130.
"""

from __future__ import annotations

import dataclasses
import io
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext
from cfworker.errors import BundleError

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.bundle.model import Bundle
    from cfworker.bundle.tool import EsbuildBinary
    from cfworker.config.model import Project
    from cfworker.deploy import DeployOptions
    from cfworker.ui import UI
    from cfworker.watch import DeployReport, WatchOptions


def watch_flags(f: Callable[..., Any]) -> Callable[..., Any]:
    """The deploy flags that also make sense for a watch session."""
    for option in reversed((
        click.option("--yes", "-y", is_flag=True, help="Apply destructive steps without asking."),
        click.option("--take-over-routes", is_flag=True, help="Move routes another Worker owns to this one."),
        click.option("--override-dns", is_flag=True,
                     help="Let a custom domain replace DNS records its hostname already has."),
        click.option("--force", "force_upload", is_flag=True, help="Upload on every rebuild, even when unchanged."),
        click.option("--no-config-write", "no_config_write", is_flag=True,
                     help="Do not write KV namespace ids back into worker.toml."),
        click.option("--no-hooks", "no_hooks", is_flag=True, help="Do not run DNS and cache-purge hooks after deploys."),
        click.option("--outdir", type=click.Path(file_okay=False), metavar="DIR",
                     help="Where to write the bundle. [default: dist/]"),
        click.option("--check/--no-check", "check", default=None,
                     help="Boot each rebuild in workerd before it is uploaded; one that throws at start-up is not "
                          "deployed. [default: on when the pinned workerd is installed; --check installs it]"),
    )):
        f = option(f)
    return f


@cli.command()
@watch_flags
@account_option
@project_options
@debug_option
@json_option
@pass_app
def watch(app: AppContext, yes: bool, take_over_routes: bool, override_dns: bool, force_upload: bool,
          no_config_write: bool, no_hooks: bool, outdir: str | None, check: bool | None = None) -> int:
    """Deploy, then redeploy on every save (the same as `cfworker deploy --watch`).

    Watches the entry's folder, imported files, worker.toml and [build] watch_dir. A source
    change rebuilds and uploads (nothing is sent when the bundle did not change); a worker.toml
    change replans everything. Errors (a build that fails, a bundle that does not start in
    workerd) are printed and the last good deployment stays live.
    Ctrl-C or SIGTERM stops (exit 0); a second one abandons a deploy in flight (exit 130).
    """
    return run_watch_command(app, yes=yes, take_over_routes=take_over_routes, override_dns=override_dns,
                             force_upload=force_upload, no_config_write=no_config_write, no_hooks=no_hooks,
                             account_id=app.account_id_flag, outdir=outdir, check=check)


def run_watch_command(app: AppContext, *, yes: bool = False, take_over_routes: bool = False,
                      override_dns: bool = False, force_upload: bool = False, no_config_write: bool = False, no_hooks: bool = False,
                      account_id: str | None = None, outdir: str | None = None, check: bool | None = None) -> int:
    """Run a watch session for `cfworker watch` and `cfworker deploy --watch`."""
    from cfworker.config.loader import find_config
    from cfworker.watch import WatchOptions, run_watch

    config = app.path(app.config_path) if app.config_path is not None else find_config(app.cwd)
    app.config_path = config
    watch_options = dataclasses.replace(app.watch_options or WatchOptions(), skip_unchanged=not force_upload)
    if app.json_mode:  # one JSON line per event on stdout; the human lines go to stderr
        watch_options = dataclasses.replace(watch_options, events=app.ui.emit_json_line)
    # Checked once before watching: nothing a save can change fixes missing credentials.
    settings = app.settings(account_id_flag=account_id, require_credentials=True)
    for warning in settings.warnings:
        app.ui.warn(warning)
    options = deploy_options(yes=yes, take_over_routes=take_over_routes, override_dns=override_dns,
                             force_upload=force_upload,
                             write_config=not no_config_write, interactive=app.is_interactive, no_hooks=no_hooks)
    pipeline = CliPipeline(app, config, options=options, account_id_flag=account_id, outdir=outdir,
                           stop=watch_options.stop, check="auto" if check is None else ("on" if check else "off"))
    try:
        with stop_on_signals(watch_options, app.ui):
            return run_watch(pipeline, ui=app.ui, options=watch_options)
    finally:
        pipeline.close()


def deploy_options(**flags: bool) -> DeployOptions:
    """The DeployOptions every deploy of a session uses."""
    from cfworker.deploy import DeployOptions

    return DeployOptions(**flags)


@contextmanager
def stop_on_signals(options: WatchOptions, ui: UI) -> Iterator[None]:
    """SIGINT/SIGTERM: the first sets the stop event, a second abandons the deploy in flight."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread (in-process tests)
        return
    import signal

    signalled = threading.Event()

    def handle(signum: int, frame: object) -> None:
        signalled.set()
        already = options.stop.is_set()
        options.stop.set()
        if already and options.busy.is_set():
            raise KeyboardInterrupt
        if options.busy.is_set():
            # Printed from another thread: the main thread may be inside a write to the same stream.
            threading.Thread(target=ui.info, daemon=True, args=(
                "stopping once the deploy in progress ends; press Ctrl-C again to abandon it",)).start()

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            # Stopped by a signal, the process is about to exit: one more Ctrl-C must not turn
            # the clean exit into a KeyboardInterrupt traceback.
            signal.signal(sig, signal.SIG_IGN if signalled.is_set() else old)


class CliPipeline:
    """Load, build and deploy through the AppContext, as `cfworker deploy` does."""

    def __init__(self, app: AppContext, config_path: Path, *, options: DeployOptions, account_id_flag: str | None,
                 outdir: str | None, stop: threading.Event, check: str = "auto") -> None:
        self._app = app
        self._config_path = config_path
        self._options = options
        self._account_flag = account_id_flag
        self._outdir = outdir
        self._stop = stop
        self._check = check  # the start-up check's mode; "auto" becomes "off" once it was skipped
        self._tool: tuple[Path | None, EsbuildBinary] | None = None
        self._client: CloudflareClient | None = None
        self._accounts: dict[str | None, str] = {}
        self._warned: set[str] = set()

    @property
    def config_path(self) -> Path:
        """The worker.toml being watched."""
        return self._config_path

    def load(self) -> Project:
        """Read and validate worker.toml."""
        return self._app.load_project()

    def build(self, project: Project) -> Bundle:
        """Bundle quietly: tool output is shown on success, or carried in the BundleError's notes."""
        from cfworker.ui import UI

        app = self._app
        if self._tool is None or self._tool[0] != project.build.esbuild:
            self._tool = (project.build.esbuild, app.find_esbuild(project))
        out, err = io.StringIO(), io.StringIO()
        quiet = dataclasses.replace(app, ui=UI(out=out, err=err, color=app.ui.color))
        try:
            bundle = quiet.build_bundle(project, outdir=self._outdir, tool=self._tool[1])
        except BundleError as exc:
            shown = [line for line in (out.getvalue() + err.getvalue()).splitlines() if line.strip()]
            raise BundleError(exc.message, hint=exc.hint, notes=[*shown, *exc.notes]) from None
        for text, write in ((out.getvalue(), app.ui.info), (err.getvalue(), app.ui.passthrough)):
            if text.strip():
                write(text.rstrip("\n"))
        # Before any upload, as `cfworker deploy` does: a rebuild that throws at start-up is an
        # error like a failed build, and the deployment that is live stays.
        if app.startup_check(project, bundle, self._check) is None and self._check == "auto":
            self._check = "off"  # workerd is not installed: said once, not on every save
        return bundle

    def deploy(self, project: Project, bundle: Bundle, *, verbose: bool) -> DeployReport:
        """run_deploy; verbose shows the plan and summary as `cfworker deploy` does."""
        from cfworker.cli.deploy import _built_line
        from cfworker.deploy import run_deploy
        from cfworker.deploy.render import render_summary
        from cfworker.ui import UI
        from cfworker.watch import report_from_outcome

        app = self._app
        client, account = self._connect(project)
        ui = app.ui if verbose else UI(out=app.ui._out, err=app.ui._err, quiet=True, color=app.ui.color)
        if verbose:
            app.ui.step(_built_line(bundle))
        started = time.perf_counter()
        outcome = run_deploy(project, bundle, client=client, account_id=account, ui=ui, options=self._options,
                             confirm=lambda q: click.confirm(q, default=False))
        if verbose:
            outcome.timings["build"] = bundle.total_ms
            outcome.timings["total"] = (time.perf_counter() - started) * 1000 + bundle.total_ms
            app.ui.lines(render_summary(outcome))
            if outcome.exit_code != 0:
                app.ui.error(outcome.message or "deploy failed")
        return report_from_outcome(outcome)

    def close(self) -> None:
        """Close the API client."""
        if self._client is not None:
            self._client.close()

    def _connect(self, project: Project) -> tuple[CloudflareClient, str]:
        """The client (made once) and the account for this project's settings."""
        app = self._app
        settings = app.settings(project=project, account_id_flag=self._account_flag, require_credentials=True)
        for warning in settings.warnings:
            if warning not in self._warned:
                self._warned.add(warning)
                app.ui.warn(warning)
        if self._client is None:
            # Backoff sleeps end at once when the session is stopped: nothing is in flight then.
            self._client = dataclasses.replace(app, sleep=self._interruptible(app.sleep)).make_client(settings)
        key = settings.account_id.value if settings.account_id else None
        if key not in self._accounts:
            self._accounts[key] = app.account_id(settings, self._client)
        return self._client, self._accounts[key]

    def _interruptible(self, sleep: Callable[[float], None]) -> Callable[[float], None]:
        stop = self._stop

        def wait(seconds: float) -> None:
            if sleep is time.sleep:
                stopped = stop.wait(seconds)
            else:  # an injected test clock
                sleep(seconds)
                stopped = stop.is_set()
            if stopped:
                raise KeyboardInterrupt
        return wait
