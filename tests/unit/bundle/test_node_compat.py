"""Which node: modules a project may import, and the require() prelude (pure; issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfworker.bundle.esbuild import (
    MetaImport,
    MetaOutput,
    esbuild_argv,
    provided_node_modules,
    require_prelude,
    required_builtins,
    shift_sourcemap,
)
from tests.unit.bundle.helpers import make_project

ROOT = Path("/p")


@pytest.mark.parametrize(("date", "flags", "expected"), [
    ("2025-06-01", ("nodejs_compat",), None),
    ("2025-06-01", ("nodejs_compat_v2",), None),
    ("2025-06-01", (), frozenset()),
    ("2025-06-01", ("nodejs_als",), frozenset({"async_hooks"})),
    ("2026-09-01", (), None),  # the default from 2026-08-04 (api-notes 7.1)
    ("2026-09-01", ("no_nodejs_compat",), frozenset()),
    # no_nodejs_compat_v2 turns v2 off, not nodejs_compat: v1 (resolveNodejsCompat)
    ("2026-09-01", ("no_nodejs_compat_v2", "nodejs_als"), None),
    ("2026-09-01", ("no_nodejs_compat", "nodejs_als"), frozenset({"async_hooks"})),
])
def test_provided_node_modules_follow_flags_and_date(date: str, flags: tuple[str, ...],
                                                     expected: frozenset[str] | None) -> None:
    """nodejs_compat (flag or date default) provides every node: module; nodejs_als only async_hooks."""
    assert provided_node_modules(make_project(ROOT, compatibility_date=date, compatibility_flags=flags)) == expected


@pytest.mark.parametrize(("date", "flags", "mode"), [
    ("2024-09-22", ("nodejs_compat",), "v1"),
    ("2024-09-23", ("nodejs_compat",), "v2"),
    ("2024-01-01", ("nodejs_compat_v2",), "v2"),
    ("2025-06-01", ("nodejs_compat", "no_nodejs_compat_v2"), "v1"),
    ("2025-06-01", ("nodejs_als",), "als"),
    ("2025-06-01", ("nodejs_compat", "nodejs_als"), "v2"),  # any nodejs_compat mode overrides als
    ("2025-06-01", (), None),
    ("2026-08-04", (), "v2"),
    ("2026-09-01", ("no_nodejs_compat",), None),
    ("2026-09-01", ("no_nodejs_compat_v2",), "v1"),
])
def test_node_compat_mode_follows_workerds_flags_and_dates(date: str, flags: tuple[str, ...], mode: str | None) -> None:
    """v2 from nodejs_compat at 2024-09-23 or the v2 flag; v1 before; als alone; on by default from 2026-08-04."""
    assert make_project(ROOT, compatibility_date=date, compatibility_flags=flags).node_compat_mode == mode


def test_bare_builtins_are_aliased_from_the_default_date_without_a_flag() -> None:
    """The alias of `events` to `node:events` follows nodejs_compat as the date turns it on."""
    on = esbuild_argv(make_project(ROOT, compatibility_date="2026-09-01"), outdir=ROOT / "dist")
    off = esbuild_argv(make_project(ROOT, compatibility_date="2025-06-01"), outdir=ROOT / "dist")
    assert "--alias:events=node:events" in on and "--alias:events=node:events" not in off


def test_required_builtins_are_the_external_require_calls_of_node_modules() -> None:
    entry = MetaOutput("dist/index.js", 1, (
        MetaImport("node:events", "require-call", True), MetaImport("node:buffer", "import-statement", True),
        MetaImport("node:events", "require-call", True), MetaImport("cloudflare:sockets", "require-call", True),
        MetaImport("node:util", "require-call", True)), (), ())
    assert required_builtins(entry) == ["node:events", "node:util"]


def test_require_prelude_is_one_line_of_imports_and_a_lookup() -> None:
    """The prelude imports each module's default and maps both spellings; others still throw."""
    line = require_prelude(["node:events", "node:util"]).decode()
    assert line.count("\n") == 1 and line.endswith("\n")
    assert line.startswith('import __cfw_node_0 from "node:events";import __cfw_node_1 from "node:util";var require=')
    assert '"events":__cfw_node_0' in line and '"node:util":__cfw_node_1' in line
    assert "Dynamic require of" in line


def test_shift_sourcemap_adds_one_empty_line_group() -> None:
    smap = json.dumps({"version": 3, "sources": ["a.js"], "mappings": "AAAA;AACA"}).encode()
    assert json.loads(shift_sourcemap(smap))["mappings"] == ";AAAA;AACA"


def test_upload_sourcemap_rebases_sources_on_the_entry_folder() -> None:
    """esbuild's sources are relative to dist/; the uploaded map's are relative to the entry's folder
    (wrangler's loadSourceMap), URLs are kept, and `file` names the main module."""
    from cfworker.bundle.esbuild import upload_sourcemap

    raw = json.dumps({"version": 3, "file": "index.js", "mappings": "AAAA",
                      "sources": ["../src/index.ts", "../src/lib/a.ts", "../node_modules/p/x.js",
                                  "webpack://pkg/y.js"]}).encode()
    out = json.loads(upload_sourcemap(raw, "worker.js", "dist", "src"))
    assert out["file"] == "worker.js" and out["mappings"] == "AAAA"
    assert out["sources"] == ["index.ts", "lib/a.ts", "../node_modules/p/x.js", "webpack://pkg/y.js"]
    moved = json.dumps({"version": 3, "mappings": "", "sources": ["../../dist/index.js"]}).encode()
    assert json.loads(upload_sourcemap(moved, "index.js", ".cfworker/dist", "dist"))["sources"] == ["index.js"]

