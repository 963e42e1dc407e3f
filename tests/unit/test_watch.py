"""The redeploy loop driven by prepared change sets and a fake pipeline (no watcher, no esbuild, no API)."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from cfworker.api.errors import ApiErrorItem, CloudflareAPIError
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import Project
from cfworker.deploy import DeployOutcome
from cfworker.deploy.executor import ExecutionResult, StepResult
from cfworker.deploy.concerns.script import UploadScript
from cfworker.deploy.plan import Plan
from cfworker.errors import BundleError, ConfigError
from cfworker.ui import UI
from cfworker.upload import build_upload_form
from cfworker.watch import DeployReport, WatchOptions, report_from_outcome, run_watch
from cfworker.watcher import DELETED, MODIFIED
from tests.fakes.watcher import FakeWatcher

OK = DeployReport(0, "deployed", uploaded=True, upload_ms=7.0, urls=("https://w.acme.workers.dev",))
OUTAGE = DeployReport(1, "PUT /accounts/a/workers/scripts/w failed with HTTP 503", retryable=True)


class FakePipeline:
    """Loads worker.toml if it says `name`, builds src/index.js as-is (BROKEN fails), deploys from a script."""

    def __init__(self, root: Path, reports: list[DeployReport | BaseException] | None = None) -> None:
        self.root = root
        self.reports = list(reports or [])
        self.calls: list[str] = []
        self.deployed: list[bytes] = []
        self.during_deploy: Callable[[], None] | None = None

    @property
    def config_path(self) -> Path:
        return self.root / "worker.toml"

    def load(self) -> Project:
        self.calls.append("load")
        text = self.config_path.read_text() if self.config_path.exists() else ""
        if "name" not in text:
            raise ConfigError("worker.toml has 1 problem", notes=["- name: required"])
        return Project(config_path=self.config_path, root=self.root, name="w", main=self.root / "src" / "index.js",
                       compatibility_date="2025-01-01")

    def build(self, project: Project) -> Bundle:
        self.calls.append("build")
        index = self.root / "src" / "index.js"
        if not index.exists():
            raise BundleError('Could not resolve "./src/index.js"')
        code = index.read_bytes()
        if b"BROKEN" in code:
            raise BundleError("esbuild could not bundle src/index.js (exit 1)", notes=["✘ [ERROR] Unexpected"])
        return Bundle("index.js", (Module("index.js", code, "esm"),), None, self.root / "dist", inputs=(index,))

    def deploy(self, project: Project, bundle: Bundle, *, verbose: bool) -> DeployReport:
        self.calls.append("deploy:verbose" if verbose else "deploy")
        if self.during_deploy is not None:
            action, self.during_deploy = self.during_deploy, None
            action()
        result = self.reports.pop(0) if self.reports else OK
        if isinstance(result, BaseException):
            raise result
        if result.exit_code == 0:
            self.deployed.append(bundle.main.content)
        return result


class Session:
    """A project in tmp_path, a fake watcher, a fake pipeline and captured output."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tick = 0
        self.write("worker.toml", 'name = "w"\n')
        self.index = self.write("src/index.js", "v0")
        self.watcher = FakeWatcher()
        self.pipeline = FakePipeline(root)
        self.out, self.err = io.StringIO(), io.StringIO()
        self.options = WatchOptions(watcher=self.watcher, retry_delays=(0.25, 1.0), save_grace=0.5)

    def write(self, rel: str, text: str) -> Path:
        """Write a file with a distinct old mtime (never "racy"), as an editor save would."""
        self.tick += 1
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        os.utime(path, (1_600_000_000 + self.tick, 1_600_000_000 + self.tick))
        return path

    def save(self, rel: str, text: str) -> Callable[[], set[tuple[int, str]]]:
        """A watcher step: write the file when the loop waits, and report the event."""
        return lambda: {(MODIFIED, str(self.write(rel, text)))}

    def run(self, *steps: object) -> int:
        self.watcher.steps.extend(steps)  # type: ignore[arg-type]
        return run_watch(self.pipeline, ui=UI(out=self.out, err=self.err, color=False), options=self.options)

    @property
    def output(self) -> str:
        return self.out.getvalue() + self.err.getvalue()


