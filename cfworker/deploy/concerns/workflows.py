"""Workflows this Worker defines: registered after the upload, where they differ.

A [[workflows]] entry without `script_name` (or naming this Worker) is this Worker's: after
the upload, `PUT /accounts/{a}/workflows/{name}` with `{script_name, class_name, limits?,
schedules?}` registers it, as wrangler does (research notes A3), only when the live
registration differs. A workflow of that name that another Worker runs is a Conflict
unless --take-over-routes (wrangler reassigns it silently in CI; moving it is
destructive here). Workflows need an account workers.dev subdomain. A workflow removed
from worker.toml stays registered (as with wrangler): deleting one deletes its instances.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import workflows as workflows_api
from cfworker.bindings.kind import BindingSpec
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Planning, Reader, Run
from cfworker.deploy.plan import Blocker, Conflict, Phase, StepBase


def own_workflows(project: Project) -> list[BindingSpec]:
    return [b for b in project.bindings_of("workflows") if b.get("script_name") in (None, project.name)]


def _schedules(spec: BindingSpec) -> tuple[str, ...] | None:
    raw = spec.get("schedules")
    if raw is None:
        return None
    return (raw,) if isinstance(raw, str) else tuple(raw)


@dataclass(frozen=True, slots=True)
class RegisterWorkflow(StepBase):
    """Point the workflow `name` at this Worker's class (create or update)."""

    name: str
    script: str
    class_name: str
    limits: tuple[tuple[str, Any], ...] | None = None
    schedules: tuple[str, ...] | None = None
    is_new: bool = True
    previous_script: str | None = None  # another Worker ran it: a take-over
    changes: tuple[str, ...] = ()
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_script is not None

    @property
    def key(self) -> str:
        return f"workflow:{self.name}"

    @property
    def marker(self) -> str:
        return "+" if self.is_new else "~"

    def describe(self) -> str:
        if self.previous_script:
            return f"take over workflow {self.name} from worker {self.previous_script!r} (class {self.class_name})"
        if self.is_new:
            return f"register workflow {self.name} (class {self.class_name})"
        return f"update workflow {self.name}: {', '.join(self.changes)}"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"script_name": self.script, "class_name": self.class_name}
        if self.limits is not None:
            body["limits"] = dict(self.limits)
        if self.schedules is not None:
            body["schedules"] = [{"cron": c} for c in self.schedules]
        return body


class WorkflowsConcern(Concern):
    key = "workflows"
    step_types = (RegisterWorkflow,)

    def read(self, reader: Reader) -> Any:
        names = [b.get("name") for b in own_workflows(reader.project)]
        found = reader.map(lambda n: workflows_api.get_workflow(reader.client, reader.account_id, n), names)
        return dict(zip(names, found))

    def plan(self, p: Planning) -> None:
        project = p.project
        mine = own_workflows(project)
        if not mine:
            return
        if p.snapshot is None:
            p.skipped_checks.append("registered workflows (every one is planned as registered)")
        elif not (p.read("workers_dev") or {}).get("account"):
            p.blockers.append(Blocker(
                "Workflows need the account to have a workers.dev subdomain, and it has none",
                f"register one at https://dash.cloudflare.com/{p.snapshot.account_id}/workers/onboarding"))
        live: dict[str, workflows_api.Workflow | None] = p.read(self.key) or {}
        for spec in mine:
            name, class_name = str(spec.get("name")), str(spec.get("class_name"))
            limits = tuple(sorted(spec.get("limits").items())) if spec.get("limits") else None
            step = RegisterWorkflow(name, project.name, class_name, limits, _schedules(spec))
            have = live.get(name)
            if have is None:
                p.steps.append(step)
                continue
            if have.script_name not in (None, project.name):
                if not p.options.take_over_routes:
                    p.conflicts.append(Conflict(
                        f"workflow {name}", f"worker {have.script_name!r}",
                        f"rename the workflow in worker.toml (names are unique per account), or rerun with "
                        f"--take-over-routes to move it to {project.name!r}"))
                    continue
                p.steps.append(RegisterWorkflow(name, project.name, class_name, limits, step.schedules,
                                                is_new=False, previous_script=have.script_name))
                continue
            changes = []
            if have.class_name != class_name:
                changes.append(f"class {have.class_name} -> {class_name}")
            if limits is not None and (have.limits is None or dict(limits) != have.limits):
                changes.append(f"limits {have.limits} -> {dict(limits)}")
            if step.schedules is not None and have.schedules is not None and \
                    sorted(have.schedules) != sorted(step.schedules):
                changes.append(f"schedules {list(have.schedules)} -> {list(step.schedules)}")
            if changes:
                p.steps.append(RegisterWorkflow(name, project.name, class_name, limits, step.schedules,
                                                is_new=False, changes=tuple(changes)))

    def execute(self, step: RegisterWorkflow, run: Run) -> dict[str, Any]:
        return {"id": workflows_api.put_workflow(run.client, run.account_id, step.name, step.body())}
