"""[build] plus wrangler's top-level build spellings, and their [env] merge (pure).

One layer may set a key in [build] or as wrangler's top-level `minify`/`define`/`rules`/
`keep_names`/`upload_source_maps`, not both. Merging follows wrangler: an env's [build]
replaces the top one whole, top-level spellings inherit key by key, `define` never does.
Module rules: user rules, then the defaults; a rule without fallthrough hides later ones.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfworker.config.checks import (
    describe,
    expect_bool,
    expect_str,
    expect_str_list,
    expect_table,
    expect_tables,
)
from cfworker.config.define import is_define_key, is_define_value, is_identifier
from cfworker.config.diagnostics import Diagnostics, key_path
from cfworker.config.model import DEFAULT_MODULE_RULES, BuildSpec, ModuleRule, ModuleRuleType
from cfworker.config.schema import BUILD_ALIASES

RULE_TYPES: dict[str, ModuleRuleType] = {"Text": "text", "Data": "data", "CompiledWasm": "wasm",
                                         "text": "text", "data": "data", "wasm": "wasm"}
_WRANGLER_ONLY_TYPES = ("ESModule", "CommonJS", "NodeJsCompatModule", "PythonModule", "PythonRequirement")
_GLOBALS = frozenset({"undefined", "globalThis", "self", "NaN", "Infinity", "console", "crypto"})
_TARGET = re.compile(r"[a-z]+[0-9.]*(,[a-z]+[0-9.]*)*")


@dataclass(frozen=True, slots=True)
class Rule:
    """A user module rule with wrangler's `fallthrough` flag and where it was written."""

    rule: ModuleRule
    fallthrough: bool
    path: str


@dataclass(frozen=True, slots=True)
class BuildLayer:
    """Build settings written in one layer; None means not set there."""

    has_table: bool = False
    command: str | None = None
    cwd: Path | None = None
    watch_dirs: tuple[Path, ...] | None = None
    minify: bool | None = None
    sourcemap: bool | None = None
    keep_names: bool | None = None
    define: tuple[tuple[str, str], ...] | None = None
    define_path: str | None = None
    external: tuple[str, ...] | None = None
    rules: tuple[Rule, ...] | None = None
    esbuild: Path | None = None
    target: str | None = None
    from_top_level: frozenset[str] = frozenset()  # fields set with wrangler's top-level spelling


def check_build(d: Diagnostics, layer: dict[str, Any], prefix: str, root: Path) -> BuildLayer:
    """One layer's build settings from [build] and the top-level spellings."""
    build_path = key_path(prefix, "build")
    table = expect_table(d, build_path, layer["build"]) if "build" in layer else None
    table = table or {}
    if "rules" in table and "loader" in table:
        d.error(key_path(build_path, "loader"), "rules and loader are both set", "keep one: loader is another name for rules")
    values: dict[str, Any] = {}
    for top_key, build_key in BUILD_ALIASES.items():
        if top_key in layer and build_key in table:
            d.error(key_path(prefix, top_key), f"is set both at this level and in [{build_path}]",
                    f"keep only [{build_path}] {build_key}")
    sources: dict[str, tuple[str, Any]] = {}
    for key in ("command", "cwd", "watch_dir", "minify", "sourcemap", "keep_names", "define", "external",
                "rules", "loader", "esbuild", "target"):
        if key in table:
            sources["rules" if key == "loader" else key] = (key_path(build_path, key), table[key])
    for top_key, build_key in BUILD_ALIASES.items():
        if top_key in layer and build_key not in sources:
            sources[build_key] = (key_path(prefix, top_key), layer[top_key])
    for key, (path, value) in sources.items():
        values[key] = _CHECKS[key](d, path, value, root)
    define_path = sources["define"][0] if "define" in sources else None
    return BuildLayer(
        has_table="build" in layer, command=values.get("command"), cwd=values.get("cwd"),
        watch_dirs=values.get("watch_dir"), minify=values.get("minify"), sourcemap=values.get("sourcemap"),
        keep_names=values.get("keep_names"), define=values.get("define"), define_path=define_path,
        external=values.get("external"), rules=values.get("rules"), esbuild=values.get("esbuild"),
        target=values.get("target"),
        from_top_level=frozenset(k for k, (path, _) in sources.items() if not path.startswith(build_path + ".")),
    )


def _path(d: Diagnostics, path: str, value: Any, root: Path) -> Path | None:
    text = expect_str(d, path, value, hint="write a path relative to worker.toml")
    if text is None:
        return None
    if text.startswith("~"):
        d.error(path, f"{describe(text)} starts with ~, which cfworker does not expand",
                "write an absolute path or one relative to worker.toml")
        return None
    return Path(os.path.normpath(root / text))


def _watch_dirs(d: Diagnostics, path: str, value: Any, root: Path) -> tuple[Path, ...] | None:
    items = [value] if isinstance(value, str) else expect_str_list(d, path, value, hint='write watch_dir = "src" or ["src", "lib"]')
    if items is None:
        return None
    dirs = [_path(d, path, item, root) for item in items]
    return tuple(p for p in dirs if p is not None) if all(dirs) else None


