"""Find worker.toml, read and parse it, validate it into a Project (the file I/O lives here).

`find_config` walks up from cwd to the nearest worker.toml (or says how to convert a
wrangler config found first). `load_project` refuses directories, binary and non-UTF-8
files, parses, validates, checks that `main` exists and raises one ConfigError with every
problem; warnings come back as rendered lines for the caller to print.
"""

from __future__ import annotations

import datetime
import os
from pathlib import Path

from cfworker.config.model import Project
from cfworker.config.parse import parse_toml
from cfworker.config.validate import validate
from cfworker.errors import ConfigError

CONFIG_NAME = "worker.toml"
WRANGLER_NAMES = ("wrangler.toml", "wrangler.jsonc", "wrangler.json")


def find_config(cwd: Path) -> Path:
    """The nearest worker.toml in cwd or a parent; ConfigError naming where the search started."""
    start = Path(os.path.abspath(cwd))
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.exists():
            return candidate
        wrangler = next((folder / n for n in WRANGLER_NAMES if (folder / n).is_file()), None)
        if wrangler is not None:
            raise ConfigError(
                f"no {CONFIG_NAME} in {start} or its parents, but found {wrangler}",
                hint=f"run `cfworker init --from-wrangler` in {folder} to convert it, or pass --config PATH",
            )
    raise ConfigError(
        f"no {CONFIG_NAME} in {start} or any parent directory",
        hint="run `cfworker init` to create one, or pass --config PATH",
    )


def load_project(config_path: Path | None, *, env: str | None, cwd: Path,
                 today: datetime.date | None = None) -> tuple[Project, list[str]]:
    """Read and validate worker.toml (found from cwd when config_path is None) for `env`.

    Returns the Project and the warnings as rendered lines; raises ConfigError with every
    problem when the file cannot be read, parsed or validated. A relative config_path is
    taken relative to cwd.
    """
    cwd = Path(os.path.abspath(cwd))
    path = find_config(cwd) if config_path is None else Path(os.path.normpath(cwd / config_path))
    shown = display_path(path, cwd)
    text = read_config_text(path, shown)
    raw = parse_toml(text, shown)
    project, diagnostics = validate(raw, config_path=path, source_text=text, env=env,
                                    today=today or datetime.date.today(),
                                    display_path=shown, is_file=Path.is_file)
    if project is None:
        raise diagnostics.to_error()
    from dataclasses import replace

    from cfworker.config.writeback import text_digest

    return replace(project, config_digest=text_digest(text)), diagnostics.render_warnings()


def config_account_id(config_path: Path | None, *, env: str | None, cwd: Path) -> tuple[str | None, Path | None]:
    """(account_id, file) from worker.toml for commands that need no project (kv, zones, dns, ...).

    The same file `load_project` would read (the --config path, else the nearest one); the
    account of [env.NAME] when it sets one, else the top level's. No file: (None, None).
    A file that cannot be read or parsed, or an invalid account_id, is a ConfigError: the
    account must never silently fall through to another source.
    """
    from cfworker.config.diagnostics import Diagnostics
    from cfworker.config.locate import LineIndex
    from cfworker.config.sections import check_account_id

    cwd = Path(os.path.abspath(cwd))
    if config_path is None:
        try:
            path = find_config(cwd)
        except ConfigError:
            return None, None
    else:
        path = Path(os.path.normpath(cwd / config_path))
    shown = display_path(path, cwd)
    text = read_config_text(path, shown)
    raw = parse_toml(text, shown)
    layer, prefix = raw, ""
    envs = raw.get("env")
    if env is not None and isinstance(envs, dict) and isinstance(envs.get(env), dict) and "account_id" in envs[env]:
        layer, prefix = envs[env], f"env.{env}."
    if "account_id" not in layer:
        return None, path
    d = Diagnostics(shown, line_of=LineIndex(text).line_of)
    value = check_account_id(d, prefix + "account_id", layer["account_id"])
    if d.has_errors():
        raise d.to_error()
    return value, path


def display_path(path: Path, cwd: Path) -> str:
    """How messages name the file: relative to cwd when it is inside cwd, else absolute."""
    try:
        return str(path.relative_to(cwd))
    except ValueError:
        return str(path)


def read_config_text(path: Path, shown: str) -> str:
    """The file's text; ConfigError for missing files, directories, binary data and bad UTF-8."""
    if path.is_dir():
        raise ConfigError(f"{shown} is a directory, not a config file",
                          hint=f"pass the file itself: --config {Path(shown) / CONFIG_NAME}")
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"{shown} does not exist",
                          hint="check the --config path, or run `cfworker init` to create one") from None
    except OSError as exc:
        raise ConfigError(f"cannot read {shown}: {exc.strerror or exc}",
                          hint="check the file's permissions") from None
    if b"\x00" in data:
        line = data.count(b"\n", 0, data.index(b"\x00")) + 1
        raise ConfigError(f"{shown}:{line}: contains binary data (a NUL byte), not TOML text",
                          hint="point --config at your worker.toml; this looks like a binary file")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{shown}:{line}: is not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          hint="save the file as UTF-8 text") from None
    return text.removeprefix("\ufeff")  # editors on Windows may add a byte-order mark
