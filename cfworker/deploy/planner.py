"""Diff the project against the remote snapshot into a Plan of writes (pure).

The planner walks `deploy.concerns.CONCERNS` in order; each concern adds its steps, notes,
conflicts and blockers to one Planning (the rules live with each concern). The steps are
then put in phase order (provision -> script -> routes -> post), keeping each concern's
order within a phase. With `snapshot=None` (a dry run without credentials) everything is
planned as for a new script, and the plan lists the remote checks it could not make.
"""

from __future__ import annotations

from collections.abc import Iterable

from cfworker.bundle.model import Bundle
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Options, Planning, RemoteSnapshot
from cfworker.deploy.plan import PHASES, Plan

PlanOptions = Options  # the name callers have used since issue 4


def plan_deploy(project: Project, bundle: Bundle, snapshot: RemoteSnapshot | None,
                options: Options | None = None, concerns: Iterable[Concern] | None = None) -> Plan:
    """The plan of every write this deploy needs."""
    from cfworker.deploy.concerns import CONCERNS

    planning = Planning(project, bundle, snapshot, options or Options())
    for concern in CONCERNS if concerns is None else concerns:
        concern.plan(planning)
    if snapshot is not None:
        planning.notes += snapshot.notes
    order = {phase: i for i, phase in enumerate(PHASES)}
    steps = sorted(planning.steps, key=lambda s: order[s.phase])  # stable: each concern's order is kept
    facts = {"urls": [], **planning.facts, "write_back": list(planning.write_back)}
    return Plan(script=project.name, steps=tuple(steps), conflicts=tuple(planning.conflicts),
                blockers=tuple(planning.blockers), notes=tuple(planning.notes),
                skipped_checks=tuple(dict.fromkeys(planning.skipped_checks)), facts=facts)
