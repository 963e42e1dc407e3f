"""Bundling a Worker: run the [build] command, run esbuild, collect the modules (I/O).

`build_project()` is the one entry point. Its stages, in order:
  1. `[build] command` through the platform shell, in `[build] cwd` or the project root;
  2. esbuild with `esbuild_argv()` (pure, `bundle/esbuild.py`) through the given `Runner`;
  3. the metafile is parsed (`parse_metafile()`), `node:` imports are checked against
     nodejs_compat, rule-matched files become text/data/wasm modules;
  4. a `Bundle` holding every module's bytes is returned (what deploy uploads).
Outputs land in `outdir` (default `<root>/dist`): `index.js`, `index.js.map`, `meta.json`
and the extra modules; files a previous build wrote there and this one did not are removed.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
import time
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from cfworker.bundle.esbuild import (
    METAFILE_NAME,
    Metafile,
    apply_rewrites,
    entry_path,
    esbuild_argv,
    label_polyfill_paths,
    node_imports,
    parse_metafile,
    provided_node_modules,
    query_rewrites,
    require_prelude,
    required_builtins,
    shift_sourcemap,
    upload_sourcemap,
)
from cfworker.bundle.model import Bundle, Module

if TYPE_CHECKING:
    from cfworker.assets.manifest import AssetManifest
from cfworker.bundle.rules import match_rule
from cfworker.bundle.runner import BUILD_COMMAND_TIMEOUT, TOOL_TIMEOUT, Runner, shell_argv
from cfworker.config.model import Project
from cfworker.errors import BundleError

__all__ = ["Bundle", "Module", "build_project", "run_build_command"]

log = logging.getLogger(__name__)

Log = Callable[[str], None]
COMMAND_TAIL_LINES = 20
NODEJS_COMPAT_HINT = 'add compatibility_flags = ["nodejs_compat"] to worker.toml'


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 1)


def _text(data: bytes) -> str:
    return data.decode(errors="replace")


def command_environ(project: Project, environ: Mapping[str, str]) -> dict[str, str]:
    """The build command's environment: the project's `node_modules/.bin` first on PATH (as
    npm scripts and wrangler run it), so `vite build` or `tsc` work without npx."""
    folders = dict.fromkeys(str(d / "node_modules" / ".bin") for d in (project.build.cwd or project.root,
                                                                        project.root))
    path = environ.get("PATH", os.defpath)
    return {**environ, "PATH": os.pathsep.join([*folders, path])}


def output_folder(project: Project, outdir: Path | None) -> tuple[Path, str | None]:
    """Where the bundle goes, and a note when the default had to move.

    `main` inside the default `dist/` (a prebuilt entry, e.g. a framework's output) would be
    overwritten or removed by our build there, and a bundle inside the [assets] folder would be
    uploaded as a public file; the bundle then goes to `.cfworker/dist`.
    """
    root = project.root
    if outdir is not None:
        return Path(os.path.normpath(root / outdir)), None
    default = Path(os.path.normpath(root / "dist"))
    main = Path(os.path.normpath(project.entry))
    moved = Path(os.path.normpath(root / ".cfworker" / "dist"))
    if main == default or default in main.parents:
        return moved, (f"main ({main.relative_to(root).as_posix()}) is inside dist/, where cfworker writes its "
                       "bundle by default; the bundle goes to .cfworker/dist instead")
    assets = Path(os.path.normpath(project.assets.directory)) if project.assets is not None else None
    if assets is not None and (assets == default or assets in default.parents or default in assets.parents):
        # The bundle must not become a public asset, nor a site build's output be cleaned away.
        return moved, ("the [assets] directory holds dist/, where cfworker writes its bundle by default; "
                       "the bundle goes to .cfworker/dist instead")
    return default, None


def run_build_command(
    project: Project, *, runner: Runner, log_output: Log | None, environ: Mapping[str, str] | None
) -> float:
    """Run `[build] command` through the shell; returns its wall time in ms, BundleError on failure."""
    command = project.build.command
    assert command is not None
    cwd = project.build.cwd or project.root
    log.debug("build command: running %r in %s", command, cwd)
    argv = shell_argv(command, comspec=(environ or {}).get("COMSPEC"))
    env = command_environ(project, os.environ if environ is None else environ)
    result = runner.run(argv, cwd=cwd, env=env, timeout=BUILD_COMMAND_TIMEOUT)
    output = "\n".join(t.rstrip() for t in (_text(result.stdout), _text(result.stderr)) if t.strip())
    if result.returncode != 0:
        raise BundleError(
            f"[build] command failed with exit code {result.returncode}: {command}",
            notes=output.splitlines()[-COMMAND_TAIL_LINES:],
            hint=f"run it in {cwd} to see its whole output",
        )
    if output and log_output:
        log_output(output)
    return _ms(result.elapsed)


def build_project(
    project: Project,
    *,
    outdir: Path | None = None,
    runner: Runner,
    esbuild_path: Path | str,
    log: Log | None = None,
    color: bool = False,
    environ: Mapping[str, str] | None = None,
    polyfills: Path | None = None,
) -> Bundle:
    """Build `project` into `outdir` and return the Bundle; BundleError if the code does not build.

    `polyfills` is cfworker's copy of the Node.js polyfills, for a nodejs_compat v2 build
    (`needs_polyfills`; cfworker.bundle.polyfills finds or installs it).
    `log` receives tool output to show verbatim (esbuild's diagnostics, the build command's
    output); without it, esbuild's errors go into the BundleError's notes instead.
    """
    start = time.perf_counter()
    root = project.root
    command_ms = None
    if project.build.command:  # it may write main, or the assets folder (a site generator)
        command_ms = run_build_command(project, runner=runner, log_output=log, environ=environ)
    assets = _read_assets(project)
    if project.main is None:  # assets-only: nothing to bundle
        assert assets is not None
        return Bundle(main_module="", modules=(), sourcemap=None, outdir=outdir or root / "dist", assets=assets,
                      command_ms=command_ms, total_ms=_ms(time.perf_counter() - start))
    outdir, moved = output_folder(project, outdir)  # an absolute outdir replaces root
    if project.build.command:
        if not project.entry.is_file():
            raise BundleError(f"main: the entry module {project.entry} does not exist after the [build] command ran",
                              hint=f"make `{project.build.command}` write it, or set main to the file it writes")

    prepare_outdir(outdir, root)
    previous = _previous_outputs(outdir)
    argv = esbuild_argv(project, outdir=outdir, esbuild=esbuild_path, color=color, polyfills=polyfills)
    _log_debug_argv(argv, root)
    result = runner.run(argv, cwd=root, env=environ, timeout=TOOL_TIMEOUT)
    stderr = _text(result.stderr)
    if result.returncode != 0:
        _raise_esbuild_failure(project, stderr, result.returncode, log)
    if stderr.strip() and log:
        log(stderr.rstrip("\n"))  # esbuild's warnings, exactly as it prints them

    try:
        meta = parse_metafile((outdir / METAFILE_NAME).read_bytes())
        entry = meta.entry()
    except (OSError, ValueError) as exc:
        raise BundleError(f"esbuild did not write a usable metafile in {outdir}: {exc}") from exc
    provided = provided_node_modules(project)
    if provided is not None and (found := [(f, spec) for f, spec in node_imports(meta)
                                           if spec[5:].split("/")[0] not in provided]):
        raise _node_compat_error(found, root)

    # Every output sits directly in outdir (no [dir] in the name templates), so names are
    # basenames; esbuild's keys are relative to its working directory (the project root).
    outdir_key, main_name = posixpath.split(entry.path)
    main_file = outdir / main_name
    code = main_file.read_bytes()
    rewritten = apply_rewrites(code, query_rewrites(entry, outdir_key))
    polyfills_dir = _relative_posix(polyfills, root) if polyfills else None
    if polyfills_dir:
        rewritten = label_polyfill_paths(rewritten, polyfills_dir)
    map_file = main_file.with_name(main_file.name + ".map")
    if required := required_builtins(entry):  # CommonJS deps that require("events") and the like
        rewritten = require_prelude(required) + rewritten
        if map_file.exists():
            map_file.write_bytes(shift_sourcemap(map_file.read_bytes()))
    if rewritten != code:
        main_file.write_bytes(rewritten)
    modules = [Module(main_name, rewritten, "esm"), *_rule_modules(project, meta, outdir)]
    sourcemap = None
    if project.build.sourcemap is not False and map_file.exists():
        entry_dir = posixpath.dirname(PurePath(os.path.relpath(project.entry, root)).as_posix())
        uploaded = upload_sourcemap(map_file.read_bytes(), main_name,
                                    PurePath(os.path.relpath(outdir, root)).as_posix(), entry_dir or ".",
                                    polyfills_dir)
        sourcemap = Module(main_name + ".map", uploaded, "sourcemap")

    _remove_stale(previous, meta, outdir)
    warnings = [moved] if moved else []
    if "default" not in entry.exports:
        warnings.append(
            f"{entry_path(project)} has no default export: cfworker builds ES-module Workers only "
            "(the service-worker format is not supported); export default { fetch(request, env, ctx) {...} }"
        )
    return Bundle(
        main_module=main_name,
        modules=tuple(modules),
        sourcemap=sourcemap,
        upload_sourcemap=bool(project.build.sourcemap),
        assets=assets,
        outdir=outdir,
        warnings=tuple(warnings),
        # the polyfill copy is cfworker's, not the project's: watch mode need not observe it
        inputs=tuple(path for path in (Path(os.path.normpath(root / p)) for p in meta.source_files())
                     if polyfills is None or not path.is_relative_to(polyfills)),
        exports=tuple(entry.exports),
        esbuild_ms=_ms(result.elapsed),
        command_ms=command_ms,
        total_ms=_ms(time.perf_counter() - start),
    )


def _read_assets(project: Project) -> AssetManifest | None:
    """The [assets] folder's manifest (its limits checked here, before any write), or None."""
    if project.assets is None:
        return None
    from cfworker.assets.manifest import build_manifest

    directory = project.assets.directory
    return build_manifest(directory, display=_relative_posix(directory, project.root) or str(directory),
                          cache=project.root / ".cfworker" / "assets-hashes.json")


def _relative_posix(path: Path, root: Path) -> str | None:
    """`path` as esbuild names it from `root` (None across Windows drives, where it cannot)."""
    try:
        return PurePath(os.path.relpath(path, root)).as_posix()
    except ValueError:
        return None


def _log_debug_argv(argv: list[str], root: Path) -> None:
    if log.isEnabledFor(logging.DEBUG):
        log.debug("esbuild: running in %s: %s", root, " ".join(argv))


def _raise_esbuild_failure(project: Project, stderr: str, code: int, log_tool: Log | None) -> None:
    text = stderr.rstrip("\n")
    if text and log_tool:
        log_tool(text)
    missing = install_hint(project.root, unresolved_packages(stderr))
    raise BundleError(
        f"esbuild could not bundle {entry_path(project)} (exit {code})",
        notes=() if log_tool else tuple(text.splitlines()),
        hint=missing or (NODEJS_COMPAT_HINT if "is built into node" in stderr else None),
    )


_UNRESOLVED = re.compile(r'Could not resolve "([^"]+)"')
# Lockfile -> (install as locked, add a package), the package manager's own commands.
_MANAGERS = (("pnpm-lock.yaml", "pnpm install --frozen-lockfile", "pnpm add"),
             ("yarn.lock", "yarn install --frozen-lockfile", "yarn add"),
             ("bun.lock", "bun install --frozen-lockfile", "bun add"),
             ("bun.lockb", "bun install --frozen-lockfile", "bun add"),
             ("package-lock.json", "npm ci", "npm install"))


def unresolved_packages(stderr: str) -> list[str]:
    """npm package names esbuild could not resolve (`hono`, `@scope/pkg` from `@scope/pkg/sub`)."""
    names = []
    for spec in _UNRESOLVED.findall(stderr):
        if spec.startswith((".", "/")) or re.match(r"^[a-z][a-z0-9+.-]*:", spec):  # relative, absolute, virtual:
            continue
        parts = spec.split("/")
        names.append("/".join(parts[:2]) if spec.startswith("@") and len(parts) > 1 else parts[0])
    return list(dict.fromkeys(names))


def install_hint(root: Path, packages: list[str]) -> str | None:
    """What to run when packages esbuild could not resolve are missing from node_modules.

    Listed in package.json but not installed: the project's install (by its lockfile), not
    esbuild's "mark it as external" advice. Not listed at all: add it.
    """
    import json

    if not packages:
        return None
    try:
        manifest = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    listed: set[str] = set()
    if isinstance(manifest, dict):
        for key in ("dependencies", "devDependencies", "peerDependencies", "optionalDependencies"):
            if isinstance(manifest.get(key), dict):
                listed |= set(manifest[key])
    install, add = next(((i, a) for lock, i, a in _MANAGERS if (root / lock).is_file()), ("npm install", "npm install"))
    absent = [p for p in packages if not (root / "node_modules" / p).is_dir()]
    not_installed = [p for p in absent if p in listed]
    unknown = [p for p in absent if p not in listed]
    if not_installed:
        return (f"{', '.join(not_installed)} {'is' if len(not_installed) == 1 else 'are'} in package.json but not "
                f"installed: run `{install}` in {root}, then build again")
    if unknown:
        return f"add the package: `{add} {' '.join(unknown)}` in {root}, then build again"
    return None


def _node_compat_error(found: list[tuple[str, str]], root: Path) -> BundleError:
    """A BundleError naming each `node:` import with its file:line:col and the flag to add."""
    where = [f"{_locate(root, importer, spec)}: imports \"{spec}\"" for importer, spec in found]
    specs = sorted({spec for _, spec in found})
    return BundleError(
        f"{where[0]}, a Node.js built-in module, but nodejs_compat is not enabled"
        if len(found) == 1
        else f"{len(found)} imports of Node.js built-in modules ({', '.join(specs)}), "
        "but nodejs_compat is not enabled",
        notes=where if len(found) > 1 else (),
        hint=NODEJS_COMPAT_HINT,
    )


def _locate(root: Path, importer: str, spec: str) -> str:
    """`file:line:col` of the first quoted `spec` in `importer`, or just the file."""
    try:
        source = (root / importer).read_text(errors="replace")
    except OSError:
        return importer
    match = re.search(r"([\"'])" + re.escape(spec) + r"\1", source)
    if match is None:
        return importer
    line = source.count("\n", 0, match.start()) + 1
    col = match.start() - (source.rfind("\n", 0, match.start()) + 1) + 1
    return f"{importer}:{line}:{col}"


def _rule_modules(project: Project, meta: Metafile, outdir: Path) -> list[Module]:
    """The text/data/wasm modules esbuild copied out of the bundle, typed by the first matching rule."""
    modules = []
    for asset in meta.assets():
        source = asset.inputs[0] if asset.inputs else asset.path
        rule = match_rule(source, project.build.rules)
        if rule is None:
            raise BundleError(
                f"{source} is imported but matches no module rule glob",
                hint="add a glob for it to `rules` in worker.toml, e.g. "
                '{ type = "Text", globs = ["**/*.ext"] }',
            )
        name = posixpath.basename(asset.path)
        modules.append(Module(name, (outdir / name).read_bytes(), rule.type))
    return sorted(modules, key=lambda m: m.name)


def prepare_outdir(outdir: Path, root: Path) -> None:
    """Create the output folder; a file in its place or an unwritable folder is a one-line BundleError."""
    shown = os.path.relpath(outdir, root) if outdir.is_relative_to(root) else str(outdir)
    if outdir.exists() and not outdir.is_dir():
        raise BundleError(f"cannot write the bundle: {shown} is a file, not a folder",
                          hint=f"remove or rename {shown}, or pass --outdir DIR")
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        probe = outdir / ".cfworker-write-test"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename and str(exc.filename) != str(outdir) else ""
        raise BundleError(f"cannot write the bundle to {shown}: {exc.strerror or exc}{where}",
                          hint="pass --outdir DIR with a folder you can write") from None


def _previous_outputs(outdir: Path) -> set[str]:
    """Names of the files the last build wrote in `outdir`, per its metafile."""
    try:
        old = parse_metafile((outdir / METAFILE_NAME).read_bytes())
    except (OSError, ValueError):
        return set()
    return {posixpath.basename(o.path) for o in old.outputs}


def _remove_stale(previous: set[str], meta: Metafile, outdir: Path) -> None:
    """Delete files the previous build wrote in outdir that this build did not write again."""
    for name in previous - {posixpath.basename(o.path) for o in meta.outputs}:
        path = outdir / name
        if path.is_file():
            log.debug("removing stale output %s", path)
            path.unlink()
