"""esbuild_argv(): the flags for every BuildSpec option and compatibility setting (pure)."""

from __future__ import annotations

import itertools
from dataclasses import replace
from pathlib import Path

import pytest

from cfworker.bundle.esbuild import default_defines, entry_path, esbuild_argv
from cfworker.bundle.nodecompat import BUILTINS
from cfworker.config.model import DEFAULT_MODULE_RULES, BuildSpec, ModuleRule
from cfworker.errors import UserError
from tests.unit.bundle.helpers import make_project

ROOT = Path("/p")
OUT = Path("/p/dist")


def argv_for(**build: object) -> list[str]:
    project = make_project(ROOT, build=BuildSpec(**build))  # type: ignore[arg-type]
    return esbuild_argv(project, outdir=OUT, esbuild="/bin/esbuild")


def test_argv_defaults_match_wranglers_module_worker_flags() -> None:
    """With defaults the argv is exactly wrangler's ES-module flags plus outputs and metafile."""
    assert argv_for() == [
        "/bin/esbuild", "src/index.js", "--bundle", "--format=esm", "--platform=browser",
        "--target=es2022", "--conditions=workerd,worker,browser",
        "--external:cloudflare:*", "--external:node:*",
        '--define:process.env.NODE_ENV="production"',
        '--define:global.process.env.NODE_ENV="production"',
        '--define:globalThis.process.env.NODE_ENV="production"',
        '--define:navigator.userAgent="Cloudflare-Workers"',
        "--loader:.js=jsx", "--loader:.mjs=jsx", "--loader:.cjs=jsx",
        "--loader:.txt=copy", "--loader:.html=copy", "--loader:.sql=copy",
        "--loader:.bin=copy", "--loader:.wasm=copy",
        "--keep-names", "--sourcemap=external",
        "--outdir=/p/dist", "--entry-names=[name]", "--asset-names=[name]-[hash]",
        "--metafile=/p/dist/meta.json", "--log-level=warning", "--color=false",
    ]


@pytest.mark.parametrize(
    ("minify", "sourcemap", "keep_names"), list(itertools.product([False, True], repeat=3))
)
def test_argv_switches_follow_each_option_combination(minify: bool, sourcemap: bool, keep_names: bool) -> None:
    """--minify, --sourcemap=external and --keep-names appear exactly when their option is on."""
    argv = argv_for(minify=minify, sourcemap=sourcemap, keep_names=keep_names)
    assert ("--minify" in argv) is minify
    assert ("--sourcemap=external" in argv) is sourcemap
    assert ("--keep-names" in argv) is keep_names
    assert argv.count("--bundle") == 1


def test_argv_target_and_externals_come_from_the_spec() -> None:
    """[build] target and external become --target and one --external per entry."""
    argv = argv_for(target="es2024", external=("pg-native", "@aws-sdk/*"))
    assert "--target=es2024" in argv
    assert "--external:pg-native" in argv and "--external:@aws-sdk/*" in argv


def test_argv_user_define_overrides_the_default_node_env() -> None:
    """A user define of process.env.NODE_ENV replaces wrangler's default instead of duplicating it."""
    argv = argv_for(define=(("process.env.NODE_ENV", '"development"'), ("DEBUG", "true")))
    defines = [a for a in argv if a.startswith("--define:")]
    assert '--define:process.env.NODE_ENV="development"' in defines
    assert '--define:process.env.NODE_ENV="production"' not in defines
    assert "--define:DEBUG=true" in defines
    assert '--define:globalThis.process.env.NODE_ENV="production"' in defines


@pytest.mark.parametrize(
    ("date", "flags", "expected"),
    [
        ("2022-03-20", (), False),
        ("2022-03-21", (), True),
        ("2021-01-01", ("global_navigator",), True),
        ("2025-06-01", ("no_global_navigator",), False),
    ],
)
def test_navigator_user_agent_define_follows_the_compatibility_date(
    date: str, flags: tuple[str, ...], expected: bool
) -> None:
    """navigator.userAgent is defined from 2022-03-21 on, or with global_navigator, never with no_global_navigator."""
    project = make_project(ROOT, compatibility_date=date, compatibility_flags=flags)
    assert ("navigator.userAgent" in dict(default_defines(project))) is expected


