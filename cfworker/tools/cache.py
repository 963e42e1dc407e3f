"""cfworker's user cache and the integrity of the tool binaries kept in it.

Each managed binary has a sidecar `<binary>.sha256` written at install time. `check_managed`
refuses a copy whose bytes no longer match it; after one full hash it records the file's
stat fingerprint in the sidecar so later runs compare only that (hashing the 162 MB workerd
takes ~250 ms on a 2-core x86_64 machine, the 11 MB esbuild ~10 ms).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".sha256"
FINGERPRINT_AGE = 2.0  # seconds; see check_managed


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


def file_sha256(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks (the workerd binary is 162 MB)."""
    import hashlib  # lazily: the common path trusts the stat fingerprint and never hashes

    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def stat_fingerprint(st: os.stat_result) -> str | None:
    """size, mtime, ctime and inode; None on Windows, where st_ctime is not a change time.

    No ordinary process can set ctime (writing, chmod, utime and rename all move it to
    "now"), so an unchanged fingerprint means the bytes were not modified through the
    file system since they were hashed.
    """
    if sys.platform == "win32":
        return None
    return f"stat {st.st_size} {st.st_mtime_ns} {st.st_ctime_ns} {st.st_ino}"


def check_managed(
    path: Path, *, now: float | None = None, sha256: Callable[[Path], str] = file_sha256
) -> str | None:
    """None if the cached binary matches the sha256 recorded at install; else what is wrong.

    After one full check the sidecar also records the file's stat fingerprint, and later
    runs only compare that (microseconds). The fingerprint is recorded only once the file's
    ctime is FINGERPRINT_AGE s old: file timestamps tick in coarse steps, and a write within
    the same step would otherwise be invisible to it.
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
        actual = sha256(path)
    except OSError as exc:
        return f"it cannot be read ({exc.strerror or exc})"
    if actual != expected:
        return f"sha256 is {actual}, expected {expected}"
    if fingerprint is not None and (now or time.time()) - st.st_ctime > FINGERPRINT_AGE:
        _record_fingerprint(sidecar, lines[0], fingerprint)
    return None


def _record_fingerprint(sidecar: Path, sha_line: str, fingerprint: str) -> None:
    """Best effort: a read-only cache just means the next run hashes again."""
    from cfworker.tools.install import write_atomic

    try:
        write_atomic(sidecar, f"{sha_line}\n{fingerprint}\n".encode(), mode=0o644)
    except OSError as exc:
        log.debug("could not record the stat fingerprint in %s: %s", sidecar, exc)


def write_sidecar(binary: Path, digest: str) -> None:
    """Record the sha256 of a freshly installed binary beside it."""
    from cfworker.tools.install import write_atomic

    sidecar = binary.with_name(binary.name + SIDECAR_SUFFIX)
    write_atomic(sidecar, f"{digest}  {binary.name}\n".encode(), mode=0o644)
