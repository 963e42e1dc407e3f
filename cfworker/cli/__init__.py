"""The `cfworker` command line: root group, shared options and the single error boundary.

Each command lives in its own module under `cfworker.cli` and stays thin: it reads its
flags, asks the `AppContext` for a project, settings and client, and hands off to the
library. `main()` is the only place that turns exceptions into messages and exit codes:
  CfWorkerError  -> "error: ..." + notes + hint, its exit code (1, 2, 3 or 130)
  click usage    -> click's message, exit 2
  Ctrl-C         -> "interrupted", exit 130
  anything else  -> one line and "rerun with --debug"; with --debug the traceback.
Command modules import only click at module level so `cfworker --help` stays fast.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import click

from cfworker import __version__
from cfworker.cli.context import AppContext
from cfworker.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_USAGE, CfWorkerError

F = TypeVar("F", bound=Callable[..., Any])

CONTEXT_SETTINGS = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


def _app(ctx: click.Context) -> AppContext:
    obj = ctx.find_object(AppContext)
    if obj is None:  # invoked without main(), e.g. `cli.main()` from a test
        obj = ctx.ensure_object(AppContext)
    return obj


def _set_debug(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).enable_debug()


def _set_json(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    if value:
        _app(ctx).enable_json()


def _set_config(ctx: click.Context, _param: click.Parameter, value: Path | None) -> None:
    if value is not None:
        _app(ctx).config_path = value


def _set_env(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        _app(ctx).env_name = value


def debug_option(f: F) -> F:
    """--debug: redacted HTTP trace and tracebacks for unexpected errors."""
    return click.option(
        "--debug", is_flag=True, expose_value=False, is_eager=True, callback=_set_debug,
        help="Show a redacted trace of API calls and tool lookups; tracebacks for bugs.",
    )(f)


def json_option(f: F) -> F:
    """--json: one JSON document on stdout for scripts and CI."""
    return click.option(
        "--json", "json_output", is_flag=True, expose_value=False, is_eager=True, callback=_set_json,
        help="Print one JSON document on stdout (progress goes to stderr).",
    )(f)


def _set_account(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        _app(ctx).account_id_flag = value


def _set_env_files(ctx: click.Context, _param: click.Parameter, value: tuple[Path, ...]) -> None:
    if value:
        _app(ctx).env_files = tuple(value)


def account_option(f: F) -> F:
    """--account-id (the account to act on, the same rule in every command that calls the API) and
    --env-file (where CLOUDFLARE_* variables may come from, as in wrangler)."""
    f = click.option(
        "--env-file", metavar="PATH", multiple=True, expose_value=False, callback=_set_env_files,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Read environment variables (CLOUDFLARE_API_TOKEN, ...) from this .env file; repeatable, later "
             "files win, the real environment wins over all. [default: .env, .env.local, .env.<env>, "
             ".env.<env>.local if present]",
    )(f)
    return click.option(
        "--account-id", metavar="ID", expose_value=False, callback=_set_account,
        help="Account to act on. [default: CLOUDFLARE_ACCOUNT_ID, else account_id in worker.toml, "
             "else the only account the credentials see]",
    )(f)


def _complete_env(ctx: click.Context, param: click.Parameter, incomplete: str) -> list[Any]:
    from cfworker.cli.completion import complete_env

    return complete_env(ctx, param, incomplete)


def project_options(f: F) -> F:
    """--config and --env: which worker.toml and which [env.NAME] section."""
    f = click.option(
        "--env", "-e", metavar="NAME", envvar="CLOUDFLARE_ENV", expose_value=False, callback=_set_env,
        shell_complete=_complete_env,
        help="Use the [env.NAME] section of worker.toml. [env var: CLOUDFLARE_ENV]",
    )(f)
    f = click.option(
        "--config", "-c", metavar="PATH", expose_value=False, callback=_set_config,
        type=click.Path(dir_okay=False, path_type=Path),
        help="Path to worker.toml. [default: search the current directory and its parents]",
    )(f)
    return f


pass_app = click.make_pass_decorator(AppContext, ensure=True)


# Command name -> module of cfworker.cli that defines it. A command's module is imported only
# when that command runs (or for --help), so start-up stays small as commands are added.
COMMAND_MODULES = {
    "build": "build", "esbuild": "build", "deploy": "deploy", "dev": "dev", "workerd": "dev",
    "dns": "dns", "init": "init", "kv": "kv", "purge": "purge", "secret": "secret",
    "watch": "watch", "whoami": "whoami", "zones": "zones", "completion": "completion",
}


class LazyGroup(click.Group):
    """A click group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMAND_MODULES))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in COMMAND_MODULES:
            import importlib

            importlib.import_module(f"cfworker.cli.{COMMAND_MODULES[cmd_name]}")
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings=CONTEXT_SETTINGS)
@click.version_option(__version__, "--version", "-V", prog_name="cfworker", message="%(prog)s %(version)s")
@debug_option
def cli() -> None:
    """Scaffold, build and deploy Cloudflare Workers.

    Credentials come from the environment: CLOUDFLARE_API_TOKEN (or CLOUDFLARE_API_KEY
    with CLOUDFLARE_EMAIL), CLOUDFLARE_ACCOUNT_ID, and CLOUDFLARE_API_BASE_URL to point
    at another API root. Exit codes: 0 ok, 1 failed with nothing written remotely,
    2 usage or config error, 3 partially applied (rerun to finish), 130 interrupted.
    """


