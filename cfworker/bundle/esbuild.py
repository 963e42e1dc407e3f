"""esbuild's command line and its metafile, as plain values (pure).

`esbuild_argv()` builds the flags wrangler uses for an ES-module Worker (api-notes §7.1);
`parse_metafile()` reads esbuild's `--metafile` JSON into frozen dataclasses. Neither runs
anything: `cfworker.bundle.build_project` runs the argv through a `Runner` and hands the
metafile text here. Module rules become `--loader:.ext=copy` (see `cfworker.bundle.rules`).
"""

from __future__ import annotations

import json
import posixpath
import re
from dataclasses import dataclass
from pathlib import Path, PurePath

from cfworker.bundle.nodecompat import BUILTINS
from cfworker.bundle.rules import rule_extensions
from cfworker.config.model import Project

# wrangler's `conditions` default (WRANGLER_BUILD_CONDITIONS unset).
CONDITIONS = "workerd,worker,browser"
NAVIGATOR_UA_DATE = "2022-03-21"  # from this compatibility date on, navigator.userAgent exists
NODE_ENV_KEYS = ("process.env.NODE_ENV", "global.process.env.NODE_ENV", "globalThis.process.env.NODE_ENV")
METAFILE_NAME = "meta.json"
# Asset name template for rule-matched modules: content-addressed, as wrangler's names are.
ASSET_NAMES = "[name]-[hash]"

def entry_path(project: Project) -> str:
    """The entry as esbuild should see it: relative to the project root when inside it."""
    try:
        return PurePath(project.entry).relative_to(project.root).as_posix()
    except ValueError:
        return str(project.entry)


def node_flags(project: Project, polyfills: Path | None) -> list[str]:
    """How Node built-in imports resolve under nodejs_compat (none without it).

    v2 with the polyfill copy: what workerd provides becomes a `node:` import, the rest is
    bundled from unenv and @cloudflare/unenv-preset (cfworker.bundle.nodecompat). v1, or no
    copy given: every bare built-in (`buffer`, `util/types`) becomes its `node:` form for the
    runtime to provide.
    """
    if project.node_compat_mode == "v2" and polyfills is not None:
        from cfworker.bundle.nodecompat import node_env
        from cfworker.bundle.polyfills import esbuild_flags

        return esbuild_flags(node_env(project.compatibility_date, project.compatibility_flags), polyfills)
    if project.nodejs_compat:
        return [f"--alias:{name}=node:{name}" for name in BUILTINS]
    return []


def needs_polyfills(project: Project) -> bool:
    """Whether the build reads cfworker's polyfill copy (nodejs_compat v2, as in wrangler)."""
    return project.node_compat_mode == "v2"


def provided_node_modules(project: Project) -> frozenset[str] | None:
    """The `node:` modules the runtime provides: None for all (nodejs_compat), else the few
    a narrower flag turns on (`nodejs_als`: node:async_hooks only, as in workerd)."""
    if project.nodejs_compat:
        return None
    return frozenset({"async_hooks"}) if "nodejs_als" in project.compatibility_flags else frozenset()


REQUIRE_PRELUDE_MARK = "/* cfworker: require() of Node built-ins, resolved to imports */"


def required_builtins(entry: MetaOutput) -> list[str]:
    """`node:` modules the bundle loads with require() (CommonJS dependencies), in first-seen order."""
    return list(dict.fromkeys(imp.path for imp in entry.imports
                              if imp.external and imp.kind == "require-call" and imp.path.startswith("node:")))


def require_prelude(specifiers: list[str]) -> bytes:
    """One line that makes esbuild's `__require("node:x")` return the runtime's module.

    esbuild leaves a require() of an external module as `__require(...)`, which throws
    "Dynamic require of ... is not supported" in a Worker unless a `require` is in scope.
    wrangler turns such calls into imports with a plugin (hybrid-nodejs-compat.ts: `import
    libDefault from 'node:x'; module.exports = libDefault`); esbuild's binary has no plugins,
    so the bundle gets the same default imports and a module-scoped `require` that returns
    them (its helper checks `typeof require` first, minified or not). One line, so the
    source map only needs one more empty line at the top (`shift_sourcemap`).
    """
    imports = "".join(f'import __cfw_node_{i} from {json.dumps(s)};' for i, s in enumerate(specifiers))
    table = ",".join(f'{json.dumps(s)}:__cfw_node_{i},{json.dumps(s[5:])}:__cfw_node_{i}'
                     for i, s in enumerate(specifiers))
    body = (f"var require={REQUIRE_PRELUDE_MARK}((m)=>(n)=>{{if(Object.prototype.hasOwnProperty.call(m,n))"
            f"return m[n];throw Error('Dynamic require of \"'+n+'\" is not supported')}})({{{table}}});")
    return (imports + body + "\n").encode()


