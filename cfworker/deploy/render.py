"""Render a Plan and a deploy result as lines of text (pure; the ui prints them).

Markers: `+` create, `~` change, `-` delete, `!` conflict or blocker. Destructive steps
are tagged so a reviewer (or a CI log reader) sees them before anything is applied.
A DNS batch lists its records under it (the first DETAIL_LIMIT); when a batch fails, the
summary names the record Cloudflare blamed and says that none of the batch was applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cfworker.api.dns import batch_failures
from cfworker.api.errors import CloudflareAPIError
from cfworker.deploy.hook_steps import ApplyDnsBatch
from cfworker.deploy.plan import Plan, Step
from cfworker.errors import CfWorkerError

if TYPE_CHECKING:
    from cfworker.deploy import DeployOutcome


def marker(step: Step) -> str:
    """The one-character marker of a step."""
    return step.marker


def render_plan(plan: Plan, *, header: str | None = None) -> list[str]:
    """The plan as lines: steps in order, then notes, conflicts, blockers and skipped checks."""
    lines = [header or f"Plan for worker {plan.script!r}:"]
    if not plan.steps:
        lines.append("  (no changes)")
    for step in plan.steps:
        tag = "  [destructive]" if step.destructive else ""
        lines.append(f"  {marker(step)} {step.describe()}{tag}")
        lines += [f"      {line}" for line in step_details(step)]
    for note in plan.notes:
        lines.append(f"    {note}")
    for conflict in plan.conflicts:
        lines.append(f"  ! conflict: {conflict.describe()}")
        lines.append(f"      fix: {conflict.fix}")
    for blocker in plan.blockers:
        lines.append(f"  ! {blocker.message}")
        lines.append(f"      fix: {blocker.hint}")
    if plan.skipped_checks:
        lines.append("  Not checked (no credentials; this plan assumes a new worker):")
        lines += [f"    - {check}" for check in plan.skipped_checks]
    return lines


DETAIL_LIMIT = 10


def step_details(step: Step, *, limit: int | None = DETAIL_LIMIT) -> list[str]:
    """Lines under a step in the plan (records of a DNS batch, migration steps): the first `limit`."""
    lines = step.details()
    if limit is not None and len(lines) > limit:
        return lines[:limit] + [f"... and {len(lines) - limit} more"]
    return lines


def plan_to_json(plan: Plan) -> list[dict[str, object]]:
    """The plan's steps as JSON-ready dicts (for --json), each with every detail line."""
    out: list[dict[str, object]] = []
    for s in plan.steps:
        item: dict[str, object] = {"key": s.key, "phase": s.phase, "action": type(s).__name__,
                                   "description": s.describe(), "destructive": s.destructive}
        details = step_details(s, limit=None)
        if details:
            item["records" if isinstance(s, ApplyDnsBatch) else "details"] = details
        out.append(item)
    return out


def batch_failure_lines(step: ApplyDnsBatch, error: CfWorkerError | None) -> list[str]:
    """Record-by-record lines for a failed DNS batch: the blamed operation(s), and that none applied."""
    operations = {(section, index): line for section, index, line in step.operations()}
    blamed = batch_failures(error) if isinstance(error, CloudflareAPIError) else []
    lines = []
    for failure in blamed:
        code = f" [{failure.code}]" if failure.code is not None else ""
        record = operations.get((failure.section, failure.index), f"{failure.section}[{failure.index}]")
        lines.append(f"{record}: {failure.message}{code}")
    lines.append(f"none of the {step.size} change(s) in this batch was applied (a batch is all or nothing)")
    if not blamed:
        lines.append("Cloudflare did not say which record failed; the batch held:")
        lines += [f"  {line}" for line in step_details(step)]
    return lines


def render_summary(outcome: DeployOutcome) -> list[str]:
    """The lines after execution: failed or skipped steps, the upload, URLs, totals."""
    lines: list[str] = []
    execution = outcome.execution
    if execution is not None:
        for res in execution.results:
            if res.status in ("failed", "interrupted"):
                lines.append(f"  ! failed: {res.step.describe()}: {res.detail}")
                if isinstance(res.step, ApplyDnsBatch) and res.status == "failed":
                    lines += [f"      {line}" for line in batch_failure_lines(res.step, res.error)]
                if res.error is not None and res.error.hint:
                    lines.append(f"      hint: {res.error.hint}")
            elif res.status == "skipped" and res.detail != "interrupted":
                lines.append(f"  - not run: {res.step.describe()} ({res.detail})")
        upload = execution.output_of("script")
        if upload:
            etag = f", etag {str(upload['etag'])[:12]}" if upload.get("etag") else ""
            lines.append(f"Uploaded {outcome.plan.script}: {upload.get('bytes', 0)} bytes in "
                         f"{upload.get('upload_ms', 0):.0f} ms{etag}")
    urls = outcome.plan.facts.get("urls", [])
    if urls and outcome.live:
        lines.append("Serving at:")
        lines += [f"  {url}" for url in urls]
    total = outcome.timings.get("total", sum(outcome.timings.values()))
    if outcome.exit_code == 0 and outcome.message:
        lines.append(f"{outcome.message} in {total / 1000:.2f} s ({outcome.requests} API requests)")
    return lines