@pytest.fixture
def s(tmp_path: Path) -> Session:
    return Session(Path(os.path.realpath(tmp_path)))


def test_first_deploy_is_verbose_then_each_save_redeploys_with_one_line(s: Session) -> None:
    """Start: load, build, verbose deploy; each save: build and a quiet deploy printing one line."""
    code = s.run(s.save("src/index.js", "v1"), s.save("src/index.js", "v2"))
    assert code == 0
    assert s.pipeline.calls == ["load", "build", "deploy:verbose", "build", "deploy", "build", "deploy"]
    assert s.pipeline.deployed == [b"v0", b"v1", b"v2"]
    lines = [line for line in s.out.getvalue().splitlines() if "changed:" in line]
    assert len(lines) == 2
    assert lines[0].endswith("src/index.js changed: deployed 2 B (gzip 22 B), upload 7 ms, total "
                             + lines[0].split("total ")[1].split(" ")[0] + " ms -> https://w.acme.workers.dev")
    assert "Watching src/, worker.toml for changes" in s.output
    assert "Stopped watching" in s.output


def test_config_change_reloads_and_source_change_does_not(s: Session) -> None:
    """worker.toml changes reload the project (full replan); source-only changes reuse it."""
    s.run(s.save("src/index.js", "v1"), s.save("worker.toml", 'name = "w"\n# edited\n'))
    assert s.pipeline.calls == ["load", "build", "deploy:verbose", "build", "deploy", "load", "build", "deploy"]
    assert "worker.toml changed: " in s.output


def test_unchanged_bundle_sends_nothing(s: Session) -> None:
    """A rebuild identical to the live bundle stops before any API call (no deploy, no hooks)."""
    s.run(s.save("src/index.js", "v0"))
    assert s.pipeline.calls == ["load", "build", "deploy:verbose", "build"]
    assert "src/index.js changed: bundle unchanged, nothing to deploy" in s.output


def test_duplicate_event_for_a_file_as_built_is_ignored(s: Session) -> None:
    """An event for a file that still looks as the last build saw it does not rebuild."""
    s.run({(MODIFIED, str(s.index))})
    assert s.pipeline.calls == ["load", "build", "deploy:verbose"]


def test_build_error_in_iteration_two_does_not_stop_iteration_three(s: Session) -> None:
    """A build error is printed, nothing is deployed, and the next good save deploys."""
    code = s.run(s.save("src/index.js", "BROKEN"), s.save("src/index.js", "v3"))
    assert code == 0
    assert s.pipeline.deployed == [b"v0", b"v3"]
    assert "error: esbuild could not bundle src/index.js (exit 1)" in s.err.getvalue()
    assert "build failed; the last good deployment stays live" in s.output


def test_config_error_keeps_watching_and_the_fix_deploys(s: Session) -> None:
    """A broken worker.toml is reported; source saves retry the load; the fix deploys."""
    code = s.run(s.save("worker.toml", "broken = 1\n"), s.save("src/index.js", "v1"), s.save("worker.toml", 'name = "w"\n'))
    assert code == 0
    assert s.pipeline.deployed == [b"v0", b"v1"]
    assert s.err.getvalue().count("error: worker.toml has 1 problem") == 2
    assert "waiting for worker.toml to be fixed" in s.output


def test_file_vanished_mid_save_is_retried_after_the_next_event_without_an_error(s: Session) -> None:
    """An atomic save caught half-way (file gone) does not report; the next event's build deploys."""
    def delete() -> set[tuple[int, str]]:
        s.index.unlink()
        return {(DELETED, str(s.index))}
    code = s.run(delete, s.save("src/index.js", "v1"))
    assert code == 0
    assert s.pipeline.deployed == [b"v0", b"v1"]
    assert "error" not in s.err.getvalue()
    assert s.watcher.timeouts[1] == pytest.approx(0.5, abs=0.01)  # waited at most SAVE_GRACE for the file to come back


