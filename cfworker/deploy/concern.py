"""The one small interface every deploy concern implements, and the contexts it works in.

A concern is one thing a deploy keeps in place (the script, workers.dev, crons, routes, a
provisioned resource kind, queue consumers, DNS records, ...). It says
  * which zone names and hosts it needs resolved (`zones`),
  * what it reads: `read` runs in the first round of parallel GETs, `read_after` in the
    second, once the script's settings and deployments and the zones are known,
  * how what it wants differs from what is there (`plan`: steps, notes, conflicts,
    blockers, added to a Planning), and
  * how its steps run (`execute`, and `recover` after an unclear answer).
deploy.remote runs the reads of every concern, deploy.planner calls `plan` in the order of
`deploy.concerns.CONCERNS`, deploy.executor hands each step to the concern that owns it. A
new concern is one module and one line in that list.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from cfworker.api.errors import CloudflareAPIError
from cfworker.deploy.plan import Blocker, Conflict, Ref, Step

T = TypeVar("T")
R = TypeVar("R")

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.api.workers import LiveDeployment, ScriptSettings
    from cfworker.api.zones import Zone
    from cfworker.bundle.model import Bundle
    from cfworker.config.model import Project
    from cfworker.deploy.executor import ExecutionResult
    from cfworker.upload import UploadForm


@dataclass(frozen=True, slots=True)
class Options:
    """Flags that change what the planner may do."""

    take_over_routes: bool = False
    override_dns: bool = False  # let a custom domain replace DNS records of its hostname
    force_upload: bool = False
    hooks: bool = True  # False: --no-hooks, no DNS or purge steps


@dataclass(frozen=True)
class Reader:
    """What a concern's reads get: the client, the account, the project and the flags.

    `notes` collects what a refused read could not check (shown with the plan); `map`
    runs one read per item in parallel (DNS records per hostname, routes per zone).
    """

    client: CloudflareClient
    account_id: str
    project: Project
    options: Options
    notes: list[str] = field(default_factory=list)

    def map(self, fn: Callable[[T], R], items: Iterable[T]) -> list[R]:
        """`[fn(item) for item in items]`, the calls in parallel (in their own pool: no nested waits)."""
        from cfworker.concurrency import DaemonPool

        todo = list(items)
        if len(todo) <= 1:
            return [fn(item) for item in todo]
        with DaemonPool(max_workers=8, name="read") as pool:
            futures = [pool.submit(fn, item) for item in todo]
            return [f.result() for f in futures]


# Answers that mean "this token may not read that": the read degrades to a note.
_REFUSED_STATUS = (401, 403)


def refused(exc: CloudflareAPIError) -> bool:
    """True when a read was refused for lack of permission (not a failure of the deploy)."""
    return exc.status in _REFUSED_STATUS or exc.has_code(10000, 9109)


@dataclass(frozen=True)
class RemoteSnapshot:
    """What Cloudflare holds for this project right now (read once per deploy).

    `settings` None means the script does not exist yet. `reads` holds each concern's own
    reads by its key; `notes` the reads that were refused (what the plan could not check).
    """

    account_id: str
    settings: ScriptSettings | None = None
    deployments: tuple[LiveDeployment, ...] | None = None  # newest (serving) first
    zones: tuple[Zone, ...] = ()
    reads: Mapping[str, Any] = field(default_factory=dict)
    notes: tuple[str, ...] = ()

    @property
    def script_exists(self) -> bool:
        return self.settings is not None

    def of(self, key: str, default: Any = None) -> Any:
        """What the concern `key` read (default when it read nothing)."""
        return self.reads.get(key, default)


@dataclass
class Planning:
    """The plan being built: the inputs every concern sees, and what the concerns add.

    Concerns run in order, so later ones see what earlier ones decided: provisioners fill
    `resolved` (ids known now) and `pending` (ids a step of this run will create), the
    migrations concern sets `migrations`, the script concern builds `form`.
    """

    project: Project
    bundle: Bundle
    snapshot: RemoteSnapshot | None
    options: Options
    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    conflicts: list[Conflict] = field(default_factory=list)
    blockers: list[Blocker] = field(default_factory=list)
    skipped_checks: list[str] = field(default_factory=list)
    resolved: dict[str, dict[str, Any]] = field(default_factory=dict)  # binding -> config fields known now
    pending: list[tuple[str, str, Ref]] = field(default_factory=list)  # (binding, field, created by a step)
    write_back: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)  # (kind, binding, fields)
    migrations: dict[str, Any] | None = None  # the pending Durable Object migrations for the upload
    form: UploadForm | None = None
    facts: dict[str, Any] = field(default_factory=dict)

    @property
    def offline(self) -> bool:
        """A dry run without credentials: nothing was read; everything is planned as new."""
        return self.snapshot is None

    def read(self, key: str, default: Any = None) -> Any:
        return self.snapshot.of(key, default) if self.snapshot is not None else default


@dataclass
class Run:
    """What executing a step gets: the client and account, the project and bundle, the results so far."""

    client: CloudflareClient
    account_id: str
    project: Project
    bundle: Bundle
    so_far: ExecutionResult
    announce: Callable[[str], None] | None = None
    state: dict[str, Any] = field(default_factory=dict)  # per-run state of a concern (e.g. purge pacers)
    progress: Callable[[str | None], None] | None = None  # a self-rewriting status line (terminals only)


class Concern:
    """The interface (with do-nothing defaults). Subclasses set `key` and `step_types`."""

    key: str = ""
    step_types: tuple[type, ...] = ()

    def owns(self, step: object) -> bool:
        """True for the steps this concern runs."""
        return isinstance(step, self.step_types)

    def zones(self, project: Project, options: Options) -> tuple[Iterable[str], Iterable[str]]:
        """(zone names, hosts) whose zones the reads and the plan need."""
        return (), ()

    def read(self, reader: Reader) -> Any:
        """First-round reads (in parallel with every other concern's); None reads nothing."""
        return None

    def read_after(self, reader: Reader, snapshot: RemoteSnapshot, first: Any) -> Any:
        """Second-round reads, knowing settings, deployments, zones and this concern's first read."""
        return first

    def plan(self, planning: Planning) -> None:
        """Add this concern's steps, notes, conflicts and blockers."""

    def execute(self, step: Any, run: Run) -> dict[str, Any] | None:
        raise NotImplementedError(f"{type(self).__name__} has no step {type(step).__name__}")

    def recover(self, step: Any, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        """After an unclear answer (or "already exists"): the step's output when it is in fact applied."""
        return None
