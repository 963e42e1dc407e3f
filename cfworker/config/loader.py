"""Find worker.toml, read and parse it, validate it into a Project (the file I/O lives here).

`find_config` walks up from cwd to the nearest worker.toml (or says how to convert a
wrangler config found first). `load_project` refuses directories, binary and non-UTF-8
files, parses, validates, checks that `main` exists and raises one ConfigError with every
problem; warnings come back as rendered lines for the caller to print.
"""

from __future__ import annotations

import datetime
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, NamedTuple

from cfworker.config.model import Project
from cfworker.config.parse import parse_toml
from cfworker.config.validate import validate
from cfworker.errors import ConfigError

CONFIG_NAME = "worker.toml"
# wrangler's own search order (workers-utils config/config-helpers.ts findWranglerConfig)
WRANGLER_NAMES = ("wrangler.json", "wrangler.jsonc", "wrangler.toml")
# The Cloudflare Vite plugin's pointer to the config it built (workers-utils constants.ts)
DEPLOY_REDIRECT = Path(".wrangler") / "deploy" / "config.json"


def is_wrangler_config(path: Path) -> bool:
    """A wrangler config (read in place with its own syntax), as opposed to a worker.toml."""
    return path.name in WRANGLER_NAMES or path.suffix.lower() in (".json", ".jsonc") or \
        (path.suffix.lower() == ".toml" and path.name.startswith("wrangler"))


def find_config(cwd: Path) -> Path:
    """The config to use, searching up from cwd: worker.toml, else a wrangler config (wrangler.json,
    .jsonc, .toml, read in place), following the Vite plugin's `.wrangler/deploy/config.json` to
    the config it built as wrangler does. ConfigError naming where the search started."""
    start = Path(os.path.abspath(cwd))
    redirect: tuple[Path, Path] | None = None
    looked = False  # the redirect is looked for only once a folder has no worker.toml
    for folder in (start, *start.parents):
        candidate = folder / CONFIG_NAME
        if candidate.exists():
            return candidate
        if not looked:
            redirect, looked = _redirect(start), True
        wrangler = next((folder / n for n in WRANGLER_NAMES if (folder / n).is_file()), None)
        here = redirect is not None and redirect[0] == folder / DEPLOY_REDIRECT
        if redirect is None and wrangler is not None:
            return wrangler
        if redirect is None or (wrangler is None and not here):
            continue
        if here or (wrangler is not None and redirect[0] == wrangler.parent / DEPLOY_REDIRECT):
            return redirect[1]
        raise ConfigError(f"found both {wrangler} and the Vite plugin's {redirect[0]}, which do not share a "
                          "folder: it is not clear which to use", hint="pass --config PATH")
    if redirect is not None:
        return redirect[1]
    raise ConfigError(
        f"no {CONFIG_NAME} or wrangler config (wrangler.json, wrangler.jsonc, wrangler.toml) in {start} or any "
        "parent directory",
        hint="run `cfworker init` to create one, or pass --config PATH",
    )


def _redirect(start: Path) -> tuple[Path, Path] | None:
    """(the redirect file, the config it points at) when the Vite plugin left one above `start`."""
    from cfworker.config.jsonc import parse_jsonc

    for folder in (start, *start.parents):
        pointer = folder / DEPLOY_REDIRECT
        if not pointer.is_file():
            continue
        shown = str(pointer)
        data = parse_jsonc(read_config_text(pointer, shown), shown)
        target = data.get("configPath") if isinstance(data, dict) else None
        if not isinstance(target, str) or not target:
            raise ConfigError(f"{shown} has no configPath", hint="rerun the Vite build that writes it, or delete it")
        resolved = Path(os.path.normpath(pointer.parent / target))
        if not resolved.is_file():
            raise ConfigError(f"{shown} points at {resolved}, which does not exist",
                              hint="run the Vite build (`npm run build`) that writes it, or delete the pointer")
        return pointer, resolved
    return None


def load_project(config_path: Path | None, *, env: str | None, cwd: Path,
                 today: datetime.date | None = None) -> tuple[Project, list[str]]:
    """Read and validate the config (found from cwd when config_path is None) for `env`.

    worker.toml, or a wrangler config read in place (wrangler.json/.jsonc with comments and
    trailing commas, wrangler.toml): the same checks, with messages naming that file's lines.
    Returns the Project and the warnings as rendered lines; raises ConfigError with every
    problem when the file cannot be read, parsed or validated. A relative config_path is
    taken relative to cwd.
    """
    cwd = Path(os.path.abspath(cwd))
    path = find_config(cwd) if config_path is None else Path(os.path.normpath(cwd / config_path))
    shown = display_path(path, cwd)
    text = read_config_text(path, shown)
    parsed = parse_config(text, path, shown)
    raw, line_of = parsed.raw, parsed.line_of
    project, diagnostics = validate(raw, config_path=path, source_text=text, env=env,
                                    today=today or datetime.date.today(),
                                    display_path=shown, is_file=Path.is_file, line_of=line_of)
    if project is None:
        raise diagnostics.to_error()
    from dataclasses import replace

    from cfworker.config.writeback import text_digest

    return (replace(project, config_digest=text_digest(text), write_back_to=parsed.built_from),
            diagnostics.render_warnings())


