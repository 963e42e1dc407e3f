"""Architecture rules: pure modules stay pure, imports point down the layers, start-up stays lean."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[2] / "cfworker"

# Modules that must not do I/O: no network, subprocess, environment, clock or watcher imports.
PURE = [
    "errors.py", "redact.py", "settings.py",
    "config/model.py", "config/diagnostics.py", "config/validate.py", "config/parse.py", "config/locate.py",
    "config/schema.py", "config/structure.py", "config/checks.py", "config/sections.py", "config/bindings.py",
    "config/build.py", "config/hooks.py", "config/cron.py",
    "bundle/model.py", "bundle/esbuild.py", "bundle/rules.py", "bundle/sourcemap.py",
    "upload.py", "deploy/plan.py", "deploy/planner.py", "deploy/render.py", "deploy/zones.py",
    "deploy/dns.py", "deploy/purge.py",
    "config/jsonc.py", "config/tomlwriter.py", "config/wrangler.py", "config/pruning.py",
    "tools/spec.py", "dev/config.py", "dev/devvars.py", "dev/js.py", "dev/logs.py",
    "bindings/kind.py", "bindings/fields.py", "bindings/table.py", "bindings/check.py",
    "config/migrations.py", "config/consumers.py", "deploy/concern.py", "deploy/hook_steps.py",
]
IMPURE_MODULES = {"httpx", "subprocess", "time", "watchfiles", "socket", "urllib.request"}

# Package -> packages it may not import (imports point down: cli -> deploy/watch -> bundle/config -> api -> errors).
FORBIDDEN = {
    "api": {"cfworker.cli", "cfworker.ui", "cfworker.deploy", "cfworker.bundle", "cfworker.config"},
    "config": {"cfworker.cli", "cfworker.ui", "cfworker.deploy", "cfworker.api", "cfworker.bundle"},
    "bundle": {"cfworker.cli", "cfworker.deploy", "cfworker.api"},
    "deploy": {"cfworker.cli"},
    "tools": {"cfworker.cli", "cfworker.ui", "cfworker.deploy", "cfworker.api", "cfworker.config", "cfworker.dev"},
    "dev": {"cfworker.cli", "cfworker.deploy", "cfworker.api"},
    # The binding table sits under config's validator and uses only its checking helpers.
    "bindings": {"cfworker.cli", "cfworker.ui", "cfworker.deploy", "cfworker.api", "cfworker.bundle", "cfworker.dev",
                 "cfworker.config.model", "cfworker.config.validate", "cfworker.config.schema",
                 "cfworker.config.loader"},
}


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def uses_os_environ(path: Path) -> bool:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and getattr(node.value, "id", "") == "os":
            return True
    return False


@pytest.mark.parametrize("rel", PURE)
def test_pure_module_has_no_io_imports(rel: str) -> None:
    """A module marked pure imports nothing that does network, process, clock or environment I/O."""
    path = PKG / rel
    if not path.exists():
        pytest.skip(f"{rel} not written yet")
    bad = {name for name in imports_of(path) if name.split(".")[0] in IMPURE_MODULES or name in IMPURE_MODULES}
    assert not bad, f"{rel} imports {sorted(bad)}"
    assert not uses_os_environ(path), f"{rel} reads os.environ; take a Mapping argument instead"


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_imports_point_down_the_layers(package: str) -> None:
    """Lower layers never import higher ones (api never imports cli, config never imports api, ...)."""
    offenders = []
    for path in sorted((PKG / package).rglob("*.py")):
        for name in imports_of(path):
            if any(name == f or name.startswith(f + ".") for f in FORBIDDEN[package]):
                offenders.append(f"{path.relative_to(PKG)} imports {name}")
    assert not offenders, "\n".join(offenders)


def test_cli_startup_imports_no_heavy_modules() -> None:
    """Loading the CLI for --help/--version imports neither httpx nor watchfiles nor the bundler."""
    code = (
        "import sys, cfworker.cli; "
        "heavy = [m for m in ('httpx', 'watchfiles', 'tomlkit', 'cfworker.api.client', 'cfworker.deploy') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at start-up: {out.stdout.strip()}"


def test_lazy_command_table_matches_the_command_modules() -> None:
    """COMMAND_MODULES names every command, and each name's module really defines it."""
    import importlib

    from cfworker.cli import COMMAND_MODULES, cli

    for module in set(COMMAND_MODULES.values()):
        importlib.import_module(f"cfworker.cli.{module}")
    assert set(cli.commands) == set(COMMAND_MODULES)
    for name, module in COMMAND_MODULES.items():
        assert cli.commands[name].callback.__module__ == f"cfworker.cli.{module}", name


def _module_name(path: Path) -> str:
    name = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
    return name.removesuffix(".__init__")


def _top_level_imports(path: Path, modules: set[str]) -> set[str]:
    """Modules of ours imported when `path` is imported (module-level statements, TYPE_CHECKING excluded)."""
    out: set[str] = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out.update(f"{node.module}.{alias.name}" for alias in node.names)
    return out & modules


def test_no_import_cycles_at_module_level() -> None:
    """Importing any module never needs a module that is still being imported (no import circles)."""
    paths = {_module_name(p): p for p in PKG.rglob("*.py")}
    graph = {name: _top_level_imports(path, set(paths)) for name, path in paths.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(name: str, stack: list[str]) -> None:
        state[name] = 1
        stack.append(name)
        for dep in sorted(graph[name]):
            if state.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in state:
                visit(dep, stack)
        stack.pop()
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [])
    assert not cycles, [" -> ".join(c) for c in cycles]