def test_file_that_stays_gone_is_reported_after_the_grace(s: Session) -> None:
    """A file deleted for good: one silent retry after the grace period, then the error."""
    def delete() -> set[tuple[int, str]]:
        s.index.unlink()
        return {(DELETED, str(s.index))}
    s.run(delete, None)
    assert s.pipeline.calls == ["load", "build", "deploy:verbose", "build", "build"]
    assert s.err.getvalue().count('error: Could not resolve "./src/index.js"') == 1


def test_save_during_a_deploy_queues_exactly_one_more_deploy(s: Session) -> None:
    """Three saves while a deploy runs become one deploy after it, with the last content."""
    def saves_during_deploy() -> None:
        for n in (2, 3, 4):
            s.watcher.push((MODIFIED, str(s.write("src/index.js", f"v{n}"))))
    def first_save() -> set[tuple[int, str]]:
        s.pipeline.during_deploy = saves_during_deploy
        return s.save("src/index.js", "v1")()
    s.run(first_save)
    assert s.pipeline.deployed == [b"v0", b"v1", b"v4"]
    assert s.pipeline.calls.count("deploy") == 2


def test_outage_retries_by_itself_with_backoff_and_one_line_each_way(s: Session) -> None:
    """503s: retried after the backoff delays without a save; one warning, one recovery line."""
    s.pipeline.reports = [OK, OUTAGE, OUTAGE, OUTAGE]
    code = s.run(s.save("src/index.js", "v1"), None, None, None)
    assert code == 0
    assert s.pipeline.deployed == [b"v0", b"v1"]
    assert s.watcher.timeouts[1:4] == pytest.approx([0.25, 1.0, 1.0], abs=0.01)
    assert s.err.getvalue().count("Cloudflare is unavailable") == 1
    assert s.output.count("Cloudflare answers again") == 1


def test_outage_raised_from_the_snapshot_read_is_retried_too(s: Session) -> None:
    """A CloudflareAPIError out of run_deploy (a read after the client's retries) is an outage."""
    s.pipeline.reports = [OK, CloudflareAPIError(method="GET", path="/zones", status=502)]
    s.run(s.save("src/index.js", "v1"), None)
    assert s.pipeline.deployed == [b"v0", b"v1"]


def test_save_during_an_outage_wait_retries_at_once(s: Session) -> None:
    """A save while waiting to retry is merged and deployed right away."""
    s.pipeline.reports = [OK, OUTAGE]
    s.run(s.save("src/index.js", "v1"), s.save("src/index.js", "v2"))
    assert s.pipeline.deployed == [b"v0", b"v2"]


def test_refused_deploy_prints_why_and_keeps_watching(s: Session) -> None:
    """A plan conflict is not retried: its lines and message are printed, the next save deploys."""
    refused = DeployReport(1, "1 conflict(s): nothing was written", details=("  ! conflict: route a/*",))
    s.pipeline.reports = [OK, refused]
    s.run(s.save("src/index.js", "v1"), s.save("src/index.js", "v2"))
    assert s.pipeline.deployed == [b"v0", b"v2"]
    assert "  ! conflict: route a/*" in s.output
    assert "error: src/index.js changed: 1 conflict(s): nothing was written" in s.err.getvalue()


def test_interrupted_deploy_ends_the_session_with_130(s: Session) -> None:
    """A deploy cut short by a second Ctrl-C ends the session with exit 130."""
    s.pipeline.reports = [OK, KeyboardInterrupt()]
    assert s.run(s.save("src/index.js", "v1"), s.save("src/index.js", "v2")) == 130
    assert "the deploy in progress was abandoned" in s.err.getvalue()
    assert "Traceback" not in s.output


def test_ctrl_c_while_waiting_is_a_clean_stop(s: Session) -> None:
    """Ctrl-C between deploys exits 0: nothing was in flight."""
    def ctrl_c() -> set[tuple[int, str]]:
        raise KeyboardInterrupt
    assert s.run(ctrl_c) == 0


