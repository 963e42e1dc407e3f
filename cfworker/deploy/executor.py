"""Perform a Plan's steps in order against the API and record what happened.

Each step goes to the deploy concern that owns it (`deploy.concerns.owner_of`), which
makes its one or two API calls. Refs (a resource created earlier in the same run) are
resolved by the concern that needs them. A failing step stops the run, and the hooks
(`post` phase) do not run after a failed upload or route step. Hooks are independent of
each other: a failing hook is recorded and the other hooks still run. When a write fails
without a clear answer (dropped connection, 5xx) or because the thing already exists, the
owning concern reads the state back once (`recover`): if the write did happen, the step
counts as applied, so a rerun never creates a duplicate. Ctrl-C stops after recording
which steps were applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError
from cfworker.bundle.model import Bundle
from cfworker.concurrency import interrupt_requested
from cfworker.config.model import Project
from cfworker.deploy.concern import Run
from cfworker.deploy.plan import Plan, Step
from cfworker.errors import CfWorkerError

log = logging.getLogger(__name__)

Status = Literal["applied", "failed", "skipped", "interrupted"]
# "Already exists" answers of create calls: 10014 KV title, 10020 route pattern, 81057/81058
# identical DNS record, 10004 R2 bucket, 7502 D1 name, 11004 queue consumer. The owning concern
# then reads the state back and adopts it when it is exactly what the step wanted (another
# script's route is not adopted).
ALREADY_EXISTS = (10014, 10020, 81057, 81058, 10004, 7502, 11004)


@dataclass
class StepResult:
    """What happened to one step."""

    step: Step
    status: Status
    detail: str | None = None
    error: CfWorkerError | None = None
    elapsed_ms: float = 0.0
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExecutionResult:
    """Every step's outcome, in plan order."""

    results: list[StepResult] = field(default_factory=list)
    interrupted: bool = False
    writes_landed: int = 0  # write requests that may have changed something (CloudflareClient.writes_landed)

    @property
    def wrote(self) -> bool:
        """True when anything may have been written: a step applied, or a write reached Cloudflare."""
        return bool(self.applied) or self.writes_landed > 0

    @property
    def applied(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "applied"]

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.status in ("failed", "interrupted")]

    def output_of(self, key: str) -> dict[str, Any]:
        return next((r.output for r in self.results if r.step.key == key and r.status == "applied"), {})


class Executor:
    """Runs steps with one client; `on_applied` lets the caller react (e.g. print a line)."""

    def __init__(self, client: CloudflareClient, *, account_id: str, project: Project, bundle: Bundle,
                 on_applied: Callable[[StepResult], None] | None = None,
                 on_start: Callable[[Step], None] | None = None,
                 announce: Callable[[str], None] | None = None,
                 progress: Callable[[str | None], None] | None = None) -> None:
        self.client = client
        self.account_id = account_id
        self.project = project
        self.bundle = bundle
        self._on_applied = on_applied or (lambda r: None)
        self._on_start = on_start or (lambda s: None)
        self._announce = announce
        self._progress = progress

    def execute(self, plan: Plan) -> ExecutionResult:
        """Run the plan's steps in order (see the module docstring for failure rules)."""
        result = ExecutionResult()
        run = Run(self.client, self.account_id, self.project, self.bundle, result, announce=self._announce,
                  progress=self._progress)
        landed_before = self.client.writes_landed
        try:
            self._execute(plan, run)
        finally:
            result.writes_landed = self.client.writes_landed - landed_before
        return result

    def _execute(self, plan: Plan, run: Run) -> None:
        from cfworker.deploy.concerns import owner_of

        result = run.so_far
        stop = False
        for step in plan.steps:
            if stop:  # only a failure before the post phase sets it: hooks need the deploy in place
                result.results.append(StepResult(step, "skipped", "an earlier step failed"))
                continue
            self._on_start(step)
            started = time.perf_counter()
            concern = owner_of(step)
            try:
                if interrupt_requested():  # a stop that a finalizer swallowed still stops the writes
                    raise KeyboardInterrupt
                output = concern.execute(step, run)
                res = StepResult(step, "applied", output=output or {})
            except KeyboardInterrupt:
                result.results.append(StepResult(step, "interrupted", "interrupted (Ctrl-C)"))
                result.interrupted = True
                for rest in plan.steps[plan.steps.index(step) + 1:]:
                    result.results.append(StepResult(rest, "skipped", "interrupted"))
                return
            except CfWorkerError as exc:
                recovered = self._recover(concern, step, run, exc)
                if recovered is not None:
                    res = StepResult(step, "applied", detail="confirmed after an unclear answer", output=recovered)
                else:
                    res = StepResult(step, "failed", detail=exc.message, error=exc)
                    stop = stop or step.phase != "post"
            except Exception as exc:  # a bug, or an answer no step expected: still an ordinary failed step
                log.debug("step %s raised", step.key, exc_info=True)
                error = CfWorkerError(f"unexpected {type(exc).__name__}: {exc}",
                                      hint="this is a bug in cfworker; rerun with --debug for the traceback and "
                                           "report it")
                res = StepResult(step, "failed", detail=error.message, error=error)
                stop = stop or step.phase != "post"
            res.elapsed_ms = (time.perf_counter() - started) * 1000
            result.results.append(res)
            if res.status == "applied":
                self._on_applied(res)

    @staticmethod
    def _recover(concern: Any, step: Step, run: Run, exc: CfWorkerError) -> dict[str, Any] | None:
        """After a write failed without a clear answer, or because the thing already exists (an
        earlier, interrupted run's request that Cloudflare applied late), let the concern check
        whether the wanted state is there and adopt it instead of failing."""
        if not isinstance(exc, CloudflareAPIError):
            return None
        unclear = exc.status is None or exc.status >= 500
        if not (unclear or exc.has_code(*ALREADY_EXISTS)):
            return None
        try:
            out = concern.recover(step, run, exc)
        except CfWorkerError:
            return None
        return dict(out) if out is not None else None
