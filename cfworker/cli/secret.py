"""`cfworker secret put|list|delete|bulk`: a Worker's secrets, values never on the command line.

`put` reads the value from stdin (a hidden prompt on a terminal), so it stays out of shell
history and process listings. Every value is registered with the redactor before any
request, so it cannot appear in output, errors or --debug traces.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext
from cfworker.errors import UserError
from cfworker.redact import REDACTOR

PLACEHOLDER = b'export default { fetch() { return new Response("This Worker has not been deployed yet.", { status: 503 }); } };\n'


def _name_option(f: Any) -> Any:
    return click.option("--name", "script_name", metavar="WORKER",
                        help="Worker name. [default: name in worker.toml, with --env applied]")(f)


@cli.group()
def secret() -> None:
    """Manage a Worker's secrets; values are read from stdin, never from arguments."""


def _target(app: AppContext, script_name: str | None) -> tuple[Any, str, str, Any]:
    """(client, account id, worker name, project or None) for a secret command."""
    project = None
    if script_name is None:
        project = app.load_project()
        script_name = project.name
    settings = app.settings(project=project)
    for warning in settings.warnings:
        app.ui.warn(warning)
    client = app.make_client(settings)
    return client, app.account_id(settings, client), script_name, project


def _stdin_is_terminal(app: AppContext) -> bool:
    if app.interactive is not None:  # tests decide
        return app.interactive
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def read_value(stream: Any, *, interactive: bool, name: str) -> str:
    """A secret value from a hidden prompt or from stdin (one trailing newline removed)."""
    if interactive:
        value = click.prompt(f"Value for secret {name}", hide_input=True, default="", show_default=False, err=True)
    else:
        value = stream.read()
        if value.endswith("\r\n"):
            value = value[:-2]
        elif value.endswith("\n"):
            value = value[:-1]
    if value == "":
        raise UserError(f"the value for secret {name} is empty",
                        hint=f"pipe it in: printf %s \"$VALUE\" | cfworker secret put {name}")
    REDACTOR.add(value)
    return str(value)


def _ensure_worker(app: AppContext, client: Any, account_id: str, script_name: str, project: Any) -> bool:
    """Create a placeholder Worker when none exists (secrets need a script); True if created."""
    from cfworker.api import workers as api

    if api.get_settings(client, account_id, script_name) is not None:
        return False
    date = project.compatibility_date if project is not None else "2025-06-01"
    meta = json.dumps({"main_module": "index.js", "bindings": [], "compatibility_date": date}).encode()
    api.upload_script(client, account_id, script_name, [
        ("metadata", (None, meta, "application/json")),
        ("index.js", ("index.js", PLACEHOLDER, "application/javascript+module")),
    ])
    app.ui.info(f"Worker {script_name!r} did not exist: created a placeholder that answers 503 "
                "until the first `cfworker deploy`.")
    return True


def _valid_name(name: str, where: str = "") -> str:
    if not name or not all(c.isalnum() or c == "_" for c in name) or name[0].isdigit():
        raise UserError(f"{where}secret name {name!r} is not valid",
                        hint="use letters, digits and underscores, not starting with a digit (e.g. API_KEY)")
    return name


@secret.command("put")
@click.argument("name")
@click.argument("value_given", nargs=-1, metavar="")
@_name_option
@project_options
@account_option
@debug_option
@json_option
@pass_app
def secret_put(app: AppContext, name: str, value_given: tuple[str, ...], script_name: str | None) -> None:
    """Create or replace secret NAME; the value is read from stdin (a hidden prompt on a terminal)."""
    from cfworker.api import workers as api

    if value_given:
        for value in value_given:  # it is on the command line already; at least keep it out of our output
            REDACTOR.add(value)
        raise UserError(f"secret put takes only the secret's name, not its value ({len(value_given)} extra "
                        "argument(s) refused; the value is not shown)",
                        hint=f"a value on the command line lands in shell history and process lists: pipe it in, "
                             f"printf %s \"$VALUE\" | cfworker secret put {name}, or type it at the hidden prompt")
    _valid_name(name)
    # A hidden prompt whenever stdin is a terminal, whatever stdout is (`secret put X | tee log`
    # must not echo what is typed); piped stdin is read as is.
    value = read_value(sys.stdin, interactive=_stdin_is_terminal(app), name=name)
    client, account_id, script, project = _target(app, script_name)
    with client:
        created = _ensure_worker(app, client, account_id, script, project)
        api.put_secret(client, account_id, script, name, value)
    if app.json_mode:
        app.ui.emit_json({"worker": script, "secret": name, "created_worker": created})
    else:
        app.ui.success(f"Secret {name} set on worker {script!r}.")