def main(argv: Sequence[str] | None = None, *, app: AppContext | None = None) -> None:
    """Run the CLI and exit with the code the outcome maps to (the error boundary)."""
    try:
        app = app or AppContext()
    except CfWorkerError as exc:  # e.g. the working directory was deleted
        from cfworker.ui import UI

        UI().report(exc)
        sys.exit(exc.exit_code)
    _stop_on_sigterm()
    code = run(argv, app=app)
    sys.exit(code)


def _stop_on_sigterm() -> None:
    """Treat SIGTERM (a cancelled CI job, `kill`) like Ctrl-C: stop safely and exit 130."""
    import signal

    from cfworker.concurrency import request_interrupt

    def interrupt(_signum: int, _frame: object) -> None:
        request_interrupt()  # survives even if the KeyboardInterrupt is swallowed by a finalizer
        raise KeyboardInterrupt

    try:
        signal.signal(signal.SIGTERM, interrupt)
    except (ValueError, OSError):  # not the main thread, or a platform without SIGTERM
        pass


def run(argv: Sequence[str] | None = None, *, app: AppContext) -> int:
    """Run the CLI and return its exit code instead of exiting (tests call this).

    With --json, stdout carries exactly one JSON document on every path: the command's own,
    or, when it stopped before writing one (a config error, missing credentials, a usage
    error, an interruption, a bug), `{"ok": false, "exit_code", "error": {...}}`.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    code, error = _run(args, app)
    if (app.ui.json_mode or "--json" in args) and not app.ui.json_emitted and code != 0 and error is not None:
        app.ui.emit_json(error_document(code, *error))
    return code


ErrorInfo = tuple[str, str, str | None, BaseException | None]  # (kind, message, hint, exception)


def _run(args: list[str], app: AppContext) -> tuple[int, ErrorInfo | None]:
    from cfworker.concurrency import clear_interrupt

    clear_interrupt()
    try:
        rv = cli.main(args=args, prog_name="cfworker", obj=app, standalone_mode=False)
        return (rv if isinstance(rv, int) else 0), None
    except click.exceptions.Exit as exc:  # --help / --version
        return exc.exit_code, None
    except click.exceptions.Abort:
        app.ui.error("interrupted")
        return EXIT_INTERRUPTED, ("interrupted", "interrupted", None, None)
    except click.ClickException as exc:
        exc.show(file=app.ui._err)
        return (EXIT_USAGE if exc.exit_code in (1, 2) else exc.exit_code), ("usage", exc.format_message(), None, exc)
    except CfWorkerError as exc:
        app.ui.report(exc)
        return exc.exit_code, (error_kind(exc), exc.message, exc.hint, exc)
    except KeyboardInterrupt:
        hint = "rerun the same command to finish"
        app.ui.error("interrupted; nothing more will be sent", hint=hint)
        return EXIT_INTERRUPTED, ("interrupted", "interrupted; nothing more will be sent", hint, None)
    except BrokenPipeError:
        return EXIT_FAILED, None
    except OSError as exc:  # a local problem (a folder that is a file, no space, no permission): not a bug
        where = f": {exc.filename}" if exc.filename else ""
        extra = f" -> {exc.filename2}" if getattr(exc, "filename2", None) else ""
        message, hint = f"{exc.strerror or exc}{where}{extra}", "check that path (it must exist and be writable), then rerun"
        app.ui.error(message, hint=hint)
        if app.debug:
            _traceback(app)
        return EXIT_FAILED, ("local", message, hint, exc)
    except Exception as exc:  # a bug: show it plainly, the (redacted) traceback only on request
        message = f"unexpected {type(exc).__name__}: {exc}"
        hint = "this is a bug in cfworker; rerun with --debug for a traceback and report it"
        app.ui.error(message, hint=hint)
        if app.debug:
            _traceback(app)
        return EXIT_FAILED, ("internal", message, hint, exc)


def error_kind(exc: CfWorkerError) -> str:
    """A stable name for what went wrong, for scripts reading --json (`error.code`)."""
    from cfworker import errors

    for cls, kind in ((errors.ConfigError, "config"), (errors.CredentialsError, "credentials"),
                      (errors.UserError, "usage"), (errors.BundleError, "build"), (errors.ToolError, "tool"),
                      (errors.PartialFailure, "partial"), (errors.Interrupted, "interrupted")):
        if isinstance(exc, cls):
            return kind
    from cfworker.api.errors import CloudflareAPIError

    return "api" if isinstance(exc, CloudflareAPIError) else "remote" if isinstance(exc, errors.RemoteError) else "failed"


def error_document(code: int, kind: str, message: str, hint: str | None, exc: BaseException | None) -> dict[str, Any]:
    """The --json document of a command that stopped with an error before writing its own."""
    from cfworker.redact import redact

    error: dict[str, Any] = {"code": kind, "message": redact(message), "hint": redact(hint) if hint else None,
                             "notes": [redact(n) for n in getattr(exc, "notes", ())], "file": None, "key": None,
                             "line": None, "problems": []}
    problems = list(getattr(exc, "problems", ()) or ())
    if problems:
        error.update(file=problems[0]["file"], key=problems[0]["key"], line=problems[0]["line"],
                     problems=[{k: (redact(v) if isinstance(v, str) else v) for k, v in p.items()} for p in problems])
    elif getattr(exc, "file", None):
        error["file"] = exc.file  # type: ignore[union-attr]
    status = getattr(exc, "status", None)
    if kind == "api":
        error.update(status=status, cloudflare_codes=list(getattr(exc, "codes", ())),
                     ray_id=getattr(exc, "ray_id", None))
    return {"ok": False, "exit_code": code, "error": error}


def _traceback(app: AppContext) -> None:
    """The current exception's traceback on stderr, through the redactor like every other line."""
    import traceback

    for line in traceback.format_exc().rstrip().splitlines():
        app.ui.passthrough(line)
