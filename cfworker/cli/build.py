"""`cfworker build` (bundle only, print sizes) and `cfworker esbuild` (which binary, install).

Both stay thin: they load the project, find esbuild (`cfworker.bundle.tool`) and call
`cfworker.bundle.build_project`; everything heavier than click is imported inside the
command functions so `cfworker --help` stays fast.
"""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cfworker.cli import cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext

if TYPE_CHECKING:
    from cfworker.bundle.model import Bundle
    from cfworker.bundle.tool import EsbuildBinary
    from cfworker.config.model import Project



def _maybe_project(app: AppContext) -> Project | None:
    """The project if there is a worker.toml here or above (or --config); else None."""
    cwd = app.cwd
    if app.config_path is None and not any((d / "worker.toml").is_file() for d in (cwd, *cwd.parents)):
        return None
    return app.load_project()


def _display(path: Path, cwd: Path) -> str:
    try:
        return str(path.relative_to(cwd)) or "."
    except ValueError:
        return str(path)


@cli.command()
@click.option("--outdir", type=click.Path(file_okay=False, path_type=Path), metavar="DIR",
              help="Where to write the bundle. [default: dist/ beside worker.toml]")
@click.option("--minify/--no-minify", default=None,
              help="Minify the bundle. [default: [build] minify in worker.toml]")
@click.option("--check", is_flag=True,
              help="Then boot the bundle in the pinned workerd (installing it when needed) and fail if it throws "
                   "at start-up.")
@project_options
@debug_option
@json_option
@pass_app
def build(app: AppContext, outdir: Path | None, minify: bool | None, check: bool = False) -> None:
    """Bundle the Worker with esbuild and print each module's size."""
    started = time.perf_counter()
    project = app.load_project()
    if minify is not None:
        project = replace(project, build=replace(project.build, minify=minify))
    tool = app.find_esbuild(project)
    bundle = app.build_bundle(project, outdir=outdir, tool=tool, check_size=False)
    checked = app.startup_check(project, bundle, "on") if check else None
    cli_ms = round((time.perf_counter() - started) * 1000, 1)
    gzip_total = bundle.gzip_size()
    if app.json_mode:
        app.ui.emit_json(_report(project, bundle, tool, gzip_total, cli_ms))
    else:
        _print_report(app, project, bundle, gzip_total)
        if checked is not None:
            app.ui.step(app.startup_line(checked))
    from cfworker.bundle.limits import check_size

    if (warning := check_size(gzip_total)) is not None:
        app.ui.warn(warning)


def _report(project: Project, bundle: Bundle, tool: EsbuildBinary, gzip_total: int, cli_ms: float) -> dict[str, Any]:
    """The --json document of `cfworker build`."""
    return {
        "name": project.name,
        "outdir": str(bundle.outdir),
        "main_module": bundle.main_module,
        "outputs": [
            {"name": m.name, "type": m.type, "content_type": m.content_type, "size": m.size,
             "gzip_size": m.gzip_size(), "path": str(bundle.outdir / m.name)}
            for m in bundle.parts
        ],
        "assets": None if bundle.assets is None else {
            "directory": str(bundle.assets.directory), "files": len(bundle.assets.files),
            "size": bundle.assets.total_size},
        "sourcemap": None if bundle.sourcemap is None else {
            "path": str(bundle.outdir / bundle.sourcemap.name), "uploaded": bundle.upload_sourcemap},
        "total_size": bundle.total_size,
        "total_gzip_size": gzip_total,
        "content_hash": bundle.content_hash(),
        "esbuild": {"path": str(tool.path), "source": tool.source},
        "timings_ms": {"command": bundle.command_ms, "esbuild": bundle.esbuild_ms,
                       "build": bundle.total_ms, "total": cli_ms},
        "warnings": list(bundle.warnings),
    }


