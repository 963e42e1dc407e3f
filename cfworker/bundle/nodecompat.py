"""Which Node.js built-ins the runtime provides, and what everything else becomes (pure data).

workerd provides more Node modules natively with each compatibility date; wrangler bundles
a polyfill for the rest, choosing per module with `@cloudflare/unenv-preset`'s rules on top
of `unenv`'s defaults (wrangler deployment-bundle/esbuild-plugins/hybrid-nodejs-compat.ts;
unenv-preset src/preset.ts). The same decisions are here as a table, so a build at
compatibility date 2025-03-10 bundles unenv's `os` instead of leaving `node:os` for a
runtime that has none ("No such module", real-api-quirks #13).

Only nodejs_compat v2 (`Project.node_compat_mode`) bundles polyfills, as in wrangler.
`node_env()` gives, for one date and flag set, the native modules and a target for each of
the others (an `unenv/...` or `@cloudflare/unenv-preset/...` specifier); `cfworker.bundle.
polyfills` turns those specifiers into files of its pinned copy of both packages.
"""

from __future__ import annotations

from dataclasses import dataclass

# Node's built-in module names without the `node:` prefix (unenv-preset's nonPrefixedNodeModules,
# Node 24's builtinModules). `sqlite` exists only as `node:sqlite`: a bare `sqlite` is an npm package.
BUILTINS = (
    "_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing", "_http_server",
    "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_wrap",
    "_stream_writable", "_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks", "buffer",
    "child_process", "cluster", "console", "constants", "crypto", "dgram", "diagnostics_channel", "dns",
    "dns/promises", "domain", "events", "fs", "fs/promises", "http", "http2", "https", "inspector",
    "inspector/promises", "module", "net", "os", "path", "path/posix", "path/win32", "perf_hooks", "process",
    "punycode", "querystring", "readline", "readline/promises", "repl", "stream", "stream/consumers",
    "stream/promises", "stream/web", "string_decoder", "sys", "timers", "timers/promises", "tls",
    "trace_events", "tty", "url", "util", "util/types", "v8", "vm", "wasi", "worker_threads", "zlib",
)
PREFIX_ONLY = ("sqlite",)

# Native in workerd at every date nodejs_compat v2 applies to (unenv-preset defaultNativeModules).
ALWAYS_NATIVE = frozenset({
    "_stream_duplex", "_stream_passthrough", "_stream_readable", "_stream_transform", "_stream_writable",
    "_tls_common", "_tls_wrap", "assert", "assert/strict", "async_hooks", "buffer", "constants", "crypto",
    "diagnostics_channel", "dns", "dns/promises", "events", "net", "path", "path/posix", "path/win32",
    "querystring", "module", "stream", "stream/consumers", "stream/promises", "stream/web", "string_decoder",
    "sys", "timers", "timers/promises", "tls", "url", "util", "util/types", "zlib",
})


@dataclass(frozen=True, slots=True)
class NativeFrom:
    """Modules workerd provides from `date` on, or with `enable_nodejs_<stem>`, unless `disable_nodejs_<stem>`.

    When not native: `hybrid` modules come from the preset (`@cloudflare/unenv-preset/node/<m>`),
    the rest from unenv; `inject` names a global set from the hybrid module's default export;
    `polyfill` is a side-effect module the bundle gets.
    """

    modules: tuple[str, ...]
    date: str
    stem: str
    requires: str | None = None  # another rule's stem (or "fetch_iterable") that must hold too
    hybrid: bool = False
    inject: str | None = None
    polyfill: str | None = None