def test_node_builtins_are_aliased_only_under_nodejs_compat() -> None:
    """Bare built-in imports map to node:* under nodejs_compat; node:* stays external either way."""
    plain = esbuild_argv(make_project(ROOT), outdir=OUT)
    compat = esbuild_argv(make_project(ROOT, compatibility_flags=("nodejs_compat",)), outdir=OUT)
    assert not any(a.startswith("--alias:") for a in plain)
    assert "--alias:buffer=node:buffer" in compat
    assert len([a for a in compat if a.startswith("--alias:")]) == len(BUILTINS)
    assert "--external:node:*" in plain and "--external:node:*" in compat


def test_v2_with_the_polyfill_copy_bundles_what_the_date_lacks() -> None:
    """nodejs_compat v2 at 2025-03-10: node:os and os come from unenv, node:buffer stays native, the
    preset's process and console become globals and its performance polyfill is injected."""
    tree = Path("/poly")
    argv = esbuild_argv(make_project(ROOT, compatibility_date="2025-03-10", compatibility_flags=("nodejs_compat",)),
                        outdir=OUT, polyfills=tree)
    os_file = tree / "node_modules" / "unenv" / "dist" / "runtime" / "node" / "os.mjs"
    assert f"--alias:node:os={os_file}" in argv and f"--alias:os={os_file}" in argv
    assert "--alias:buffer=node:buffer" in argv and not any(a.startswith("--alias:node:buffer=") for a in argv)
    assert f"--inject:{tree / 'generated' / 'inject' / 'process.js'}" in argv
    assert f"--inject:{tree / 'generated' / 'inject' / 'console.js'}" in argv
    perf = tree / "node_modules" / "@cloudflare" / "unenv-preset" / "dist" / "runtime" / "polyfill" / "performance.mjs"
    assert f"--inject:{perf}" in argv
    shim = tree / "generated" / "interop" / "unenv-npm-node-fetch.js"
    assert f"--alias:node-fetch={shim}" in argv


def test_v2_at_a_recent_date_leaves_every_builtin_to_the_runtime() -> None:
    """At 2026-11-01 workerd provides every module: only node: aliases and unenv's npm shims remain."""
    tree = Path("/poly")
    argv = esbuild_argv(make_project(ROOT, compatibility_date="2026-11-01"), outdir=OUT, polyfills=tree)
    bundled = [a for a in argv if a.startswith("--alias:") and "=/poly/" in a]
    assert {a.split("=")[0] for a in bundled} == {f"--alias:{k}" for k in (
        "cross-fetch", "cross-fetch/polyfill", "fsevents", "inherits", "isomorphic-fetch", "node-fetch",
        "node-fetch-native", "node-fetch-native/polyfill", "whatwg-url", "whatwg-url/webidl2js-wrapper")}
    assert not any(a.startswith("--inject:") for a in argv)


def test_v1_gets_no_polyfills_even_with_the_copy() -> None:
    """nodejs_compat before 2024-09-23 is v1: built-ins are left for the runtime, nothing is bundled."""
    argv = esbuild_argv(make_project(ROOT, compatibility_date="2024-06-01", compatibility_flags=("nodejs_compat",)),
                        outdir=OUT, polyfills=Path("/poly"))
    assert not any("/poly" in a for a in argv) and "--alias:os=node:os" in argv


def test_user_rules_add_copy_loaders_once_per_extension() -> None:
    """Each rule extension gets one copy loader, user rules first, duplicates dropped."""
    rules = (ModuleRule("data", ("assets/**/*.txt", "**/*.dat")), *DEFAULT_MODULE_RULES)
    loaders = [a for a in argv_for(rules=rules) if a.endswith("=copy")]
    assert loaders == [
        "--loader:.txt=copy", "--loader:.dat=copy", "--loader:.html=copy", "--loader:.sql=copy",
        "--loader:.bin=copy", "--loader:.wasm=copy",
    ]


def test_rule_for_a_code_extension_is_refused() -> None:
    """A text rule matching .ts files is a UserError, not a silently broken build."""
    with pytest.raises(UserError, match=r"\.ts files"):
        argv_for(rules=(ModuleRule("text", ("**/*.ts",)),))


def test_entry_outside_the_root_stays_absolute_and_color_is_passed() -> None:
    """An entry outside the project root is passed as an absolute path; color=True sets --color=true."""
    project = replace(make_project(ROOT), main=Path("/elsewhere/worker.ts"))
    argv = esbuild_argv(project, outdir=OUT, color=True)
    assert entry_path(project) == "/elsewhere/worker.ts"
    assert argv[0] == "esbuild" and argv[1] == "/elsewhere/worker.ts"
    assert "--color=true" in argv
