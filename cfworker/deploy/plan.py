"""What a plan is made of: steps, conflicts, blockers, notes (pure).

Every deploy concern (deploy.concerns) defines its own step classes; they all follow the
`Step` protocol: a stable `key` (used in --json output and by `Ref`), a `phase`, whether it
is `destructive`, a one-character `marker` for the rendered plan, `describe()` and
`details()` (lines shown under the step). Phases run in order: provision -> script ->
routes -> post. `routes` covers everything attached to the uploaded Worker (routes, custom
domains, queue consumers, workflows); the post-deploy hooks (DNS records, cache purge) are
`post` steps: they run only after the rest is in place, and one failing hook neither stops
the others nor undoes the deploy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

Phase = Literal["provision", "script", "routes", "post"]
PHASES: tuple[Phase, ...] = ("provision", "script", "routes", "post")


class Step(Protocol):
    """What the planner, renderer and executor need of any step."""

    @property
    def key(self) -> str: ...

    @property
    def phase(self) -> Phase: ...

    @property
    def destructive(self) -> bool: ...

    @property
    def marker(self) -> str: ...

    def describe(self) -> str: ...

    def details(self) -> list[str]: ...


class StepBase:
    """Defaults for step classes: a change (`~`) with no detail lines."""

    __slots__ = ()

    @property
    def marker(self) -> str:
        return "~"

    def details(self) -> list[str]:
        return []


@dataclass(frozen=True, slots=True)
class Ref:
    """A value an earlier step produces (e.g. a created namespace's id), resolved at run time."""

    step_key: str
    field: str


def onoff(value: bool | None) -> str:
    """`on`, `off` or `unset`, for step descriptions."""
    return {True: "on", False: "off", None: "unset"}[value]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the plan refuses to do without an explicit flag: the deploy stops before any write."""

    subject: str
    owner: str
    fix: str
    verb: str = "belongs to"

    def describe(self) -> str:
        return f"{self.subject} {self.verb} {self.owner}"


@dataclass(frozen=True, slots=True)
class Blocker:
    """A precondition that fails (e.g. a required secret is missing): nothing is written."""

    message: str
    hint: str


@dataclass(frozen=True, slots=True)
class Plan:
    """The ordered steps of a deploy plus everything that stops or annotates it."""

    script: str
    steps: tuple[Step, ...] = ()
    conflicts: tuple[Conflict, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    notes: tuple[str, ...] = ()  # informational lines (var changes, skipped upload, ...)
    skipped_checks: tuple[str, ...] = ()  # remote checks a dry run without credentials did not do
    facts: dict[str, Any] = field(default_factory=dict)  # urls etc. for the summary

    @property
    def destructive_steps(self) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.destructive)

    @property
    def writes(self) -> int:
        return len(self.steps)

    def by_phase(self, phase: Phase) -> tuple[Step, ...]:
        return tuple(s for s in self.steps if s.phase == phase)