def _built_from(raw: dict[str, Any], path: Path) -> tuple[Path, str | None] | None:
    """(the user's config, its environment) named by a config the Vite plugin built (its computed
    `userConfigPath`, `targetEnvironment`), when that file exists; None for any other config."""
    user = raw.get("userConfigPath")
    if not isinstance(user, str) or not Path(user).is_absolute() or not Path(user).is_file() or Path(user) == path:
        return None
    target = raw.get("targetEnvironment")
    return Path(user), target if isinstance(target, str) and target else None


# Fields wrangler computes into the config the Vite plugin writes (workers-utils config/config.ts
# ComputedFields and RedirectedRawConfig): facts about where it came from, not settings.
_COMPUTED = ("configPath", "userConfigPath", "topLevelName", "definedEnvironments", "targetEnvironment")
# Values the same built config spells out although they are wrangler's defaults (workers-utils
# config/environment.ts / validation.ts defaults), for keys cfworker otherwise refuses.
_WRANGLER_DEFAULTS = {"jsx_factory": "React.createElement", "jsx_fragment": "React.Fragment",
                      "python_modules": {"exclude": ["**/*.pyc"]}}


def unused_wrangler_keys(raw: dict[str, Any]) -> None:
    """Drop, in place, what a wrangler config holds that sets nothing: computed fields, empty
    tables and lists of keys cfworker does not support (`"containers": []` means no containers),
    and wrangler's defaults written out. For the Vite plugin's built config (it has the computed
    fields), also `no_bundle` and its ESModule rules: its main is already bundled, and esbuild
    bundles it again with the chunks it imports."""
    built = any(key in raw for key in _COMPUTED)
    for layer, section in ((raw, "top"), *((e, "env") for e in _env_layers(raw))):
        for key in _COMPUTED:
            layer.pop(key, None)
        for key in [k for k, v in layer.items() if _refused(section, k)
                    and (v in ({}, [], "", None) or _WRANGLER_DEFAULTS.get(k) == v)]:
            del layer[key]
        if built:
            layer.pop("dev", None)  # written into every built config: not the user's setting
        if built and layer.get("no_bundle") is True:
            del layer["no_bundle"]
            rules = layer.get("rules")
            if isinstance(rules, list):
                kept = [r for r in rules if not (isinstance(r, dict) and r.get("type") in ("ESModule", "CommonJS"))]
                if kept:
                    layer["rules"] = kept
                else:
                    del layer["rules"]


def _refused(section: str, key: str) -> bool:
    from cfworker.config.schema import unsupported

    found = unsupported(section, key)
    return found is not None and found.severity == "error"


def _env_layers(raw: dict[str, Any]) -> list[dict[str, Any]]:
    envs = raw.get("env")
    return [e for e in envs.values() if isinstance(e, dict)] if isinstance(envs, dict) else []


class ParsedConfig(NamedTuple):
    raw: dict[str, Any]
    line_of: Callable[[str], int | None] | None  # where a JSON config's keys are (None: TOML, validate finds them)
    built_from: tuple[Path, str | None] | None  # the user's config and env, for a Vite-built config


def parse_config(text: str, path: Path, shown: str) -> ParsedConfig:
    """The parsed config, once. A wrangler config keeps wrangler's keys (worker.toml uses the same
    names); what sets nothing for a deploy is set aside (`$schema`, `unused_wrangler_keys`)."""
    if not is_wrangler_config(path):
        return ParsedConfig(parse_toml(text, shown), None, None)
    from cfworker.config.wrangler import parse_wrangler

    raw = parse_wrangler(text, shown)
    raw.pop("$schema", None)
    built_from = _built_from(raw, path)
    unused_wrangler_keys(raw)
    if path.suffix.lower() in (".json", ".jsonc"):
        from cfworker.config.jsonc import JsonIndex

        return ParsedConfig(raw, JsonIndex(text).line_of, built_from)
    return ParsedConfig(raw, None, built_from)


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
    raw, line_of, _ = parse_config(text, path, shown)
    layer, prefix = raw, ""
    envs = raw.get("env")
    if env is not None and isinstance(envs, dict) and isinstance(envs.get(env), dict) and "account_id" in envs[env]:
        layer, prefix = envs[env], f"env.{env}."
    if "account_id" not in layer:
        return None, path
    d = Diagnostics(shown, line_of=line_of or LineIndex(text).line_of)
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