# unenv-preset 2.16.2 src/preset.ts, one entry per get*Overrides function, in its order.
NATIVE_FROM = (
    NativeFrom(("_http_agent", "_http_client", "_http_common", "_http_incoming", "_http_outgoing", "http",
                "https"), "2025-08-15", "http_modules"),
    NativeFrom(("_http_server",), "2025-09-01", "http_server_modules", requires="http_modules"),
    NativeFrom(("http2",), "2025-09-01", "http2_module"),
    NativeFrom(("os",), "2025-09-15", "os_module"),
    NativeFrom(("fs/promises", "fs"), "2025-09-15", "fs_module"),
    NativeFrom(("punycode",), "2025-12-04", "punycode_module"),
    NativeFrom(("cluster",), "2025-12-04", "cluster_module"),
    NativeFrom(("trace_events",), "2025-12-04", "trace_events_module"),
    NativeFrom(("domain",), "2025-12-04", "domain_module"),
    NativeFrom(("wasi",), "2025-12-04", "wasi_module"),
    NativeFrom(("console",), "2025-09-21", "console_module", hybrid=True, inject="console"),
    NativeFrom(("vm",), "2025-10-01", "vm_module"),
    NativeFrom(("inspector/promises", "inspector"), "2026-01-29", "inspector_module"),
    NativeFrom(("sqlite",), "2026-01-29", "sqlite_module"),
    NativeFrom(("dgram",), "2026-01-29", "dgram_module"),
    NativeFrom(("_stream_wrap",), "2026-01-29", "stream_wrap_module"),
    NativeFrom(("repl",), "2026-03-17", "repl_module"),
    # process v2 also needs the fetch-iterable fixes (workers-sdk#10855).
    NativeFrom(("process",), "2025-09-15", "process_v2", requires="fetch_iterable", hybrid=True, inject="process"),
    NativeFrom(("v8",), "2026-03-17", "v8_module"),
    NativeFrom(("tty",), "2026-03-17", "tty_module"),
    NativeFrom(("child_process",), "2026-03-17", "child_process_module"),
    NativeFrom(("worker_threads",), "2026-03-17", "worker_threads_module"),
    NativeFrom(("readline", "readline/promises"), "2026-03-17", "readline_module"),
    NativeFrom(("perf_hooks",), "2026-03-17", "perf_hooks_module",
               polyfill="@cloudflare/unenv-preset/polyfill/performance"),
)

# unenv's own polyfill for each built-in (src/preset.ts nodeCompatAliases), where it is not
# `unenv/node/<name>`.
UNENV_TARGETS = {
    **{m: "unenv/mock/proxy-cjs" for m in BUILTINS if m.startswith(("_http_", "_stream_", "_tls_"))},
    "path/posix": "unenv/node/path", "path/win32": "unenv/node/path", "sys": "unenv/node/util",
}

# npm packages unenv swaps for lighter shims (unenv npmShims). wrangler keeps the real `debug`.
NPM_SHIMS = {
    "cross-fetch": "unenv/npm/cross-fetch",
    "fsevents": "unenv/npm/fsevents",
    "inherits": "unenv/npm/inherits",
    "node-fetch": "unenv/npm/node-fetch",
    "node-fetch-native": "unenv/npm/node-fetch",
    "whatwg-url": "unenv/npm/whatwg-url/index",
    "whatwg-url/webidl2js-wrapper": "unenv/npm/whatwg-url/webidl2js-wrapper",
    "cross-fetch/polyfill": "unenv/mock/empty",
    "node-fetch-native/polyfill": "unenv/mock/empty",
    "isomorphic-fetch": "unenv/mock/empty",
}


def _fetch_iterable(date: str, flags: frozenset[str]) -> bool:
    """unenv-preset hasFetchIterableFixes: both fetch-iterable changes are in effect."""
    support = (date >= "2026-02-19" or "fetch_iterable_type_support" in flags) \
        and "no_fetch_iterable_type_support" not in flags
    adjusted = ("fetch_iterable_type_support_override_adjustment" in flags or date >= "2026-01-15") \
        and "no_fetch_iterable_type_support_override_adjustment" not in flags
    return support and adjusted


def _enabled(rule: NativeFrom, date: str, flags: frozenset[str]) -> bool:
    on = (date >= rule.date or f"enable_nodejs_{rule.stem}" in flags) and f"disable_nodejs_{rule.stem}" not in flags
    if on and rule.requires == "fetch_iterable":
        return _fetch_iterable(date, flags)
    if on and rule.requires:
        return _enabled(next(r for r in NATIVE_FROM if r.stem == rule.requires), date, flags)
    return on


