"""Cron triggers: the script's schedules, replaced as a whole when they differ from `crons`.

Without `crons` in worker.toml the live schedules are left alone; `crons = []` removes them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import workers as workers_api
from cfworker.deploy.concern import Concern, Planning, Reader, Run
from cfworker.deploy.plan import Phase, StepBase


@dataclass(frozen=True, slots=True)
class PutSchedules(StepBase):
    script: str
    crons: tuple[str, ...]
    previous: tuple[str, ...] | None
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "schedules"

    @property
    def marker(self) -> str:
        return "-" if not self.crons else "~"

    def describe(self) -> str:
        if not self.crons:
            return f"remove cron triggers {list(self.previous or ())}"
        return f"set cron triggers {list(self.crons)}" + (f" (were {list(self.previous)})" if self.previous else "")


class CronsConcern(Concern):
    key = "crons"
    step_types = (PutSchedules,)

    def read(self, reader: Reader) -> Any:
        if reader.project.crons is None:
            return None
        return workers_api.get_schedules(reader.client, reader.account_id, reader.project.name)

    def plan(self, p: Planning) -> None:
        project = p.project
        if project.crons is None:
            return
        current = p.read(self.key) if p.snapshot is not None and p.snapshot.script_exists else None
        if sorted(current or ()) == sorted(project.crons):
            return
        p.steps.append(PutSchedules(project.name, project.crons, current))

    def execute(self, step: PutSchedules, run: Run) -> dict[str, Any]:
        workers_api.put_schedules(run.client, run.account_id, step.script, step.crons)
        return {"crons": list(step.crons)}
