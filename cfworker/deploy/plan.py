"""Plan steps: every remote write a deploy may make, as frozen values (pure).

The planner returns a `Plan` (ordered steps, conflicts, blockers, notes); the renderer
prints it; the executor performs it. A step knows its phase, whether it is destructive,
a stable `key` (used in --json output and by `Ref`), and how to describe itself.
Phases run in order: provision -> script -> routes -> post.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Union

from cfworker.upload import UploadForm

Phase = Literal["provision", "script", "routes", "post"]
PHASES: tuple[Phase, ...] = ("provision", "script", "routes", "post")


@dataclass(frozen=True, slots=True)
class Ref:
    """A value an earlier step produces (e.g. a created namespace's id), resolved at run time."""

    step_key: str
    field: str


@dataclass(frozen=True, slots=True)
class CreateKVNamespace:
    binding: str
    title: str
    phase: Phase = "provision"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"kv:{self.binding}"

    def describe(self) -> str:
        return f"create KV namespace {self.title!r} for binding {self.binding}"


@dataclass(frozen=True, slots=True)
class UploadScript:
    """Upload the script. `form` is final unless some KV ids are still Refs (then a preview)."""

    script: str
    form: UploadForm
    kv_refs: tuple[tuple[str, Ref], ...] = ()  # binding -> id of a namespace created in this run
    kv_ids: tuple[tuple[str, str], ...] = ()  # binding -> id known at plan time (found, reused)
    is_new: bool = False
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "script"

    def describe(self) -> str:
        summary = self.form.summary()
        size = sum(m["size"] for m in summary["modules"])
        verb = "create" if self.is_new else "upload"
        return (f"{verb} script {self.script!r}: {len(summary['modules'])} module(s), {size} bytes, "
                f"{len(summary['bindings'])} binding(s)")


@dataclass(frozen=True, slots=True)
class SetWorkersDev:
    script: str
    enabled: bool
    previous: bool | None
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        # Turning workers.dev off breaks clients of the *.workers.dev URL.
        return not self.enabled and self.previous is True

    @property
    def key(self) -> str:
        return "workers_dev"

    def describe(self) -> str:
        was = {True: "on", False: "off", None: "unset"}[self.previous]
        return f"workers.dev: {was} -> {'on' if self.enabled else 'off'}"


@dataclass(frozen=True, slots=True)
class PutSchedules:
    script: str
    crons: tuple[str, ...]
    previous: tuple[str, ...] | None
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "schedules"

    def describe(self) -> str:
        if not self.crons:
            return f"remove cron triggers {list(self.previous or ())}"
        return f"set cron triggers {list(self.crons)}" + (f" (were {list(self.previous)})" if self.previous else "")


@dataclass(frozen=True, slots=True)
class CreateRoute:
    zone_id: str
    zone_name: str
    pattern: str
    script: str
    phase: Phase = "routes"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        return f"add route {self.pattern} (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class UpdateRoute:
    """Point an existing route at this script: unassigned, or taken over with --take-over-routes."""

    zone_id: str
    zone_name: str
    route_id: str
    pattern: str
    script: str
    previous_script: str | None
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_script is not None

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        if self.previous_script:
            return f"take over route {self.pattern} from worker {self.previous_script!r} (zone {self.zone_name})"
        return f"assign unused route {self.pattern} to this worker (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class DeleteRoute:
    zone_id: str
    zone_name: str
    route_id: str
    pattern: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"route:{self.pattern}"

    def describe(self) -> str:
        return f"delete route {self.pattern} (zone {self.zone_name}; no longer in worker.toml)"


@dataclass(frozen=True, slots=True)
class AttachDomain:
    hostname: str
    zone_id: str
    zone_name: str
    script: str
    previous_service: str | None = None
    phase: Phase = "routes"

    @property
    def destructive(self) -> bool:
        return self.previous_service is not None

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    def describe(self) -> str:
        if self.previous_service:
            return f"move custom domain {self.hostname} from worker {self.previous_service!r}"
        return f"attach custom domain {self.hostname} (zone {self.zone_name})"


@dataclass(frozen=True, slots=True)
class DetachDomain:
    domain_id: str
    hostname: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"domain:{self.hostname}"

    def describe(self) -> str:
        return f"detach custom domain {self.hostname} (no longer in worker.toml)"


Step = Union[CreateKVNamespace, UploadScript, SetWorkersDev, PutSchedules, CreateRoute, UpdateRoute,
             DeleteRoute, AttachDomain, DetachDomain]


@dataclass(frozen=True, slots=True)
class Conflict:
    """Something the plan refuses to do without an explicit flag: the deploy stops before any write."""

    subject: str
    owner: str
    fix: str

    def describe(self) -> str:
        return f"{self.subject} belongs to {self.owner}"


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
