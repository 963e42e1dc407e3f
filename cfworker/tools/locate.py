"""Finding a tool binary: explicit path, then node_modules, then the managed copy (installed if missing).

Lookup order (first match wins; `--debug` logs which one was used):
  1. the tool's env var (CFWORKER_ESBUILD, CFWORKER_WORKERD), then a worker.toml setting;
     an explicit path that does not work is an error, never skipped;
  2. the project's `node_modules`, walking up from the project root;
  3. the managed copy `<cache>/<tool>/<version>/<platform>/<binary>`, checked against the
     sha256 recorded beside it at install time (a corrupted copy is refused and replaced);
  4. install that managed copy with npm (`cfworker.tools.install`), or fail naming every option.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from cfworker.errors import ToolError
from cfworker.tools.spec import NpmBinary, ToolBinary

log = logging.getLogger(__name__)

Announce = Callable[[str], None]
Check = Callable[[Path], str | None]
Install = Callable[[Path], object]
MissingError = Callable[[str], ToolError]


def explicit_binary(tool: str, value: str, source: str, environ: Mapping[str, str], base: Path) -> ToolBinary:
    """Resolve an explicitly configured binary; it must exist, or the user hears why not."""
    if os.sep not in value and "/" not in value:  # a bare command name: look it up on PATH
        import shutil  # shutil pulls in bz2/lzma; only needed for a bare command name

        found = shutil.which(value, path=environ.get("PATH"))
        if found is None:
            raise ToolError(f'{tool} "{value}" from {source} is not on PATH',
                            hint=f"set {source.split()[-1]} to the full path of the {tool} binary")
        return ToolBinary(Path(found), source)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise ToolError(f"{tool} from {source} does not exist: {path}",
                        hint="fix the path, or remove the setting to let cfworker install its own")
    if not os.access(path, os.X_OK):
        raise ToolError(f"{tool} from {source} is not executable: {path}", hint=f"chmod +x {path}")
    return ToolBinary(path, source)


def find_in_node_modules(start: Path, candidates: Sequence[str]) -> Path | None:
    """The nearest `node_modules/<candidate>` executable at or above `start`."""
    for directory in (start, *start.parents):
        for relative in candidates:
            candidate = directory / "node_modules" / relative
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def find_binary(
    tool: NpmBinary,
    *,
    project_root: Path | None,
    configured: tuple[str, str] | None,
    environ: Mapping[str, str],
    cwd: Path,
    node_modules: Callable[[], Sequence[str]],
    managed: Callable[[], ToolBinary],
) -> ToolBinary:
    """The binary to use, by the lookup order in this module's docstring.

    `configured` is (value, source) from the project config; a relative value is taken from
    the project root, a relative env value from `cwd`. `node_modules` gives the paths to try
    under each node_modules (called only when needed: it may depend on the platform);
    `managed` resolves steps 3 and 4.
    """
    base = project_root or cwd
    if env_value := environ.get(tool.env_var):
        found = explicit_binary(tool.name, env_value, f"env {tool.env_var}", environ, cwd)
    elif configured is not None:
        found = explicit_binary(tool.name, configured[0], configured[1], environ, base)
    elif local := find_in_node_modules(base, node_modules()):
        project = local.parent
        while project.name != "node_modules":
            project = project.parent
        found = ToolBinary(local, f"project node_modules ({project.parent})")
    else:
        found = managed()
    log.debug("%s: using %s (from %s)", tool.name, found.path, found.source)
    return found


def managed_binary(
    tool: NpmBinary,
    *,
    cache: Path,
    platform: str,
    install: bool,
    check: Check,
    do_install: Install,
    missing: MissingError,
    install_hint: str,
    announce: Announce | None,
) -> ToolBinary:
    """The verified managed copy; installs (or replaces a corrupted one) when `install` allows."""
    path = tool.managed_path(cache, platform)
    problem = check(path) if path.exists() else None
    if path.exists() and problem is None:
        return ToolBinary(path, f"cfworker cache ({cache})", managed=True)
    if problem is not None:
        log.debug("%s: refusing cached copy %s: %s", tool.name, path, problem)
        if not install:
            raise ToolError(f"the cached {tool.name} at {path} is corrupted: {problem}", hint=install_hint)
    elif not install:
        raise missing(f"{tool.name} {tool.version} is not installed in {cache}")
    if announce:
        announce(f"Installing {tool.name} {tool.version} ({platform}) into {cache} with npm...")
    try:
        do_install(path)
    except ToolError as exc:
        if problem is not None:  # say that the cached copy was refused, not only that the install failed
            exc.notes = (f"the cached {tool.name} at {path} was refused: {problem}", *exc.notes)
        raise
    notes = (f"replaced the cached {tool.name} at {path}: {problem}",) if problem else ()
    return ToolBinary(path, f"cfworker cache ({cache}), installed now", notes, managed=True)
