"""Fixtures shared by the end-to-end tests: the pinned esbuild, example projects in tmp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from cfworker.bundle.install import install_esbuild
from cfworker.bundle.runner import SubprocessRunner
from cfworker.bundle.tool import SIDECAR_SUFFIX, check_managed, current_platform, managed_path, user_cache_dir

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NPM = shutil.which("npm")


@pytest.fixture(scope="session")
def esbuild_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A session cache holding a verified pinned esbuild (copied from the user cache, else installed)."""
    cache = tmp_path_factory.mktemp("cfworker-cache")
    platform = current_platform()
    target = managed_path(cache, platform)
    existing = managed_path(user_cache_dir(os.environ), platform)
    if existing.is_file() and check_managed(existing) is None:
        target.parent.mkdir(parents=True)
        shutil.copy2(existing, target)
        shutil.copy2(existing.with_name(existing.name + SIDECAR_SUFFIX), target.with_name(target.name + SIDECAR_SUFFIX))
    elif NPM is None:
        pytest.skip("no cached esbuild and no npm to install it")
    else:
        install_esbuild(target, platform, runner=SubprocessRunner(), environ=os.environ)
    _add_node_polyfills(cache)
    return cache


def _add_node_polyfills(cache: Path) -> None:
    """Put cfworker's Node.js polyfill copy into the session cache (nodejs_compat v2 builds read it):
    copied from the user cache when installed there, else installed with npm."""
    from cfworker.bundle.polyfills import install_polyfills, is_installed, managed_tree

    existing, target = managed_tree(user_cache_dir(os.environ)), managed_tree(cache)
    if is_installed(existing):
        shutil.copytree(existing, target)
    elif NPM is not None:
        install_polyfills(target, runner=SubprocessRunner(), environ=os.environ)


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild, a workers.dev subdomain and example.com
    (a test module may define its own `env`)."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


@pytest.fixture(scope="session")
def dev_cache(esbuild_cache: Path) -> Path:
    """The session cache with the pinned esbuild and a verified pinned workerd (for `cfworker dev`)."""
    from tests.e2e.devserver import prepare_dev_cache

    return prepare_dev_cache(esbuild_cache)


@pytest.fixture(scope="session")
def router_ts_deps() -> None:
    """examples/router-ts needs its pinned npm dependency; run `npm ci` once if it is missing."""
    if (EXAMPLES / "router-ts" / "node_modules" / "itty-router").is_dir():
        return
    if NPM is None:
        pytest.skip("examples/router-ts/node_modules is missing and there is no npm to install it")
    subprocess.run([NPM, "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=EXAMPLES / "router-ts",
                   check=True, capture_output=True)



@pytest.fixture
def example(tmp_path: Path, router_ts_deps: None) -> Callable[[str], Path]:
    """Copy examples/NAME into a tmp dir (deploys write KV ids into worker.toml; never into the repo)."""

    def copy(name: str) -> Path:
        dest = tmp_path / name
        shutil.copytree(EXAMPLES / name, dest, ignore=shutil.ignore_patterns("node_modules", "dist"))
        modules = EXAMPLES / name / "node_modules"
        if modules.is_dir():
            (dest / "node_modules").symlink_to(modules, target_is_directory=True)
        return dest

    return copy


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the fault campaign's runs and outcomes at the end of the test run."""
    from tests.e2e.test_faults import campaign_report

    from tests.e2e.test_hostile import hostile_report

    for title, lines in (("fault campaign", campaign_report()), ("hostile conditions", hostile_report())):
        if lines:
            terminalreporter.section(title)
            for line in lines:
                terminalreporter.write_line(line)