POLYFILLS_LABEL = "cfworker-polyfills"


def upload_sourcemap(text: bytes, main_module: str, map_dir: str, entry_dir: str,
                     polyfills_dir: str | None = None) -> bytes:
    """The source map as uploaded, normalised as wrangler does (deployment-bundle/source-maps.ts):
    `file` is the main module's name in the upload, and each source is relative to the entry
    module's folder rather than to the output folder, so stack traces in the dashboard and
    `wrangler tail` read `index.ts` and `../node_modules/pkg/x.js`. Sources in the polyfill
    copy (`polyfills_dir`, relative to the project root like the other two) read
    `cfworker-polyfills/node_modules/unenv/...`, the same on every machine."""
    data = json.loads(text)
    data["file"] = main_module
    sources = data.get("sources")

    def rebase(source: str) -> str:
        path = posixpath.normpath(posixpath.join(map_dir, source))
        if polyfills_dir and (path + "/").startswith(polyfills_dir + "/"):
            return POLYFILLS_LABEL + path[len(polyfills_dir):]
        return posixpath.relpath(path, entry_dir)

    if isinstance(sources, list):
        data["sources"] = [rebase(s) if isinstance(s, str) and not re.match(r"^[a-z][a-z0-9+.-]*:", s) else s
                           for s in sources]
    return json.dumps(data, separators=(",", ":")).encode()


def label_polyfill_paths(code: bytes, polyfills_dir: str) -> bytes:
    """esbuild's `// <path>` comments before each bundled file name the polyfill copy by its place
    in the user's cache; the bundle says `cfworker-polyfills/...` instead, so the same project
    gives the same bytes on every machine (and a home folder's name is not uploaded).
    Only whole comment lines change, so the source map stays aligned."""
    pattern = re.compile(rb"(?m)^(\s*// )" + re.escape(polyfills_dir.encode()) + rb"/")
    return pattern.sub(rb"\g<1>" + POLYFILLS_LABEL.encode() + b"/", code)


def shift_sourcemap(text: bytes, lines: int = 1) -> bytes:
    """The source map of a bundle that got `lines` new lines at the top (each is an empty group)."""
    data = json.loads(text)
    data["mappings"] = ";" * lines + str(data.get("mappings", ""))
    return json.dumps(data, separators=(",", ":")).encode()


def default_defines(project: Project) -> list[tuple[str, str]]:
    """wrangler's implicit defines, minus any key the user defines in [build] define."""
    user = {key for key, _ in project.build.define}
    defines = [(key, '"production"') for key in NODE_ENV_KEYS]
    flags = project.compatibility_flags
    if "no_global_navigator" not in flags and (
        project.compatibility_date >= NAVIGATOR_UA_DATE or "global_navigator" in flags
    ):
        defines.append(("navigator.userAgent", '"Cloudflare-Workers"'))
    return [(k, v) for k, v in defines if k not in user]


def esbuild_argv(
    project: Project, *, outdir: Path, esbuild: str | Path = "esbuild", color: bool = False,
    polyfills: Path | None = None,
) -> list[str]:
    """The esbuild command that bundles `project` into `outdir` as one Worker ES module.

    `polyfills` is cfworker's copy of the Node.js polyfills (cfworker.bundle.polyfills), which
    a nodejs_compat v2 build needs to match wrangler's output (see `node_flags`).
    Outputs: `<entry stem>.js`, its `.map` when source maps are on, `meta.json`, and one
    copied file per rule-matched import. Run it with the project root as working directory.
    """
    spec = project.build
    argv = [
        str(esbuild),
        entry_path(project),
        "--bundle",
        "--format=esm",
        "--platform=browser",
        f"--target={spec.target}",
        f"--conditions={CONDITIONS}",
        "--external:cloudflare:*",
        # node:* stays external even without nodejs_compat: the build then reports every
        # such import by file with the flag to add, instead of esbuild's "use --platform=node".
        "--external:node:*",
    ]
    argv += node_flags(project, polyfills)
    argv += [f"--external:{path}" for path in spec.external]
    argv += [f"--define:{key}={value}" for key, value in default_defines(project)]
    argv += [f"--define:{key}={value}" for key, value in spec.define]
    # wrangler parses .js/.mjs/.cjs as JSX too, so JSX in a .js file builds the same way.
    argv += ["--loader:.js=jsx", "--loader:.mjs=jsx", "--loader:.cjs=jsx"]
    argv += [f"--loader:{ext}=copy" for ext in rule_extensions(spec.rules)]
    if spec.minify:
        argv.append("--minify")
    if spec.keep_names:
        argv.append("--keep-names")
    if spec.sourcemap is not False:
        argv.append("--sourcemap=external")
    argv += [
        f"--outdir={outdir}",
        "--entry-names=[name]",
        f"--asset-names={ASSET_NAMES}",
        f"--metafile={outdir / METAFILE_NAME}",
        "--log-level=warning",
        f"--color={'true' if color else 'false'}",
    ]
    return argv


