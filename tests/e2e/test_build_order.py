"""[build] command order, PATH and output folder (issue 15), with real esbuild and workerd."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli
from tests.e2e.devserver import DevServer, dev_env

pytestmark = pytest.mark.needs_esbuild

TOOL = '''#!/bin/sh
# a node_modules/.bin tool, as `vite build` or `tsc` would be: writes the entry module
mkdir -p build
printf 'export default { fetch() { return new Response("made by %s") } }\\n' "$1" > build/worker.js
'''


def tool_project(root: Path) -> Path:
    bin_dir = root / "node_modules" / ".bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "make-worker").write_text(TOOL)
    (bin_dir / "make-worker").chmod(0o755)
    (root / "worker.toml").write_text('name = "gen"\nmain = "build/worker.js"\ncompatibility_date = "2025-06-01"\n'
                                      '[build]\ncommand = "make-worker tool"\n')
    return root


def test_build_command_runs_before_main_is_checked_with_node_modules_bin_on_path(
        tmp_path: Path, dev_cache: Path) -> None:
    """main does not exist until the command (a node_modules/.bin tool, no npx) writes it; the bundle starts."""
    project = tool_project(tmp_path)
    env = {"PATH": os.environ.get("PATH", "")}  # the tool is found only through node_modules/.bin
    r = run_cli(["build"], cwd=project, env=env)
    assert r.code == 0, r
    assert (project / "build" / "worker.js").is_file() and (project / "dist" / "worker.js").is_file()
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert server.request("/") == (200, "made by tool")
        assert server.stop() == 0


def test_build_command_that_does_not_write_main_names_both(tmp_path: Path) -> None:
    """A command that succeeds without writing main: one error naming main and the command, exit 1."""
    (tmp_path / "worker.toml").write_text('name = "gen"\nmain = "build/worker.js"\ncompatibility_date = "2025-06-01"\n'
                                          '[build]\ncommand = "true"\n')
    r = run_cli(["build"], cwd=tmp_path)
    assert r.code == 1, r
    assert "main: the entry module" in r.err and "does not exist after the [build] command ran" in r.err
    assert "Traceback" not in r.err


def test_without_a_command_a_missing_main_is_still_a_config_error(tmp_path: Path) -> None:
    (tmp_path / "worker.toml").write_text('name = "gen"\nmain = "build/worker.js"\ncompatibility_date = "2025-06-01"\n')
    r = run_cli(["build"], cwd=tmp_path)
    assert r.code == 2 and "worker.toml:2: main: the entry module" in r.err, r


def test_prebuilt_main_inside_dist_is_kept_and_the_bundle_goes_elsewhere(tmp_path: Path) -> None:
    """A framework's dist/index.js as main is neither overwritten nor removed; the note says where the bundle went."""
    (tmp_path / "dist").mkdir()
    prebuilt = 'export default { fetch() { return new Response("prebuilt") } }\n'
    (tmp_path / "dist" / "index.js").write_text(prebuilt)
    (tmp_path / "worker.toml").write_text('name = "pre"\nmain = "dist/index.js"\ncompatibility_date = "2025-06-01"\n')
    for _ in range(2):  # a second build must not clean away the prebuilt entry either
        r = run_cli(["build"], cwd=tmp_path)
        assert r.code == 0, r
        assert "the bundle goes to .cfworker/dist instead" in r.err
    assert (tmp_path / "dist" / "index.js").read_text() == prebuilt
    assert (tmp_path / ".cfworker" / "dist" / "index.js").is_file()


@pytest.mark.parametrize(("lockfile", "command"), [
    ("package-lock.json", "npm ci"), ("pnpm-lock.yaml", "pnpm install --frozen-lockfile"),
    ("yarn.lock", "yarn install --frozen-lockfile"), (None, "npm install")])
def test_unresolved_dependency_listed_in_package_json_says_to_install(
        tmp_path: Path, lockfile: str | None, command: str) -> None:
    """A clone without node_modules: the hint is the project's install (by lockfile), not "mark it external"."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('import { Hono } from "hono";\nimport x from "@acme/kit/sub";\n'
                                               "export default { fetch: new Hono().fetch, x }\n")
    (tmp_path / "package.json").write_text('{"dependencies": {"hono": "^4"}, "devDependencies": {"@acme/kit": "1"}}')
    if lockfile:
        (tmp_path / lockfile).write_text("")
    (tmp_path / "worker.toml").write_text('name = "dep"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n')
    r = run_cli(["build"], cwd=tmp_path)
    assert r.code == 1, r
    assert f"hint: hono, @acme/kit are in package.json but not installed: run `{command}`" in r.err, r.err


def test_unresolved_dependency_missing_from_package_json_says_to_add_it(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('import { z } from "zod";\nexport default { fetch() { z } }\n')
    (tmp_path / "package.json").write_text("{}")
    (tmp_path / "package-lock.json").write_text("{}")
    (tmp_path / "worker.toml").write_text('name = "dep"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n')
    r = run_cli(["build"], cwd=tmp_path)
    assert r.code == 1 and "hint: add the package: `npm install zod`" in r.err, r.err