@dataclass(frozen=True, slots=True)
class NodeEnv:
    """What a nodejs_compat v2 build does with Node built-ins at one date and flag set.

    `native`: modules left for the runtime (bare names; imported as `node:<m>`).
    `targets`: import specifier (`os`, `node:os`, `node-fetch`) -> package specifier bundled instead.
    `inject`: global name -> package specifier whose default export becomes that global.
    `polyfills`: side-effect package specifiers every bundle gets.
    """

    native: frozenset[str]
    targets: dict[str, str]
    inject: dict[str, str]
    polyfills: tuple[str, ...]


def node_env(date: str, flags: tuple[str, ...] | frozenset[str]) -> NodeEnv:
    flagset = frozenset(flags)
    native = set(ALWAYS_NATIVE)
    hybrid: set[str] = set()
    inject: dict[str, str] = {}
    polyfills: list[str] = []
    for rule in NATIVE_FROM:
        if _enabled(rule, date, flagset):
            native.update(rule.modules)
            continue
        if rule.hybrid:
            hybrid.update(rule.modules)
        if rule.inject:
            inject[rule.inject] = f"@cloudflare/unenv-preset/node/{rule.modules[0]}"
        if rule.polyfill:
            polyfills.append(rule.polyfill)
    targets: dict[str, str] = {}
    for name in (*BUILTINS, *PREFIX_ONLY):
        if name in native:
            continue
        target = (f"@cloudflare/unenv-preset/node/{name}" if name in hybrid
                  else UNENV_TARGETS.get(name, f"unenv/node/{name}"))
        keys = (f"node:{name}",) if name in PREFIX_ONLY else (name, f"node:{name}")
        targets.update(dict.fromkeys(keys, target))
    targets.update(NPM_SHIMS)
    return NodeEnv(frozenset(native), targets, inject, tuple(polyfills))


def every_target() -> frozenset[str]:
    """Every package specifier any date and flag set can need (what an installed copy must hold)."""
    specs = {UNENV_TARGETS.get(m, f"unenv/node/{m}") for m in (*BUILTINS, *PREFIX_ONLY)}
    specs |= set(NPM_SHIMS.values())
    for rule in NATIVE_FROM:
        if rule.hybrid:
            specs.update(f"@cloudflare/unenv-preset/node/{m}" for m in rule.modules)
        if rule.polyfill:
            specs.add(rule.polyfill)
    return frozenset(specs)


def needs_interop(spec: str) -> bool:
    """Whether a target is loaded through a CommonJS wrapper, as wrangler does for a require() of
    unenv's npm shims and mocks: `require("node-fetch")` must return the function itself, not an
    ES-module namespace (hybrid-nodejs-compat.ts handleUnenvAliasedPackages)."""
    return spec.startswith(("unenv/npm/", "unenv/mock/"))


def interop_source(spec: str) -> str:
    """The wrapper module for `spec`: its default export as module.exports, named exports on it."""
    return (f"import * as esm from {_js(spec)};\n"
            "module.exports = Object.entries(esm).filter(([k]) => k !== \"default\").reduce(\n"
            "  (cjs, [k, value]) => Object.defineProperty(cjs, k, { value, enumerable: true }),\n"
            "  \"default\" in esm ? esm.default : {});\n")


def inject_source(name: str, spec: str) -> str:
    """The module that sets global `name` to `spec`'s default export before the Worker's code runs."""
    return f"import value from {_js(spec)};\nglobalThis.{name} = value;\n"


def generated_name(spec: str) -> str:
    """A file name for a generated module about `spec` (`unenv/npm/node-fetch` -> `unenv-npm-node-fetch.js`)."""
    return spec.replace("@", "").replace("/", "-") + ".js"


def _js(text: str) -> str:
    import json

    return json.dumps(text)