# -- metafile ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MetaImport:
    """One import edge: `path` as esbuild resolved it, `original` as written in the source."""

    path: str
    kind: str
    external: bool = False
    original: str | None = None


@dataclass(frozen=True, slots=True)
class MetaInput:
    """A source file esbuild read (path relative to the working directory)."""

    path: str
    bytes: int
    imports: tuple[MetaImport, ...]


@dataclass(frozen=True, slots=True)
class MetaOutput:
    """A file esbuild wrote: the bundle, its map, or a copied rule-matched file."""

    path: str
    bytes: int
    imports: tuple[MetaImport, ...]
    exports: tuple[str, ...]
    inputs: tuple[str, ...]
    entry_point: str | None = None


@dataclass(frozen=True, slots=True)
class Metafile:
    """esbuild's metafile: what went in and what came out."""

    inputs: tuple[MetaInput, ...]
    outputs: tuple[MetaOutput, ...]

    def entry(self) -> MetaOutput:
        """The output built from the entry point (the Worker's main module)."""
        for output in self.outputs:
            if output.entry_point is not None:
                return output
        raise ValueError("the metafile lists no output with an entry point")

    def assets(self) -> tuple[MetaOutput, ...]:
        """Outputs copied by a module rule (neither the entry nor a source map)."""
        return tuple(
            o for o in self.outputs if o.entry_point is None and not o.path.endswith(".map")
        )

    def source_files(self) -> tuple[str, ...]:
        """Inputs that are files on disk (skips esbuild's virtual `ns:...` and `<...>` inputs)."""
        return tuple(i.path for i in self.inputs if is_file_path(i.path))


def is_file_path(path: str) -> bool:
    """False for esbuild's virtual module names such as `<define:x>` or `(disabled):fs`."""
    return not (path.startswith(("<", "(")) or re.match(r"^[a-z][a-z0-9-]+:(?![\\/])", path))


def _imports(raw: object) -> tuple[MetaImport, ...]:
    items = raw if isinstance(raw, list) else []
    return tuple(
        MetaImport(
            path=str(i["path"]),
            kind=str(i.get("kind", "")),
            external=bool(i.get("external", False)),
            original=i.get("original"),
        )
        for i in items
        if isinstance(i, dict) and "path" in i
    )


def parse_metafile(text: str | bytes) -> Metafile:
    """Parse esbuild's metafile JSON; malformed input raises ValueError."""
    try:
        raw = json.loads(text)
        inputs = tuple(
            MetaInput(path=p, bytes=int(v.get("bytes", 0)), imports=_imports(v.get("imports")))
            for p, v in raw["inputs"].items()
        )
        outputs = tuple(
            MetaOutput(
                path=p,
                bytes=int(v.get("bytes", 0)),
                imports=_imports(v.get("imports")),
                exports=tuple(str(e) for e in v.get("exports", ())),
                inputs=tuple(v.get("inputs", {})),
                entry_point=v.get("entryPoint"),
            )
            for p, v in raw["outputs"].items()
        )
    except (KeyError, TypeError, AttributeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not an esbuild metafile: {exc}") from exc
    return Metafile(inputs=inputs, outputs=outputs)


def node_imports(meta: Metafile) -> list[tuple[str, str]]:
    """(importing file, specifier) for every `node:` import esbuild left external."""
    return [
        (i.path, imp.path)
        for i in meta.inputs
        for imp in i.imports
        if imp.external and imp.path.startswith("node:")
    ]


def query_rewrites(entry: MetaOutput, outdir_key: str) -> list[tuple[str, str]]:
    """Import specifiers in the bundle that carry a `?query` (e.g. `?module`), with their fix.

    esbuild's copy loader keeps `./x-HASH.wasm?module` as written, but the module is uploaded
    as `x-HASH.wasm`; returns (old, new) specifier pairs relative to the bundle.
    """
    pairs: dict[str, str] = {}
    for imp in entry.imports:
        if imp.external or "?" not in imp.path:
            continue
        rel = posixpath.relpath(imp.path, outdir_key)
        old = rel if rel.startswith("../") else "./" + rel
        pairs[old] = old.split("?", 1)[0]
    return list(pairs.items())


def apply_rewrites(code: bytes, rewrites: list[tuple[str, str]]) -> bytes:
    """Replace quoted specifiers in bundle code, padding with spaces after the closing quote.

    Padding keeps every later column where it was, so the source map stays exact.
    """
    for old, new in rewrites:
        pad = b" " * (len(old) - len(new))
        for quote in (b'"', b"'"):
            code = code.replace(quote + old.encode() + quote, quote + new.encode() + quote + pad)
    return code
