"""`cfworker dev` (run the Worker locally on workerd) and `cfworker workerd` (which binary, install).

Thin: the command finds esbuild and workerd through the AppContext and hands a Builder to
`cfworker.dev.session.run_dev`; everything heavier than click is imported inside the
command functions so `cfworker --help` stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import click

from cfworker.cli import cli, debug_option, pass_app, project_options
from cfworker.cli.context import AppContext

if TYPE_CHECKING:
    from cfworker.bundle.model import Bundle
    from cfworker.config.model import Project
    from cfworker.tools.spec import ToolBinary


@dataclass
class _Builder:
    """Loads and builds through the AppContext (config warnings and esbuild output reach the UI)."""

    app: AppContext
    esbuild: ToolBinary
    config_path: Path

    def load(self) -> Project:
        project = self.app.load_project()
        self.config_path = project.config_path
        return project

    def build(self, project: Project, outdir: Path) -> Bundle:
        return self.app.build_bundle(project, outdir=outdir, tool=self.esbuild, check_size=False)


@cli.command()
@click.option("--port", "-p", type=click.IntRange(0, 65535), default=None, metavar="N",
              help="Serve on 127.0.0.1:N; 0 picks a free port. [default: 8787, or a free port if it is taken]")
@project_options
@debug_option
@pass_app
def dev(app: AppContext, port: int | None) -> int:
    """Run the Worker locally on workerd; rebuild and restart it on every save.

    Bindings: [vars], secrets from .dev.vars (or .dev.vars.<env> with --env), and KV
    namespaces kept in .cfworker/state/kv. Fire cron triggers with
    GET /__scheduled?cron=<expression>. Stop with Ctrl-C.
    """
    from cfworker.dev.session import run_dev
    from cfworker.dev.workerd import find_workerd

    project = app.load_project()
    esbuild = app.find_esbuild(project)
    workerd = find_workerd(project_root=project.root, environ=app.environ, runner=app.make_runner(),
                           cwd=app.cwd, announce=app.ui.step)
    for note in workerd.binary.notes:
        app.ui.warn(note)
    builder = _Builder(app, esbuild, project.config_path)
    return run_dev(builder, ui=app.ui, workerd=workerd, environ=app.environ, port=port)


@cli.group("workerd", invoke_without_command=True)
@project_options
@debug_option
@pass_app
def workerd_group(app: AppContext) -> None:
    """Show which workerd `cfworker dev` uses (installing its pinned copy if needed)."""
    if click.get_current_context().invoked_subcommand is None:
        _show_workerd(app)


@workerd_group.command("install")
@click.option("--force", is_flag=True, help="Reinstall even if a verified copy is cached.")
@debug_option
@pass_app
def workerd_install(app: AppContext, force: bool) -> None:
    """Install cfworker's pinned workerd into the user cache (verified against its sha512)."""
    from cfworker.dev.workerd import (
        WORKERD,
        WORKERD_VERSION,
        check_host,
        install_workerd,
    )
    from cfworker.tools.cache import check_managed, user_cache_dir

    platform = check_host()
    path = WORKERD.managed_path(user_cache_dir(app.environ), platform)
    if force or not path.exists() or check_managed(path) is not None:
        app.ui.step(f"Installing workerd {WORKERD_VERSION} ({platform}) with npm (about 47 MB)...")
        install_workerd(path, platform, runner=app.make_runner(), environ=app.environ, force=True)
    app.ui.success(f"workerd {WORKERD_VERSION} ({platform}) is installed at {path}")


def _show_workerd(app: AppContext) -> None:
    from cfworker.dev.workerd import find_workerd

    project_root = None
    if app.config_path is not None or any((d / "worker.toml").is_file() for d in (app.cwd, *app.cwd.parents)):
        project_root = app.load_project().root
    found = find_workerd(project_root=project_root, environ=app.environ, runner=app.make_runner(),
                         cwd=app.cwd, announce=app.ui.step)
    app.ui.info(f"workerd (compatibility dates up to {found.supported_date})")
    app.ui.info(f"  {found.binary.path} (from {found.binary.source})")
