"""`cfworker init`: a new project from a template, or worker.toml from an existing wrangler config.

Prompts only on a terminal (AppContext.is_interactive) and never with --json; in CI every
input comes from flags, and a missing one is a usage error (exit 2) that names the flag.
The template files and name rules live in `cfworker.scaffold`, the conversion in the pure
`cfworker.config.wrangler`; this module only asks, reads, writes and reports.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cfworker.cli import cli, debug_option, json_option, pass_app
from cfworker.cli.context import AppContext

if TYPE_CHECKING:
    from cfworker.config.wrangler import Conversion
    from cfworker.scaffold import Template

# wrangler's own lookup order when a folder has more than one config.
WRANGLER_FILES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
NEXT_STEPS = ("cfworker dev              # run it locally on workerd, reloaded on save", "cfworker build",
              "cfworker deploy --dry-run", "cfworker deploy --watch")


def _complete_template(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from cfworker.cli.completion import complete_template

    return complete_template(ctx, param, incomplete)


def new_project_date(today: datetime.date) -> str:
    """A new project's compatibility date: today, but never newer than the bundled workerd supports
    (`cfworker dev` would otherwise run it at an older date than it deploys with)."""
    from cfworker.dev.config import runtime_date
    from cfworker.dev.workerd import WORKERD_VERSION

    return min(today.isoformat(), runtime_date(WORKERD_VERSION))


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@click.option("--template", "-t", metavar="NAME", help="Template to start from (see --list). [default: ask]",
              shell_complete=_complete_template)
@click.option("--name", "-n", metavar="NAME", help="Worker name. [default: the directory's name, when valid]")
@click.option("--force", is_flag=True, help="Write into a non-empty directory, or overwrite an existing worker.toml.")
@click.option("--list", "list_only", is_flag=True, help="List the templates, one line each, and exit.")
@click.option("--from-wrangler", "from_wrangler", metavar="[PATH]", is_flag=False, flag_value="", default=None,
              help="Convert wrangler.toml / wrangler.json / wrangler.jsonc (PATH, or the one in DIRECTORY or "
                   "here) into worker.toml beside it, listing every key that does not carry over.")
@click.option("--accept-loss", is_flag=True,
              help="With --from-wrangler: write worker.toml even when keys cannot be carried over (they are "
                   "listed, and in the file's header). Without it such a conversion writes nothing and exits 2.")
@debug_option
@json_option
@pass_app
def init(app: AppContext, directory: Path | None, template: str | None, name: str | None, force: bool,
         list_only: bool, from_wrangler: str | None, accept_loss: bool) -> None:
    """Create a Worker project from a template, or convert a wrangler config."""
    from cfworker.scaffold import list_templates

    if list_only:
        _show_templates(app, list_templates())
        return
    if from_wrangler is not None:
        if template is not None:
            raise click.UsageError("--from-wrangler converts an existing config; it cannot be combined with --template")
        _convert(app, from_wrangler or directory, name=name, force=force, accept_loss=accept_loss)
        return
    if accept_loss:
        raise click.UsageError("--accept-loss only applies to --from-wrangler")
    _create(app, directory, template=template, name=name, force=force)


def _show_templates(app: AppContext, templates: list[Template]) -> None:
    if app.json_mode:
        app.ui.emit_json([{"name": t.name, "description": t.description} for t in templates])
        return
    width = max((len(t.name) for t in templates), default=0)
    for t in templates:
        app.ui.info(f"{t.name.ljust(width)}  {t.description}")


# -- a new project from a template ----------------------------------------------------------

def _create(app: AppContext, directory: Path | None, *, template: str | None, name: str | None,
            force: bool) -> None:
    from cfworker.errors import UserError
    from cfworker.scaffold import (
        check_target,
        get_template,
        list_templates,
        name_problem,
        occupied,
        render,
        write_project,
    )

    if name is not None and (problem := name_problem(name)) is not None:
        raise UserError(f"--name: {problem}", hint=_name_hint(name))
    if directory is None and _may_ask(app):
        default = "." if not occupied(app.cwd) else "my-worker"
        directory = Path(click.prompt("Directory for the new project", default=default))
    target = app.path(directory or ".")
    # Before any question, so nobody answers them in vain.
    check_target(target, force=force, shown=_display(target, app.cwd))
    templates = list_templates()
    if template is None:
        if not _may_ask(app):
            raise UserError("no template chosen",
                            hint=f"pass --template NAME, one of: {', '.join(t.name for t in templates)} "
                                 "(`cfworker init --list` describes them)")
        _show_templates(app, templates)
        template = click.prompt("Template", default=templates[0].name,
                                type=click.Choice([t.name for t in templates]), show_choices=False)
    chosen = get_template(template)
    if name is None:
        name = _ask_name(app, target)
    files = render(chosen, name=name, compatibility_date=new_project_date(datetime.date.today()))
    written = write_project(target, files, force=force)
    _report_created(app, target, name, chosen, written)


def _may_ask(app: AppContext) -> bool:
    """Prompts need a terminal, and would corrupt the single JSON document of --json."""
    return app.is_interactive and not app.json_mode


def _ask_name(app: AppContext, target: Path) -> str:
    """The Worker name: asked on a terminal (default: the directory's name), else that name if valid."""
    from cfworker.errors import UserError
    from cfworker.scaffold import name_problem, suggest_name

    folder = target.resolve().name
    default = folder if name_problem(folder) is None else suggest_name(folder)
    if not _may_ask(app):
        if default == folder:
            return folder
        raise UserError(f'the directory name "{folder}" is not a valid Worker name, so --name is needed',
                        hint=_name_hint(folder))

    def check(value: str) -> str:
        problem = name_problem(value)
        if problem is not None:
            raise click.BadParameter(problem)
        return value

    return str(click.prompt("Worker name", default=default, value_proc=check))


def _name_hint(text: str) -> str:
    from cfworker.scaffold import NAME_RULE, suggest_name

    suggestion = suggest_name(text)
    return f"pass --name {suggestion}" if suggestion else f"pass --name NAME; {NAME_RULE}"


def _report_created(app: AppContext, target: Path, name: str, template: Template, written: list[Path]) -> None:
    shown = _display(target, app.cwd)
    if app.json_mode:
        app.ui.emit_json({"directory": str(target), "name": name, "template": template.name,
                          "files": [p.relative_to(target).as_posix() for p in written]})
        return
    app.ui.success(f"Created {name} in {shown} from the {template.name} template")
    for path in written:
        app.ui.info(f"  {path.relative_to(target).as_posix()}")
    app.ui.info("Next:")
    if shown != ".":
        app.ui.info(f"  cd {shown}")
    for step in NEXT_STEPS:
        app.ui.info(f"  {step}")


def _display(path: Path, cwd: Path) -> str:
    try:
        return path.resolve().relative_to(cwd.resolve()).as_posix() or "."
    except ValueError:
        return str(path)


# -- worker.toml from a wrangler config -----------------------------------------------------

def _convert(app: AppContext, location: str | Path | None, *, name: str | None, force: bool,
             accept_loss: bool = False) -> None:
    from cfworker.config.loader import CONFIG_NAME, read_config_text
    from cfworker.config.wrangler import convert_wrangler, parse_wrangler
    from cfworker.errors import ConfigError, UserError
    from cfworker.scaffold import name_problem, suggest_name

    source = _find_wrangler(app, app.path(location or "."))
    target = source.parent / CONFIG_NAME
    if target.exists() and not force:
        raise UserError(f"{_display(target, app.cwd)} already exists",
                        hint="pass --force to replace it with the converted config")
    if name is not None and (problem := name_problem(name)) is not None:
        raise UserError(f"--name: {problem}", hint=_name_hint(name))
    shown = _display(source, app.cwd)
    raw = parse_wrangler(read_config_text(source, shown), shown)
    folder = source.parent.resolve().name
    conversion = convert_wrangler(raw, source=shown, today=datetime.date.today(), name=name,
                                  default_name=folder if name_problem(folder) is None else suggest_name(folder))
    _report_conversion(app, conversion)
    if conversion.blockers:
        if app.json_mode:
            app.ui.emit_json(_conversion_json(conversion, target, written=False))
        raise conversion.blocking_error()
    lost = [d for d in conversion.dropped if d.kind == "lost"]
    if lost and not accept_loss:
        if app.json_mode:
            app.ui.emit_json(_conversion_json(conversion, target, written=False))
        raise ConfigError(f"{_count(len(lost), 'key')} of {conversion.source} cannot be carried over (listed "
                          f"above): nothing written", hint="the deployed Worker would lack them; change them in "
                          f"{conversion.source} as each hint says, or pass --accept-loss to write worker.toml "
                          "without them")
    from cfworker.config.writeback import atomic_write_text

    atomic_write_text(target, conversion.text)
    _after_write(app, conversion, target)


def _find_wrangler(app: AppContext, location: Path) -> Path:
    """The wrangler config at `location`: the file itself, or the one in that folder."""
    from cfworker.errors import UserError

    if location.is_file():
        return location
    if location.is_dir():
        found = [location / n for n in WRANGLER_FILES if (location / n).is_file()]
        if found:
            if len(found) > 1:
                app.ui.warn(f"{_display(location, app.cwd)} has {', '.join(p.name for p in found)}; converting "
                            f"{found[0].name}, the one wrangler reads first")
            return found[0]
        raise UserError(f"no {', '.join(WRANGLER_FILES)} in {_display(location, app.cwd)}",
                        hint="pass the config file: cfworker init --from-wrangler path/to/wrangler.toml")
    raise UserError(f"{_display(location, app.cwd)} does not exist",
                    hint="pass a wrangler config file or the folder that holds it")


def _report_conversion(app: AppContext, conversion: Conversion) -> None:
    if app.json_mode:
        return
    ui = app.ui
    for change in conversion.changes:
        ui.info(f"  ~ {change}")
    lost = [d for d in conversion.dropped if d.kind == "lost"]
    if lost:
        ui.info(f"Not carried over from {conversion.source} (the deployed Worker will not have these):")
        for dropped in lost:
            ui.info(f"  - {dropped.render()}")
    ignored = [d for d in conversion.dropped if d.kind == "ignored"]
    if ignored:
        ui.info("Left out (local development only, or empty):")
        for dropped in ignored:
            ui.info(f"  · {dropped.render()}")


def _after_write(app: AppContext, conversion: Conversion, target: Path) -> None:
    """Say what was written, and check that it loads as cfworker will read it."""
    from cfworker.config.loader import load_project

    main = conversion.config.get("main")
    main_path = target.parent / str(main) if main is not None else None  # None: an assets-only Worker
    warnings: list[str] = []
    if main_path is None or main_path.is_file():
        _, warnings = load_project(target, env=None, cwd=app.cwd)
    if app.json_mode:
        app.ui.emit_json(_conversion_json(conversion, target, written=True))
    else:
        app.ui.success(f"Wrote {_display(target, app.cwd)} (from {conversion.source}); "
                       f"{conversion.source} is left as it was")
    for warning in warnings:
        app.ui.warn(warning)
    lost = sum(d.kind == "lost" for d in conversion.dropped)
    if lost:
        app.ui.warn(f"{_count(lost, 'key')} of {conversion.source} not carried over (listed above, --accept-loss); "
                    "the deployed Worker will not have them")
    if main_path is not None and not main_path.is_file():
        app.ui.warn(f"main = \"{main}\" does not exist yet; create it (or run your build) before `cfworker build`")
    if not app.json_mode:
        app.ui.info("Next:")
        for step in NEXT_STEPS[2:3]:
            app.ui.info(f"  {step}")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _conversion_json(conversion: Conversion, target: Path, *, written: bool) -> dict[str, Any]:
    return {
        "source": conversion.source, "config": str(target), "written": written,
        "changes": list(conversion.changes),
        "dropped": [{"path": d.path, "reason": d.reason, "hint": d.hint, "kind": d.kind} for d in conversion.dropped],
        "blockers": [{"path": p.path, "message": p.message, "hint": p.hint} for p in conversion.blockers],
    }