def test_hook_failure_keeps_the_deploy_live_and_warns(s: Session) -> None:
    """A failed post-deploy hook: the redeploy line is printed and a warning, not an outage."""
    s.pipeline.reports = [OK, DeployReport(3, "deployed, but 1 post-deploy hook(s) failed", uploaded=True,
                                           upload_ms=3.0, live=True)]
    s.run(s.save("src/index.js", "v1"), s.save("src/index.js", "v1"))
    assert "src/index.js changed: deployed" in s.out.getvalue()
    assert "warning: deployed, but 1 post-deploy hook(s) failed" in s.err.getvalue()
    assert "bundle unchanged" in s.output  # it counts as live: the same bundle is not sent again


def test_force_deploys_every_rebuild(s: Session) -> None:
    """With --force (skip_unchanged off) an identical bundle is deployed again."""
    s.options.skip_unchanged = False
    s.run(s.save("src/index.js", "v0"))
    assert s.pipeline.calls[-1] == "deploy"


def _outcome(failed_error: Exception | None, *, phase_post: bool = False) -> DeployOutcome:
    project = Project(config_path=Path("/p/worker.toml"), root=Path("/p"), name="w", main=Path("/p/index.js"),
                      compatibility_date="2025-01-01")
    bundle = Bundle("index.js", (Module("index.js", b"x", "esm"),), None, Path("/p/dist"))
    step = UploadScript("w", build_upload_form(project, bundle, {}))
    plan = Plan(script="w", steps=(step,), facts={"urls": ["https://w.acme.workers.dev"]})
    if failed_error is None:
        result = StepResult(step, "applied", output={"upload_ms": 12.0, "bytes": 1})
        return DeployOutcome(plan=plan, execution=ExecutionResult([result]), exit_code=0, message="deployed")
    result = StepResult(step, "failed", detail=str(failed_error), error=failed_error)  # type: ignore[arg-type]
    return DeployOutcome(plan=plan, execution=ExecutionResult([result]), exit_code=1, message="deploy failed")


def test_report_from_outcome_upload_and_urls() -> None:
    """A successful outcome reports the upload time and the URLs."""
    report = report_from_outcome(_outcome(None))
    assert (report.exit_code, report.uploaded, report.upload_ms, report.urls) == (0, True, 12.0, ("https://w.acme.workers.dev",))


@pytest.mark.parametrize(("status", "retry"), [(503, True), (429, True), (None, True), (400, False), (403, False)])
def test_report_from_outcome_retryable_only_for_outages(status: int | None, retry: bool) -> None:
    """5xx, 429 and network failures are retried by the loop; 4xx are the user's to fix."""
    error = CloudflareAPIError(method="PUT", path="/accounts/a/workers/scripts/w", status=status,
                               errors=[ApiErrorItem(10013, "boom")] if status else ())
    report = report_from_outcome(_outcome(error))
    assert report.retryable is retry
    assert report.details[0].startswith("  ! failed: upload script 'w': ")


def test_outage_on_the_first_deploy_is_retried_and_reported_as_first_deploy(s: Session) -> None:
    """Cloudflare down at start: the verbose attempt fails, quiet retries follow, the success line says so."""
    s.pipeline.reports = [OUTAGE, OUTAGE]
    s.run(None, None)
    # the pending work includes the initial config load, so each retry re-reads worker.toml
    assert s.pipeline.calls == ["load", "build", "deploy:verbose"] + ["load", "build", "deploy"] * 2
    assert "first deploy: deployed 2 B" in s.out.getvalue()


def test_missing_esbuild_is_reported_and_watching_goes_on(s: Session) -> None:
    """A ToolError from the build (esbuild missing) is printed like a build error; the session survives."""
    from cfworker.errors import ToolError

    real_build = s.pipeline.build
    failures = [ToolError("esbuild not found", hint="install it")]

    def build(project: Project) -> Bundle:
        if failures:
            s.pipeline.calls.append("build")
            raise failures.pop()
        return real_build(project)
    s.pipeline.build = build  # type: ignore[method-assign]
    assert s.run(s.save("src/index.js", "v1")) == 0
    assert "error: esbuild not found" in s.err.getvalue()
    assert s.pipeline.deployed == [b"v1"]
