"""`cfworker deploy`: the pipeline, strung together in one place.

    config  -> the Project (validated worker.toml)                    cfworker.config
    build   -> the Bundle (esbuild, modules in memory)                 cfworker.bundle
    read    -> RemoteSnapshot, GET requests only                       deploy.remote
    plan    -> Plan of every write, pure                               deploy.planner
    show    -> rendered plan; --dry-run stops here                     deploy.render
    check   -> conflicts / blockers / unconfirmed destructive steps stop here, nothing written
    execute -> each step in order, post hooks last                     deploy.executor
               (DNS records and cache purge: deploy.dns, deploy.purge, deploy.hook_runner)
    report  -> summary lines, --json document, exit code

`run_deploy` takes its collaborators (client, ui, confirm) as arguments, so tests and watch
mode drive the same code the CLI does. Exit codes: 0 ok; 1 refused or failed with nothing
written; 3 partially applied (the summary says what, and that a rerun finishes), which
includes a failed post-deploy hook: the deploy stays live and is not rolled back; 130 Ctrl-C.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cfworker.errors import EXIT_FAILED, EXIT_INTERRUPTED, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, RemoteError

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.bundle.model import Bundle
    from cfworker.config.model import Project
    from cfworker.deploy.executor import ExecutionResult
    from cfworker.deploy.plan import Plan
    from cfworker.ui import UI


@dataclass(frozen=True, slots=True)
class DeployOptions:
    """The deploy flags."""

    dry_run: bool = False
    yes: bool = False
    take_over_routes: bool = False
    override_dns: bool = False  # --override-dns: a custom domain may replace its hostname's DNS records
    force_upload: bool = False
    write_config: bool = True
    interactive: bool = False
    no_hooks: bool = False  # skip the post-deploy hooks (DNS records, cache purge)


@dataclass
class DeployOutcome:
    """Everything a deploy did, for the summary, --json and the exit code."""

    plan: Plan
    execution: ExecutionResult | None = None
    exit_code: int = EXIT_OK
    written_ids: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    requests: int = 0
    message: str | None = None
    hint: str | None = None  # what to do next, when the outcome has its own advice
    dry_run: bool = False  # --dry-run (a refused or up-to-date deploy is not one)
    declined: bool = False  # the user said no at the prompt (not an error)

    @property
    def live(self) -> bool:
        """True when the script and routes are deployed (ok, or only post-deploy hooks failed)."""
        failed = self.execution.failed if self.execution is not None else []
        return self.exit_code == EXIT_OK or (bool(failed) and all(r.step.phase == "post" for r in failed))

    def to_json(self) -> dict[str, Any]:
        """The --json document."""
        from cfworker.deploy.render import plan_to_json

        results = []
        if self.execution is not None:
            for r in self.execution.results:
                results.append({"key": r.step.key, "action": type(r.step).__name__, "status": r.status,
                                "detail": r.detail, "elapsed_ms": round(r.elapsed_ms, 1), **r.output})
        return {
            "ok": self.exit_code == EXIT_OK,
            "exit_code": self.exit_code,
            "script": self.plan.script,
            "dry_run": self.dry_run,
            "message": self.message,
            "hint": self.hint,
            "plan": plan_to_json(self.plan),
            "notes": list(self.plan.notes),
            "conflicts": [{"subject": c.subject, "owner": c.owner, "fix": c.fix} for c in self.plan.conflicts],
            "blockers": [{"message": b.message, "fix": b.hint} for b in self.plan.blockers],
            "skipped_checks": list(self.plan.skipped_checks),
            "results": results,
            "urls": self.plan.facts.get("urls", []),
            "content_hash": self.plan.facts.get("content_hash"),
            "config_ids_written": self.written_ids,
            "requests": self.requests,
            "timings_ms": {k: round(v, 1) for k, v in self.timings.items()},
        }


def run_deploy(
    project: Project,
    bundle: Bundle | Callable[[], Bundle],
    *,
    client: CloudflareClient | None,
    account_id: str | None,
    ui: UI,
    options: DeployOptions,
    confirm: Callable[[str], bool] = lambda _q: False,
    notes: Callable[[], Sequence[str]] | None = None,
) -> DeployOutcome:
    """Read, plan, show, check and execute one deploy (see the module docstring).

    `bundle` may be a callable that waits for a build started earlier: the remote reads
    run first, so reading Cloudflare and running esbuild overlap.
    """
    from cfworker.deploy.concern import Options
    from cfworker.deploy.executor import Executor
    from cfworker.deploy.planner import plan_deploy
    from cfworker.deploy.remote import fetch_snapshot
    from cfworker.deploy.render import render_plan

    timings: dict[str, float] = {}
    started = time.perf_counter()
    plan_options = Options(take_over_routes=options.take_over_routes, override_dns=options.override_dns,
                           force_upload=options.force_upload, hooks=not options.no_hooks)
    snapshot = (fetch_snapshot(client, project, account_id, plan_options)
                if client is not None and account_id else None)
    timings["read"] = (time.perf_counter() - started) * 1000
    if callable(bundle):
        bundle = bundle()
    plan = plan_deploy(project, bundle, snapshot, plan_options)
    if bundle.assets is not None:  # which asset files are new: one upload session, reused by the upload
        from cfworker.deploy.concerns.assets import ask_session

        plan = ask_session(plan, client, account_id, bundle)
    if notes is not None and (extra := tuple(notes())):  # what ran beside the plan (the start-up check)
        plan = dataclasses.replace(plan, notes=extra + plan.notes)
    ui.lines(render_plan(plan))
    outcome = DeployOutcome(plan=plan, timings=timings, dry_run=options.dry_run)

    refusal = _refusal(plan, options, confirm)
    if refusal is not None:
        outcome.exit_code, outcome.message = refusal
        outcome.declined = outcome.message == DECLINED
        return _finish(outcome, client)
    if options.dry_run:
        outcome.message = "dry run: nothing was written"
        return _finish(outcome, client)
    if not plan.steps:
        outcome.message = "everything is up to date"
        if options.write_config:  # ids found by name (a checkout without them) are pinned all the same
            from cfworker.deploy.executor import ExecutionResult

            outcome.written_ids = _write_back_ids(project, plan, ExecutionResult(), ui)
        return _finish(outcome, client)

    assert client is not None and account_id is not None
    def on_applied(res: Any) -> None:
        ui.info(f"  done: {res.step.describe()}")

    executor = Executor(client, account_id=account_id, project=project, bundle=bundle, on_applied=on_applied,
                        announce=lambda line: ui.info(f"  {line}"),
                        progress=lambda line: ui.progress(f"  {line}" if line else None))
    exec_started = time.perf_counter()
    execution = executor.execute(plan)
    timings["execute"] = (time.perf_counter() - exec_started) * 1000
    outcome.execution = execution
    if options.write_config:
        outcome.written_ids = _write_back_ids(project, plan, execution, ui)
    outcome.exit_code, outcome.message = _exit_code(execution)
    if outcome.exit_code == EXIT_PARTIAL and outcome.live:
        outcome.hint = ("rerun `cfworker deploy` to retry: the unchanged script is not uploaded again and only "
                        "what is still missing is written (`--no-hooks` deploys without the hooks)")
    return _finish(outcome, client)


DECLINED = "Cancelled: nothing was written."


def _refusal(plan: Plan, options: DeployOptions, confirm: Callable[[str], bool]) -> tuple[int, str] | None:
    """(exit code, why) the plan must not run (conflicts, blockers, unconfirmed destructive steps), or None.

    Destructive steps without --yes where nobody can answer are exit 2, as in every command
    (errors.NeedsConfirmation); a "no" at the prompt is exit 1 and not an error."""
    if plan.conflicts:
        return EXIT_FAILED, f"{len(plan.conflicts)} conflict(s): nothing was written; see the fixes above"
    if plan.blockers:
        return EXIT_FAILED, f"{len(plan.blockers)} problem(s) found before deploying: nothing was written"
    destructive = plan.destructive_steps
    if destructive and not options.dry_run and not options.yes:
        if not options.interactive:
            return EXIT_USAGE, (f"the plan has {len(destructive)} destructive change(s): nothing was written; "
                                "review them and rerun with --yes to apply")
        if not confirm(f"apply {len(destructive)} destructive change(s) listed above?"):
            return EXIT_FAILED, DECLINED
    return None


def _exit_code(execution: ExecutionResult) -> tuple[int, str]:
    applied, failed = execution.applied, execution.failed
    if execution.interrupted:
        return EXIT_INTERRUPTED, f"interrupted after {len(applied)} applied step(s); rerun to finish"
    if not failed:
        return EXIT_OK, f"deployed: {len(applied)} change(s) applied"
    if all(r.step.phase == "post" for r in failed):
        # The script and routes are live; a hook failure never undoes them (STYLE §3.6).
        names = "; ".join(r.step.describe() for r in failed)
        return EXIT_PARTIAL, f"deployed, but {len(failed)} post-deploy hook(s) failed: {names}"
    if not execution.wrote:
        return EXIT_FAILED, "deploy failed before any change was applied"
    if not applied:
        # A write reached Cloudflare and its answer was lost or odd: it may have been applied.
        return EXIT_PARTIAL, ("deploy failed after a write reached Cloudflare (it may have been applied); "
                              "rerun `cfworker deploy` to finish")
    return EXIT_PARTIAL, (f"partially deployed: {len(applied)} change(s) applied, {len(failed)} failed; "
                          "rerun `cfworker deploy` to finish")


def _write_back_ids(project: Project, plan: Plan, execution: ExecutionResult, ui: UI) -> list[str]:
    """Pin what the deploy found or created (KV ids, D1 ids, R2 bucket names) in worker.toml.

    The updates come from the plan (found by name) and from each applied step's output
    (created); comments and order of the file are preserved (config.writeback).
    """
    from cfworker.config.writeback import Update, write_binding_fields
    from cfworker.deploy.concerns.provision import CreateResource

    updates: list[Update] = [(k, b, dict(f)) for k, b, f in plan.facts.get("write_back", ())]
    for res in execution.applied:
        fields = res.output.get("write_back")
        if fields and isinstance(res.step, CreateResource):
            updates.append((res.step.kind, res.step.binding, dict(fields)))
    if not updates:
        return []
    pretty = "; ".join(f"{b}: " + ", ".join(f"{k} = {v}" for k, v in f.items()) for _, b, f in updates)
    # A config a build wrote is rewritten by the next build: the ids go into the user's own config
    target, env, digest = ((*project.write_back_to, None) if project.write_back_to
                           else (project.config_path, project.env, project.config_digest))
    try:
        result = write_binding_fields(target, env, updates, loaded_digest=digest)
    except Exception as exc:  # the deploy is done; a write-back problem never changes its outcome
        ui.warn(f"could not write provisioned ids into {target}: {exc}; add them by hand: {pretty}")
        return []
    if result.manual:
        ui.warn(f"did not write provisioned ids into {target}: {result.reason}; add them by hand: "
                f"{result.by_hand(env)}")
    if result.written:
        again = " (it had changed during the deploy: applied to the new text)" if result.reread else ""
        ui.info(f"  wrote the id(s) for {', '.join(result.written)} into {target.name}{again}")
    return result.written


def _finish(outcome: DeployOutcome, client: CloudflareClient | None) -> DeployOutcome:
    outcome.requests = client.request_count if client is not None else 0
    return outcome


def raise_for_outcome(outcome: DeployOutcome) -> None:
    """Turn a failed outcome into the error the CLI reports (summary lines are printed first)."""
    if outcome.exit_code in (EXIT_OK,):
        return
    error = RemoteError(outcome.message or "deploy failed")
    error.exit_code = outcome.exit_code
    raise error