def _print_report(app: AppContext, project: Project, bundle: Bundle, gzip_total: int) -> None:
    from cfworker.ui import human_size

    ui = app.ui
    took = f"{bundle.total_ms:.0f} ms (esbuild {bundle.esbuild_ms:.0f} ms"
    took += f", [build] command {bundle.command_ms:.0f} ms)" if bundle.command_ms is not None else ")"
    assets = bundle.assets
    if assets is not None:
        ui.info(f"  assets: {len(assets.files)} file(s), {human_size(assets.total_size)} from "
                f"{_display(assets.directory, app.cwd)}")
    if bundle.assets_only:
        ui.success(f"Read the assets of {project.name} (assets-only Worker: no code to bundle)")
        return
    ui.success(f"Built {project.name} in {took} into {_display(bundle.outdir, app.cwd)}")
    width = max(len(m.name) for m in bundle.parts)
    for m in bundle.parts:
        kind = "" if m is bundle.main else f"  ({'source map' if m.type == 'sourcemap' else m.type})"
        ui.info(f"  {m.name.ljust(width)}  {human_size(m.size):>10}  gzip {human_size(m.gzip_size()):>10}{kind}")
    ui.info(f"Total upload: {human_size(bundle.total_size)} / gzip: {human_size(gzip_total)}")
    if bundle.sourcemap is not None and not bundle.upload_sourcemap:
        ui.info(f"Source map {bundle.sourcemap.name} is for local use, not uploaded "
                "(upload_source_maps = true uploads it)")


@cli.group("esbuild", invoke_without_command=True)
@click.option("--version", "show_version", is_flag=True, help="Print the version of the esbuild in use.")
@project_options
@debug_option
@json_option
@pass_app
def esbuild_group(app: AppContext, show_version: bool) -> None:
    """Show which esbuild cfworker uses (installing its pinned copy if needed)."""
    # `cfworker esbuild` and `cfworker esbuild --version` both print the version and origin.
    if click.get_current_context().invoked_subcommand is None:
        _show_esbuild(app, with_version=True)


@esbuild_group.command("which")
@project_options
@debug_option
@json_option
@pass_app
def esbuild_which(app: AppContext) -> None:
    """Print the path of the esbuild in use and where it came from."""
    _show_esbuild(app, with_version=False)


@esbuild_group.command("install")
@click.option("--force", is_flag=True, help="Reinstall even if a verified copy is cached.")
@debug_option
@json_option
@pass_app
def esbuild_install(app: AppContext, force: bool) -> None:
    """Install cfworker's pinned esbuild into the user cache (verified against its sha512)."""
    from cfworker.bundle.install import install_esbuild
    from cfworker.bundle.tool import ESBUILD_VERSION, check_managed, current_platform, managed_path, user_cache_dir

    platform = current_platform()
    path = managed_path(user_cache_dir(app.environ), platform)
    if force or not path.exists() or check_managed(path) is not None:
        app.ui.step(f"Installing esbuild {ESBUILD_VERSION} ({platform}) with npm...")
        install_esbuild(path, platform, runner=app.make_runner(), environ=app.environ, force=True)
    if app.json_mode:
        app.ui.emit_json({"path": str(path), "version": ESBUILD_VERSION, "platform": platform})
    else:
        app.ui.success(f"esbuild {ESBUILD_VERSION} ({platform}) is installed at {path}")


def _show_esbuild(app: AppContext, *, with_version: bool) -> None:
    from cfworker.bundle.tool import esbuild_version

    tool = app.find_esbuild(_maybe_project(app))
    version = esbuild_version(tool.path, app.make_runner(), app.environ) if with_version else None
    if app.json_mode:
        app.ui.emit_json({"path": str(tool.path), "source": tool.source, "version": version})
    elif with_version:
        app.ui.info(f"esbuild {version}")
        app.ui.info(f"  {tool.path} (from {tool.source})")
    else:
        app.ui.info(str(tool.path))
        app.ui.info(f"  from {tool.source}")
