"""The redeploy loop behind `cfworker watch` and `cfworker deploy --watch` (I/O).

    start -> load worker.toml, build, deploy with the full plan shown (as `cfworker deploy`)
    wait  -> `ChangeFeed` (cfworker.watcher): debounced, coalesced changes; one deploy at a time,
             and saves made during a deploy become exactly one more deploy after it
    cycle -> worker.toml changed: reload it, rebuild, replan everything (routes, KV, crons, hooks)
             a source file changed: rebuild; a bundle identical to the live one stops here
             otherwise `Pipeline.deploy` (run_deploy); each redeploy prints one line
Nothing the user does ends the session: config and build errors are printed and the last good
deployment stays live; a build that failed because a file vanished mid-save (atomic saves) is
retried once after the next event; Cloudflare outages (5xx, 429, network) are retried with
backoff, printing one line when they start and one when they end. Stopping (Ctrl-C, SIGTERM)
returns 0 between deploys and 130 when a deploy in flight had to be abandoned.
The Pipeline and the Watcher are injected: unit tests drive the loop with prepared changes.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from cfworker.errors import (
    EXIT_INTERRUPTED,
    EXIT_OK,
    BundleError,
    CfWorkerError,
    ConfigError,
)
from cfworker.watcher import (
    ChangeFeed,
    ChangeSet,
    Stamp,
    Watcher,
    changed_since,
    stamp,
    stamps,
    targets_for,
    unsettled,
    watchfiles_watcher,
)

if TYPE_CHECKING:
    from cfworker.bundle.model import Bundle
    from cfworker.config.model import Project
    from cfworker.deploy import DeployOutcome
    from cfworker.ui import UI

log = logging.getLogger(__name__)

# Waits between automatic retries while Cloudflare is unavailable. The client has already
# retried each request for a few seconds before a deploy counts as failed.
RETRY_DELAYS = (2.0, 4.0, 8.0, 15.0, 30.0)
# How long a file that vanished mid-build (an atomic save in progress) has to come back
# before the failed build is retried anyway and its error shown.
SAVE_GRACE = 0.5


@dataclass(frozen=True, slots=True)
class DeployReport:
    """What the loop needs from one deploy (`report_from_outcome` builds it from run_deploy's)."""

    exit_code: int
    message: str | None = None
    uploaded: bool = False
    upload_ms: float | None = None
    urls: tuple[str, ...] = ()
    other_changes: tuple[str, ...] = ()  # applied steps besides the upload, described
    retryable: bool = False  # failed only because Cloudflare was unavailable
    retry_after: float | None = None
    details: tuple[str, ...] = ()  # lines explaining a failure (conflicts, failed steps)
    config_written: bool = False  # the deploy wrote KV ids into worker.toml
    live: bool = False  # the script and routes are deployed even though something failed (a hook)


class Pipeline(Protocol):
    """Load, build and deploy one project; the CLI provides the real one (cfworker.cli.watch)."""

    @property
    def config_path(self) -> Path:
        """The worker.toml being watched."""

    def load(self) -> Project:
        """Read and validate worker.toml (ConfigError when it has problems)."""

    def build(self, project: Project) -> Bundle:
        """Bundle the Worker (BundleError when the code does not build)."""

    def deploy(self, project: Project, bundle: Bundle, *, verbose: bool) -> DeployReport:
        """Read, plan and apply; verbose shows the whole plan and summary (the first deploy)."""


@dataclass
class WatchOptions:
    """Knobs and handles of one session (tests shorten the waits and hold the stop event)."""

    stop: threading.Event = field(default_factory=threading.Event)
    busy: threading.Event = field(default_factory=threading.Event)  # set while a cycle runs
    watcher: Watcher | None = None  # None: watchfiles with the debounce in cfworker.watcher
    retry_delays: tuple[float, ...] = RETRY_DELAYS
    save_grace: float = SAVE_GRACE
    skip_unchanged: bool = True  # False (--force): every rebuild is deployed
    # `watch --json`: told one dict per event (watching, deployed, unchanged, build_failed,
    # config_error, deploy_failed, outage, recovered, stopped, interrupted); one JSON line each
    events: Callable[[dict[str, Any]], None] | None = None


def retryable(exc: BaseException) -> bool:
    """True for failures that go away by themselves: 5xx, 429 and network errors."""
    from cfworker.api.errors import CloudflareAPIError

    return isinstance(exc, CloudflareAPIError) and (exc.status is None or exc.status == 429 or exc.status >= 500)


def report_from_outcome(outcome: DeployOutcome) -> DeployReport:
    """The DeployReport of a run_deploy outcome."""
    from cfworker.deploy.concerns.script import DeployVersion, UploadScript
    from cfworker.deploy.render import render_plan

    execution = outcome.execution
    upload = execution.output_of("script") if execution else {}
    urls = tuple(outcome.plan.facts.get("urls", ()))
    others = tuple(r.step.describe() for r in execution.applied
                   if not isinstance(r.step, (UploadScript, DeployVersion))) if execution else ()
    failed = execution.failed if execution else []
    details: list[str] = []
    if outcome.exit_code != EXIT_OK:
        details = [line for line in render_plan(outcome.plan)[1:] if line.lstrip().startswith(("!", "fix:"))]
        details += [f"  ! failed: {r.step.describe()}: {r.detail}" for r in failed]
    can_retry = bool(failed) and all(r.error is not None and retryable(r.error) for r in failed)
    return DeployReport(
        exit_code=outcome.exit_code, message=failed[0].detail if can_retry else outcome.message,
        uploaded=bool(upload), upload_ms=upload.get("upload_ms"), urls=urls, other_changes=others,
        retryable=can_retry, details=tuple(details), config_written=bool(outcome.written_ids),
        live=bool(failed) and all(r.step.phase == "post" for r in failed),
    )


@dataclass(frozen=True, slots=True)
class _Pending:
    """Work the loop owes: the changes since the last deploy and how far retries got."""

    change: ChangeSet = field(default_factory=ChangeSet)
    save_retry: bool = False  # already waited once for a file that vanished mid-save
    rebuilt: bool = False  # already rebuilt once because files changed while esbuild ran
    attempt: int = 0  # deploys that failed because Cloudflare was unavailable

    def add(self, change: ChangeSet) -> _Pending:
        return replace(self, change=self.change.merge(change))


Next = tuple[_Pending | None, float | None]  # what is still owed, and how long to wait first


def run_watch(pipeline: Pipeline, *, ui: UI, options: WatchOptions | None = None) -> int:
    """Deploy, then redeploy on every change until stopped; returns the exit code."""
    session = _Session(pipeline, ui, options or WatchOptions())
    try:
        code = session.run()
    finally:
        session.feed.close()
    if code == EXIT_OK:
        ui.step("Stopped watching; the last deployment stays live.")
    session.event("stopped" if code == EXIT_OK else "interrupted", exit_code=code)
    return code


class _Session:
    """One watch session's state; `run()` is the loop of the module docstring."""

    def __init__(self, pipeline: Pipeline, ui: UI, options: WatchOptions) -> None:
        self.pipeline, self.ui, self.options = pipeline, ui, options
        self.config_path = pipeline.config_path
        self.project: Project | None = None
        self.config_ok = False
        self.inputs: tuple[Path, ...] = ()
        self.outdir: Path | None = None
        self.settled: dict[Path, Stamp] = {}  # files as the last build (or load) saw them
        self.live_hash: str | None = None  # content hash of the bundle this session deployed last
        self.deployed = False
        self.outage_since: float | None = None
        self.exit_code = EXIT_OK
        watcher = options.watcher or watchfiles_watcher()
        self.feed = ChangeFeed(targets_for(self.config_path), watcher=watcher, stop=options.stop)

    def event(self, kind: str, **fields: Any) -> None:
        if self.options.events is not None:
            self.options.events({"event": kind, "time": time.strftime("%Y-%m-%dT%H:%M:%S"), **fields})

    def run(self) -> int:
        stop = self.options.stop
        self.feed.start()  # before the first build: a save made while it runs is not lost
        pending: _Pending | None = _Pending(ChangeSet(config=True))
        timeout: float | None = 0.0
        announced = False
        while not stop.is_set():
            if pending is None or timeout:
                if not announced:
                    self.ui.step(f"Watching {self.feed.targets.describe(self._root())} for changes (Ctrl-C to stop)")
                    self.event("watching", targets=self.feed.targets.describe(self._root()))
                    announced = True
                try:
                    change = self.feed.wait(timeout if pending is not None else None)
                except KeyboardInterrupt:
                    return EXIT_OK  # stopped between deploys: nothing was in flight
                change = change and unsettled(change, self.settled, self.config_path)
                if change:
                    pending = (pending or _Pending()).add(change)
                elif pending is None or stop.is_set():
                    continue  # a duplicate event, or stopped
            self.options.busy.set()
            try:
                pending, timeout = self._cycle(pending)
            except KeyboardInterrupt:
                self.ui.error("interrupted: the deploy in progress was abandoned; the last completed "
                              "deploy stays live", hint="run `cfworker deploy` to finish it")
                return EXIT_INTERRUPTED
            finally:
                self.options.busy.clear()
        return self.exit_code

    # -- one cycle: load, build, deploy ---------------------------------------------------------
    def _cycle(self, pending: _Pending) -> Next:
        """Do the pending work; returns what is still owed and how long to wait before retrying."""
        started = time.perf_counter()
        if pending.change.config or not self.config_ok or self.project is None:
            failed = self._load(pending)
            if failed is not None:
                return failed
        assert self.project is not None
        before = self.feed.snapshot([*self.inputs, *pending.change.paths])
        try:
            bundle = self.pipeline.build(self.project)
        except CfWorkerError as exc:  # BundleError, or ToolError (esbuild missing)
            return self._build_failed(pending, exc, before)
        self.inputs, self.outdir = bundle.inputs, bundle.outdir
        self._retarget()
        raced = changed_since(before)
        if raced and not pending.rebuilt:
            # A file changed while the build read it (a save, or the [build] command writing
            # into the tree): build once more rather than deploy a torn read.
            log.debug("changed during the build, building again: %s", raced)
            return replace(pending, rebuilt=True), 0.0
        self.settled.update(self.feed.snapshot(bundle.inputs))
        digest = bundle.content_hash()
        what = f"{pending.change.describe(self._root(), self.config_path)} changed" if self.deployed else "first deploy"
        if self.options.skip_unchanged and self.deployed and not pending.change.config and digest == self.live_hash:
            self.ui.info(f"{_clock()} {what}: bundle unchanged, nothing to deploy")
            self.event("unchanged", change=what)
            return None, None
        verbose = not self.deployed and pending.attempt == 0
        try:
            report = self.pipeline.deploy(self.project, bundle, verbose=verbose)
        except CfWorkerError as exc:
            if not retryable(exc):
                self.live_hash = None
                self.ui.report(exc)
                self.event("deploy_failed", change=what, message=exc.message, hint=exc.hint)
                return None, None
            report = DeployReport(1, exc.message, retryable=True)
        if report.config_written:  # our own KV id write-back is not a change to react to
            self.settled[self.config_path] = stamp(self.config_path)
        return self._deployed(pending, what, bundle, digest, report, started, verbose)

    def _load(self, pending: _Pending) -> Next | None:
        """Reload worker.toml; None when it loaded, else what the cycle returns."""
        before = stamps([self.config_path])
        try:
            self.project = self.pipeline.load()
        except ConfigError as exc:
            self.config_ok = False
            mid_save = bool(changed_since(before)) or not self.config_path.exists()
            if mid_save and not pending.save_retry:
                return replace(pending, save_retry=True), self.options.save_grace
            self.ui.report(exc)
            self.ui.info(f"{_clock()} waiting for {self.config_path.name} to be fixed")
            self.event("config_error", message=exc.message, hint=exc.hint, problems=list(exc.problems))
            self._retarget()
            return None, None
        self.config_ok = True
        self.settled.update(before)
        self._retarget()
        return None

    def _build_failed(self, pending: _Pending, exc: CfWorkerError, before: dict[Path, Stamp]) -> Next:
        vanished = [p for p in pending.change.paths if not p.exists()] + changed_since(before)
        if isinstance(exc, BundleError) and vanished and not pending.save_retry:
            # An atomic save (write a temp file, rename it over) was in progress: wait for the
            # next event (or SAVE_GRACE) and build once more before showing any error.
            log.debug("build failed while %s changed; retrying after the next event", vanished)
            return replace(pending, save_retry=True), self.options.save_grace
        self.ui.report(exc)
        self.ui.info(f"{_clock()} build failed; the last good deployment stays live")
        self.event("build_failed", message=exc.message, hint=exc.hint, notes=list(exc.notes))
        self._retarget()
        return None, None

    def _deployed(self, pending: _Pending, what: str, bundle: Bundle, digest: str, report: DeployReport,
                  started: float, verbose: bool) -> Next:
        if report.exit_code == EXIT_INTERRUPTED:
            if not verbose:
                self.ui.error(report.message or "interrupted", hint="run `cfworker deploy` to finish")
            self.exit_code = EXIT_INTERRUPTED
            self.options.stop.set()
            return None, None
        if report.exit_code == EXIT_OK or (report.live and not report.retryable):
            self.live_hash, self.deployed = digest, True
            if self.outage_since is not None:
                gone = time.monotonic() - self.outage_since
                self.ui.info(f"{_clock()} Cloudflare answers again (after {gone:.0f} s, {pending.attempt} retries)")
                self.event("recovered", after_s=round(gone, 1), retries=pending.attempt)
                self.outage_since = None
            self.event("deployed", change=what, exit_code=report.exit_code, uploaded=report.uploaded,
                       upload_ms=report.upload_ms, urls=list(report.urls), message=report.message)
            if not verbose:
                self.ui.success(_deploy_line(what, bundle, report, started))
                self.ui.lines(f"    {other}" for other in report.other_changes)
                if report.exit_code != EXIT_OK:
                    self.ui.lines(report.details)
                    self.ui.warn(report.message or "a post-deploy hook failed")
            return None, None
        self.live_hash = None  # unknown now: the planner compares with Cloudflare next time
        if report.retryable:
            if self.outage_since is None:
                self.outage_since = time.monotonic()
                self.ui.warn(f"Cloudflare is unavailable ({report.message}); retrying by itself, "
                             "the last good deployment stays live")
                self.event("outage", message=report.message)
            delays = self.options.retry_delays
            delay = max(delays[min(pending.attempt, len(delays) - 1)], report.retry_after or 0.0)
            log.debug("deploy failed (%s); retry %d in %.1f s", report.message, pending.attempt + 1, delay)
            return replace(pending, attempt=pending.attempt + 1), delay
        self.event("deploy_failed", change=what, exit_code=report.exit_code, message=report.message)
        if not verbose:  # a verbose deploy has shown its plan, failures and message already
            self.ui.lines(report.details)
            self.ui.error(f"{what}: {report.message or 'deploy failed'}",
                          hint="fix the problem and save again; the last good deployment stays live")
        return None, None

    def _retarget(self) -> None:
        self.feed.retarget(targets_for(self.config_path, self.project, self.inputs, self.outdir))

    def _root(self) -> Path:
        return self.project.root if self.project is not None else self.config_path.parent


def _deploy_line(what: str, bundle: Bundle, report: DeployReport, started: float) -> str:
    """`12:00:01 src/index.js changed: deployed 1.4 KiB (gzip 612 B), upload 42 ms, total 95 ms -> URL`."""
    from cfworker.ui import human_size

    total = (time.perf_counter() - started) * 1000
    if report.uploaded:
        sent = (f"deployed {human_size(bundle.total_size)} (gzip {human_size(bundle.gzip_size())}), "
                f"upload {report.upload_ms or 0:.0f} ms")
    else:
        sent = "script already up to date, " + (f"{len(report.other_changes)} other change(s)"
                                                 if report.other_changes else "nothing uploaded")
    where = f" -> {report.urls[0]}" + (f" (+{len(report.urls) - 1} more)" if len(report.urls) > 1 else "") \
        if report.urls else ""
    return f"{_clock()} {what}: {sent}, total {total:.0f} ms{where}"


def _clock() -> str:
    return time.strftime("%H:%M:%S")
