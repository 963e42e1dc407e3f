"""The `cfworker dev` loop: build, serve on workerd, rebuild and restart on every save (I/O).

    start  -> load worker.toml, build with esbuild, read .dev.vars, write the workerd config
              and modules into <root>/.cfworker/dev/run, open 127.0.0.1:<port>, start workerd
    wait   -> `ChangeFeed` (cfworker.watcher): debounced, coalesced saves
    reload -> reload worker.toml if it changed, rebuild, re-read .dev.vars (when only files of the
              [assets] folder changed, re-read that folder alone: no esbuild); when the result
              differs from what runs, stop workerd (SIGTERM, then SIGKILL) and start a new one
              on the same listening socket, so requests made meanwhile wait instead of failing
A config error, a build error, or a Worker that workerd refuses to start keeps the last good
version serving (for the last, by starting it again). Ctrl-C or SIGTERM stops workerd and
returns 0. KV data lives in <root>/.cfworker/state/kv and survives restarts.
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cfworker.dev.config import CONFIG_NAME, DevConfig, capnp_config, run_files
from cfworker.dev.devvars import DevVars, dev_vars_candidates, parse_dev_vars
from cfworker.dev.logs import (
    ExceptionRecord,
    RequestRecord,
    format_exception,
    format_request,
    parse_record,
    status_color,
)
from cfworker.dev.process import WorkerdProcess, listen_socket, start_workerd
from cfworker.errors import EXIT_OK, CfWorkerError, ToolError, UserError

if TYPE_CHECKING:
    import socket

    from cfworker.bundle.model import Bundle
    from cfworker.config.model import Project
    from cfworker.dev.workerd import Workerd
    from cfworker.ui import UI
    from cfworker.watcher import ChangeFeed, ChangeSet, WatchTargets

log = logging.getLogger(__name__)

DEFAULT_PORT = 8787  # wrangler's
START_TIMEOUT = 15.0


class Builder(Protocol):
    """Loads and builds the project; the CLI provides the real one."""

    @property
    def config_path(self) -> Path:
        """The worker.toml in use."""

    def load(self) -> Project:
        """Read and validate worker.toml (ConfigError when it has problems)."""

    def build(self, project: Project, outdir: Path) -> Bundle:
        """Bundle the Worker into outdir (BundleError when the code does not build)."""


@dataclass(frozen=True, slots=True)
class Prepared:
    """One runnable version of the Worker: what goes into the run directory, and its identity."""

    project: Project
    bundle: Bundle
    config: DevConfig
    dev_vars: DevVars
    key: str  # equal keys mean nothing workerd would see has changed


def dev_dirs(root: Path) -> tuple[Path, Path, Path]:
    """(build output, run directory, KV storage) under <root>/.cfworker."""
    base = root / ".cfworker"
    return base / "dev" / "build", base / "dev" / "run", base / "state" / "kv"


def read_dev_vars(project: Project, environ: Mapping[str, str] | None = None) -> DevVars:
    """The local secrets, as wrangler dev finds them (its dev/dev-vars.ts): `.dev.vars.<env>` or
    `.dev.vars` beside the config; without either, the `.env` files there (`.env`, `.env.local`,
    `.env.<env>`, `.env.<env>.local`, later winning) unless CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV is
    "false". From `.env`, cfworker's own CLOUDFLARE_* settings are not handed to the Worker. With
    `secrets.required` in the config, only those names (and the config's vars) are taken."""
    for path in dev_vars_candidates(project.root, project.env):
        text = _read(path)
        if text is not None:
            return _only_declared(project, parse_dev_vars(text, source=path.name))
    if (environ or {}).get("CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV", "").lower() == "false":
        return DevVars({})
    names = [".env", ".env.local"] + ([f".env.{project.env}", f".env.{project.env}.local"] if project.env else [])
    values: dict[str, str] = {}
    warnings: list[str] = []
    for name in names:
        text = _read(project.root / name)
        if text is None:
            continue
        parsed = parse_dev_vars(text, source=name)
        values.update({k: v for k, v in parsed.values.items() if not k.startswith("CLOUDFLARE_")})
        warnings += parsed.warnings
    return _only_declared(project, DevVars(values, tuple(warnings)))


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {exc}") from exc


def _only_declared(project: Project, found: DevVars) -> DevVars:
    if not project.secrets:
        return found
    allowed = set(project.secrets) | {v.name for v in project.vars}
    return DevVars({k: v for k, v in found.values.items() if k in allowed}, found.warnings)


class DevSession:
    """One `cfworker dev` run: the last good version, the listening socket and the workerd serving it."""

    def __init__(self, builder: Builder, *, ui: UI, workerd: Workerd, environ: Mapping[str, str]) -> None:
        self.builder, self.ui, self.workerd, self.environ = builder, ui, workerd, environ
        self.current: Prepared | None = None
        self.listener: socket.socket | None = None
        self.process: WorkerdProcess | None = None
        self.config_broken = False
        self.url = ""

    # -- preparing a version ----------------------------------------------------------------
    def prepare(self, project: Project, *, reuse: Bundle | None = None) -> Prepared:
        """Build `project` and compute its workerd config (raises CfWorkerError; starts nothing).

        With `reuse`, that bundle's code is kept and only its [assets] folder is read again."""
        build_dir, _run_dir, kv_dir = dev_dirs(project.root)
        bundle = self.builder.build(project, build_dir) if reuse is None else _reread_assets(project, reuse)
        dev_vars = read_dev_vars(project, self.environ)
        config = capnp_config(project, bundle, secrets=dev_vars.values, kv_dir=kv_dir,
                              supported_date=self.workerd.supported_date)
        digest = hashlib.sha256()
        for part in (bundle.content_hash(), config.text, *sorted(f"{k}={v}" for k, v in config.environment.items())):
            digest.update(part.encode() + b"\0")
        for name, data in sorted(config.files.items()):
            digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
        return Prepared(project, bundle, config, dev_vars, digest.hexdigest())

    def _write(self, prepared: Prepared) -> Path:
        """Write the config and every module it embeds into the run directory; returns the config path."""
        _build_dir, run_dir, kv_dir = dev_dirs(prepared.project.root)
        run_dir.mkdir(parents=True, exist_ok=True)
        if prepared.project.bindings_of("kv_namespaces"):
            kv_dir.mkdir(parents=True, exist_ok=True)
        files = run_files(prepared.bundle, prepared.config)
        for name, data in files.items():
            (run_dir / name).write_bytes(data)
        for stale in run_dir.iterdir():
            if stale.is_file() and stale.name not in files:
                stale.unlink()
        return run_dir / CONFIG_NAME

    # -- running workerd ------------------------------------------------------------------------
    def _spawn(self, prepared: Prepared) -> None:
        assert self.listener is not None
        config = self._write(prepared)
        environ = {**self.environ, **prepared.config.environment}
        self.process = start_workerd(self.workerd.binary.path, config, listener=self.listener,
                                     environ=environ, on_output=self._on_output)
        self.process.wait_listening(START_TIMEOUT)

    def _on_output(self, stream: str, line: str) -> None:
        """Show one line of workerd output: request records as the request log, the rest as is."""
        record = parse_record(line)
        if isinstance(record, RequestRecord):
            self.ui.info(self.ui.style(format_request(record), status_color(record.status)))
        elif isinstance(record, ExceptionRecord):
            first, *rest = format_exception(record)
            self.ui.passthrough(self.ui.style(first, "red"))
            for text in rest:
                self.ui.passthrough(text)
        elif stream == "stdout":
            self.ui.info(line)
        else:
            self.ui.passthrough(line)

    def start(self, port: int | None) -> str:
        """Build, listen and serve the first version; returns the URL. Errors propagate."""
        started = time.perf_counter()
        prepared = self.prepare(self.builder.load())
        self.listener = self._listen(port)
        bound = self.listener.getsockname()[1]
        self._spawn(prepared)
        self.current = prepared
        self.url = f"http://127.0.0.1:{bound}"
        self._announce(prepared)
        took = (time.perf_counter() - started) * 1000
        self.ui.success(f"Ready on {self.url} (build {prepared.bundle.total_ms:.0f} ms, total {took:.0f} ms)")
        return self.url

    def _listen(self, port: int | None) -> socket.socket:
        if port is not None:
            return listen_socket(port)
        try:
            return listen_socket(DEFAULT_PORT)
        except UserError:
            self.ui.info(f"port {DEFAULT_PORT} is in use; serving on a free port instead")
            return listen_socket(0)

    def _announce(self, prepared: Prepared) -> None:
        for warning in (*prepared.dev_vars.warnings, *prepared.config.warnings):
            self.ui.warn(warning)
        for note in prepared.config.notes:
            self.ui.info(note)
        lines = _binding_lines(prepared)
        if lines:
            self.ui.info("Bindings:")
            self.ui.lines(f"  {line}" for line in lines)

    def reload(self, change: ChangeSet) -> None:
        """Rebuild after `change`; restart workerd only if the result differs. Never raises CfWorkerError."""
        assert self.current is not None
        started = time.perf_counter()
        what = change.describe(self.current.project.root, self.builder.config_path)
        # While worker.toml is broken every save re-reads it, so its error stays in view.
        reload_config = change.config or self.config_broken
        try:
            if reload_config:
                self.config_broken = True
                project = self.builder.load()
                self.config_broken = False
            else:
                project = self.current.project
            reuse = self.current.bundle if not reload_config and _only_assets(change, self.current) else None
            prepared = self.prepare(project, reuse=reuse)
        except CfWorkerError as exc:
            self.ui.report(exc)
            self.ui.info(f"{_clock()} {what} changed; the last good version keeps serving on {self.url}")
            return
        if prepared.key == self.current.key:
            self.ui.info(f"{_clock()} {what} changed: the Worker is unchanged, nothing to restart")
            return
        built = time.perf_counter()
        refused = self._restart(prepared)
        if refused is not None:
            self.ui.report(refused)
            self.ui.info(f"{_clock()} workerd refused the new version; the last good one keeps serving")
            return
        if reload_config or prepared.dev_vars != self.current.dev_vars:
            self._announce(prepared)
        elif prepared.config.warnings != self.current.config.warnings:  # e.g. a new invalid _redirects line
            for warning in prepared.config.warnings:
                self.ui.warn(warning)
        self.current = prepared
        done = time.perf_counter()
        self.ui.success(f"{_clock()} {what} changed: reloaded in {(done - started) * 1000:.0f} ms "
                        f"(build {(built - started) * 1000:.0f} ms, restart {(done - built) * 1000:.0f} ms)")

    def _restart(self, prepared: Prepared) -> ToolError | None:
        """Replace the running workerd with one serving `prepared`; if workerd refuses it, bring
        the last good version back and return why. An error starting that one propagates."""
        assert self.current is not None
        if self.process is not None:
            self.process.stop()
        try:
            self._spawn(prepared)
            return None
        except ToolError as exc:
            refused = exc
        if self.process is not None:
            self.process.stop()
        self._spawn(self.current)
        return refused

    def revive(self) -> None:
        """Start the current version again if workerd died on its own (a crash, OOM, `kill`)."""
        if self.process is None or self.current is None or self.process.running():
            return
        code = self.process.proc.returncode
        self.process.stop()  # reaps it and closes its pipes
        self.ui.warn(f"workerd exited unexpectedly (code {code}); starting it again")
        self._spawn(self.current)

    def close(self) -> None:
        """Stop workerd and release the port."""
        if self.process is not None:
            self.process.stop()
            self.process = None
        if self.listener is not None:
            self.listener.close()
            self.listener = None


def _binding_lines(prepared: Prepared) -> list[str]:
    project, secrets = prepared.project, prepared.dev_vars.values
    lines = [f"{v.name}: {'text' if v.is_text else 'json'} var" for v in project.vars if v.name not in secrets]
    lines += [f"{name}: secret from .dev.vars" for name in secrets]
    lines += [f"{kv.name}: KV namespace (local, in .cfworker/state/kv)" for kv in project.bindings_of("kv_namespaces")]
    assets, manifest = project.assets, prepared.bundle.assets
    if assets is not None and manifest is not None:
        where = _shown(manifest.directory, project.root)
        if assets.binding and not prepared.bundle.assets_only:
            lines.append(f"{assets.binding}: assets ({len(manifest.files)} file(s) from {where})")
        else:
            lines.append(f"assets: {len(manifest.files)} file(s) from {where}")
    return lines


def _shown(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix() + "/"
    except ValueError:
        return str(path)


def _only_assets(change: ChangeSet, current: Prepared) -> bool:
    """Whether every changed file is in the [assets] folder and none is code esbuild read."""
    spec, bundle = current.project.assets, current.bundle
    if spec is None or bundle.assets is None or change.config or not change.paths:
        return False
    folder = Path(os.path.realpath(spec.directory))
    code = {Path(os.path.realpath(p)) for p in bundle.inputs}
    return all((p == folder or folder in p.parents) and p not in code for p in change.paths)


def _reread_assets(project: Project, bundle: Bundle) -> Bundle:
    """`bundle` with its [assets] manifest read again (the code stays as built)."""
    from cfworker.assets.manifest import build_manifest

    assert project.assets is not None
    directory = project.assets.directory
    manifest = build_manifest(directory, display=_shown(directory, project.root).rstrip("/"))
    return dataclasses.replace(bundle, assets=manifest)


def _clock() -> str:
    return time.strftime("%H:%M:%S")


def watch_targets(session: DevSession) -> WatchTargets:
    """The watcher targets: the project's sources, worker.toml and the .dev.vars files."""
    from cfworker.watcher import targets_for

    assert session.current is not None
    project, bundle = session.current.project, session.current.bundle
    targets = targets_for(session.builder.config_path, project, bundle.inputs, bundle.outdir)
    extra = {Path(os.path.realpath(p)) for p in dev_vars_candidates(project.root, project.env)}
    return dataclasses.replace(targets, files=targets.files | extra)


def run_dev(builder: Builder, *, ui: UI, workerd: Workerd, environ: Mapping[str, str], port: int | None,
            stop: threading.Event | None = None, feed: ChangeFeed | None = None) -> int:
    """Serve until Ctrl-C, SIGTERM or `stop`; returns the exit code (errors before serving raise)."""
    from cfworker.watcher import ChangeFeed, targets_for

    stop = stop or threading.Event()
    feed = feed or ChangeFeed(targets_for(builder.config_path), stop=stop)
    session = DevSession(builder, ui=ui, workerd=workerd, environ=environ)
    try:
        feed.start()  # before the first build: a save made while it runs is not lost
        session.start(port)
        feed.retarget(watch_targets(session))
        assert session.current is not None
        ui.step(f"Watching {feed.targets.describe(session.current.project.root)} for changes (Ctrl-C to stop)")
        while not stop.is_set():
            change = feed.wait(0.5)
            if change is not None:
                session.reload(change)
                feed.retarget(watch_targets(session))
            session.revive()
    except KeyboardInterrupt:
        pass
    finally:
        feed.close()
        session.close()
    if session.url:
        ui.info("Stopped.")
    return EXIT_OK
