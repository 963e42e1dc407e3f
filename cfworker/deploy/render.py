"""Render a Plan and a deploy result as lines of text (pure; the ui prints them).

Markers: `+` create, `~` change, `-` delete, `!` conflict or blocker. Destructive steps
are tagged so a reviewer (or a CI log reader) sees them before anything is applied.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cfworker.deploy.plan import (
    AttachDomain,
    CreateKVNamespace,
    CreateRoute,
    DeleteRoute,
    DetachDomain,
    Plan,
    Step,
    UploadScript,
)

if TYPE_CHECKING:
    from cfworker.deploy import DeployOutcome


def marker(step: Step) -> str:
    """The one-character marker of a step."""
    if isinstance(step, (DeleteRoute, DetachDomain)):
        return "-"
    if isinstance(step, (CreateKVNamespace, CreateRoute, AttachDomain)):
        return "+"
    if isinstance(step, UploadScript) and step.is_new:
        return "+"
    return "~"


def render_plan(plan: Plan, *, header: str | None = None) -> list[str]:
    """The plan as lines: steps in order, then notes, conflicts, blockers and skipped checks."""
    lines = [header or f"Plan for worker {plan.script!r}:"]
    if not plan.steps:
        lines.append("  (no changes)")
    for step in plan.steps:
        tag = "  [destructive]" if step.destructive else ""
        lines.append(f"  {marker(step)} {step.describe()}{tag}")
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


def plan_to_json(plan: Plan) -> list[dict[str, object]]:
    """The plan's steps as JSON-ready dicts (for --json)."""
    return [{"key": s.key, "phase": s.phase, "action": type(s).__name__, "description": s.describe(),
             "destructive": s.destructive} for s in plan.steps]


def render_summary(outcome: DeployOutcome) -> list[str]:
    """The lines after execution: failed or skipped steps, the upload, URLs, totals."""
    lines: list[str] = []
    execution = outcome.execution
    if execution is not None:
        for res in execution.results:
            if res.status in ("failed", "interrupted"):
                lines.append(f"  ! failed: {res.step.describe()}: {res.detail}")
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
    if urls and outcome.exit_code == 0:
        lines.append("Serving at:")
        lines += [f"  {url}" for url in urls]
    total = outcome.timings.get("total", sum(outcome.timings.values()))
    if outcome.exit_code == 0 and outcome.message:
        lines.append(f"{outcome.message} in {total / 1000:.2f} s ({outcome.requests} API requests)")
    return lines