def _define(d: Diagnostics, path: str, value: Any, _root: Path) -> tuple[tuple[str, str], ...] | None:
    table = expect_table(d, path, value, hint='write [build.define] with "process.env.MODE" = \'"production"\'')
    if table is None:
        return None
    out = []
    for name, expr in table.items():
        child = key_path(path, name)
        if not is_define_key(name):
            d.error(child, f"{describe(name)} is not an identifier or property chain (like process.env.MODE "
                    'or process.env["MY-VAR"])', "define replaces identifiers and property chains only; rename the key")
            continue
        text = expect_str(d, child, expr, hint=f"write the JS expression as a string: \"{name}\" = '\"value\"'")
        if text is None:
            continue
        if not is_define_value(text):
            d.error(child, f"{describe(text)} is neither an entity name nor a JS literal (esbuild's rule for "
                    "define values: JSON, a 'string', 1n, or a name like a.b.c)",
                    f"to define a string, quote it inside the TOML string: '\"{text}\"'")
            continue
        if is_identifier(text) and text not in _GLOBALS:
            d.warn(child, f"{describe(text)} is replaced by the identifier {text}, not by a string",
                   f"to define the string, quote it inside the TOML string: '\"{text}\"'")
        out.append((name, text))
    return tuple(out)


def _rules(d: Diagnostics, path: str, value: Any, _root: Path) -> tuple[Rule, ...] | None:
    out = []
    ok = True
    for item_path, table in expect_tables(d, path, value):
        rule = _rule(d, item_path, table)
        ok = ok and rule is not None
        if rule:
            out.append(rule)
    return tuple(out) if ok and isinstance(value, list) else None


def _rule(d: Diagnostics, path: str, table: dict[str, Any]) -> Rule | None:
    supported = "Text, Data, CompiledWasm, or text, data, wasm"
    if "type" not in table or "globs" not in table:
        missing = "type" if "type" not in table else "globs"
        d.error(key_path(path, missing), "is required", 'a rule needs type = "Text" and globs = ["**/*.txt"]')
        return None
    kind = expect_str(d, key_path(path, "type"), table["type"], hint=f"use one of: {supported}")
    if kind is not None and kind not in RULE_TYPES:
        if kind in _WRANGLER_ONLY_TYPES:
            d.error(key_path(path, "type"), f"{describe(kind)} rules are not supported by cfworker",
                    f"remove the rule: esbuild bundles JS imports itself; supported types: {supported}")
        else:
            d.error(key_path(path, "type"), f"{describe(kind)} is not a module rule type", f"use one of: {supported}")
        kind = None
    globs = expect_str_list(d, key_path(path, "globs"), table["globs"], hint='write globs = ["**/*.txt"]')
    if globs == ():
        d.error(key_path(path, "globs"), "is empty", 'list at least one glob, e.g. ["**/*.txt"]')
        globs = None
    fallthrough = expect_bool(d, key_path(path, "fallthrough"), table["fallthrough"]) if "fallthrough" in table else False
    if kind is None or globs is None or fallthrough is None:
        return None
    return Rule(ModuleRule(RULE_TYPES[kind], globs), fallthrough, path)


def _bool(d: Diagnostics, path: str, value: Any, _root: Path) -> bool | None:
    return expect_bool(d, path, value)


def _command(d: Diagnostics, path: str, value: Any, _root: Path) -> str | None:
    return expect_str(d, path, value, hint='write command = "npm run build"')


def _external(d: Diagnostics, path: str, value: Any, _root: Path) -> tuple[str, ...] | None:
    return expect_str_list(d, path, value, hint='write external = ["some-package"]')


def _target(d: Diagnostics, path: str, value: Any, _root: Path) -> str | None:
    text = expect_str(d, path, value, hint='write target = "es2022"')
    if text is not None and not _TARGET.fullmatch(text):
        d.error(path, f"{describe(text)} is not an esbuild target", 'write target = "es2022" or "esnext"')
        return None
    return text


_CHECKS = {
    "command": _command, "cwd": _path, "watch_dir": _watch_dirs, "minify": _bool, "sourcemap": _bool,
    "keep_names": _bool, "define": _define, "external": _external, "rules": _rules, "esbuild": _path,
    "target": _target,
}


def compose_build(d: Diagnostics, top: BuildLayer, env: BuildLayer | None, env_path: str | None) -> BuildSpec:
    """The BuildSpec for the selected layer: [build] replaced whole, aliases inherited, define never."""
    table = env if env is not None and env.has_table else top

    def pick(field: str, default: Any) -> Any:
        candidates = [env, top] if env is not None else [top]
        for layer in candidates:
            value = getattr(layer, field)
            inherited_table_value = layer is top and env is not None and env.has_table
            if value is not None and not (inherited_table_value and field not in top.from_top_level):
                return value
        return default

    defaults = BuildSpec()
    define_layer = env if env is not None else top
    if env is not None and env.define is None and top.define:
        d.warn(env_path or "", f"`define` is set at the top level ({top.define_path}) but not in [{env_path}]; "
               "define is not inherited, so this environment has none",
               f"add define = {{ ... }} to [{env_path}]; an empty table silences this")
    return BuildSpec(
        command=table.command, cwd=table.cwd, watch_dirs=table.watch_dirs or (),
        minify=pick("minify", defaults.minify), sourcemap=pick("sourcemap", defaults.sourcemap),
        define=define_layer.define or (), external=table.external or (),
        rules=_ordered_rules(d, pick("rules", ())), esbuild=table.esbuild, target=table.target or defaults.target,
        keep_names=pick("keep_names", defaults.keep_names),
    )


def _ordered_rules(d: Diagnostics, user: tuple[Rule, ...]) -> tuple[ModuleRule, ...]:
    """User rules, then the defaults; a rule without fallthrough hides later rules of its type."""
    closed: set[str] = set()
    out = []
    for item in (*user, *(Rule(r, False, "") for r in DEFAULT_MODULE_RULES)):
        if item.rule.type in closed:
            if item.path:
                d.warn(item.path, f"is ignored: an earlier {item.rule.type} rule has no fallthrough = true",
                       "add fallthrough = true to the earlier rule, or merge the globs into one rule")
            continue
        out.append(item.rule)
        if not item.fallthrough:
            closed.add(item.rule.type)
    return tuple(out)