@secret.command("list")
@_name_option
@project_options
@account_option
@debug_option
@json_option
@pass_app
def secret_list(app: AppContext, script_name: str | None) -> None:
    """List the names of a Worker's secrets (values cannot be read back)."""
    from cfworker.api import workers as api

    client, account_id, script, _ = _target(app, script_name)
    with client:
        names = api.list_secrets(client, account_id, script)
    if names is None:
        raise UserError(f"worker {script!r} does not exist in this account", hint="deploy it first")
    if app.json_mode:
        app.ui.emit_json({"worker": script, "secrets": names})
        return
    if not names:
        app.ui.info(f"Worker {script!r} has no secrets.")
    for secret_name in names:
        app.ui.info(secret_name)


@secret.command("delete")
@click.argument("name")
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@_name_option
@project_options
@account_option
@debug_option
@json_option
@pass_app
def secret_delete(app: AppContext, name: str, yes: bool, script_name: str | None) -> None:
    """Delete secret NAME from the Worker."""
    from cfworker.api import workers as api

    client, account_id, script, _ = _target(app, script_name)
    app.confirm_destructive(f"Delete secret {name} from worker {script!r}?", yes=yes)
    with client:
        existing = api.list_secrets(client, account_id, script)
        if existing is None or name not in existing:
            raise UserError(f"worker {script!r} has no secret {name}",
                            hint="`cfworker secret list` shows its secrets")
        api.delete_secret(client, account_id, script, name)
    if app.json_mode:
        app.ui.emit_json({"worker": script, "deleted": name})
    else:
        app.ui.success(f"Secret {name} deleted from worker {script!r}.")


def parse_secrets_file(file: Path, display: str | None = None) -> dict[str, str]:
    """Secrets from a JSON object file ({"NAME": "value"}) or a .env file (NAME=value lines)."""
    path = display or str(file)
    try:
        text = file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if file.suffix.lower() == ".json" or text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
                            hint='the file must be one JSON object: {"NAME": "value", ...}') from None
        if not isinstance(data, dict):
            raise UserError(f"{path}: expected a JSON object of NAME: value pairs, got {type(data).__name__}")
        pairs = data
    else:
        pairs = {}
        for lineno, line in enumerate(text.splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            if "=" not in stripped:
                raise UserError(f"{path}:{lineno}: expected NAME=value", hint="one secret per line, # for comments")
            key, _, val = stripped.partition("=")
            val = val.strip()
            if len(val) >= 2 and val[0] == val[-1] and val[0] in "\"'":
                val = val[1:-1]
            pairs[key.strip().removeprefix("export ").strip()] = val
    out: dict[str, str] = {}
    for key, val in pairs.items():
        if not isinstance(val, str):
            raise UserError(f"{path}: secret {key} must be a string, got {type(val).__name__}")
        REDACTOR.add(val)
        out[_valid_name(key, f"{path}: ")] = val
    if not out:
        raise UserError(f"{path} holds no secrets")
    return out


@secret.command("bulk", epilog="""\b
EXAMPLES
  cfworker secret bulk secrets.json          {"API_KEY": "...", "DB_URL": "..."}
  cfworker secret bulk .env.production       KEY=value lines
  cfworker secret bulk secrets.json --env staging
""")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_name_option
@project_options
@account_option
@debug_option
@json_option
@pass_app
def secret_bulk(app: AppContext, file: Path, script_name: str | None) -> None:
    """Set every secret in FILE (a JSON object, or NAME=value lines)."""
    from cfworker.api import workers as api
    from cfworker.errors import PartialFailure, RemoteError

    secrets = parse_secrets_file(app.path(file), display=str(file))
    client, account_id, script, project = _target(app, script_name)
    done: list[str] = []
    names = list(secrets)
    size = api.BULK_SECRETS_PER_REQUEST
    with client:
        _ensure_worker(app, client, account_id, script, project)
        # One request (one new version) per 100 secrets, not one version per secret.
        for start in range(0, len(names), size):
            chunk = names[start:start + size]
            try:
                api.patch_secrets(client, account_id, script, {n: secrets[n] for n in chunk})
            except RemoteError as exc:
                if not done:
                    raise
                raise PartialFailure(
                    f"set {len(done)} of {len(secrets)} secrets, then the request for {chunk[0]}... failed: "
                    f"{exc.message}",
                    hint=f"rerun `cfworker secret bulk {file}`; setting a secret again is harmless",
                ) from None
            done += chunk
    if app.json_mode:
        app.ui.emit_json({"worker": script, "secrets": done})
    else:
        app.ui.success(f"Set {len(done)} secret(s) on worker {script!r}: {', '.join(done)}")
