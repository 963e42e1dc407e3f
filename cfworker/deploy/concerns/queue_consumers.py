"""Queue consumers: the queues this Worker consumes ([[queues.consumers]]).

Each queue is found by name (research notes A2); a missing one is a Blocker, since a
deploy never creates a queue to consume. A consumer is attached where this Worker does
not consume the queue yet, and replaced where its settings or dead letter queue differ
from worker.toml's. Consumers of this Worker on queues worker.toml no longer lists are
detached: destructive, since the queue's messages then wait for another consumer (unlike
wrangler, which leaves them attached). The consumer steps run after the upload: the API
wants a Worker with a queue handler.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import queues as queues_api
from cfworker.api.errors import CloudflareAPIError
from cfworker.config.model import QueueConsumerSpec
from cfworker.deploy.concern import Concern, Planning, Reader, Run, refused
from cfworker.deploy.plan import Blocker, Phase, StepBase


def _settings_text(settings: dict[str, Any], dlq: str | None) -> str:
    parts = [f"{k}={v}" for k, v in sorted(settings.items())]
    if dlq:
        parts.append(f"dead_letter_queue={dlq}")
    return ", ".join(parts) or "default settings"


@dataclass(frozen=True, slots=True)
class AttachConsumer(StepBase):
    """Attach this Worker to a queue as its consumer (or replace its settings: `consumer_id` set)."""

    script: str
    queue: str
    queue_id: str
    settings: tuple[tuple[str, Any], ...]
    dead_letter_queue: str | None = None
    consumer_id: str | None = None  # set: update this consumer
    previous: str | None = None  # the settings it replaces, as text
    phase: Phase = "routes"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"consumer:{self.queue}"

    @property
    def marker(self) -> str:
        return "~" if self.consumer_id else "+"

    def describe(self) -> str:
        now = _settings_text(dict(self.settings), self.dead_letter_queue)
        if self.consumer_id:
            return f"update consumer of queue {self.queue}: {self.previous} -> {now}"
        return f"consume queue {self.queue} ({now})"

    def body(self) -> dict[str, Any]:
        return queues_api.consumer_body(self.script, dict(self.settings), self.dead_letter_queue)


@dataclass(frozen=True, slots=True)
class DetachConsumer(StepBase):
    queue: str
    queue_id: str
    consumer_id: str
    phase: Phase = "routes"
    destructive: bool = True

    @property
    def key(self) -> str:
        return f"consumer:{self.queue}"

    @property
    def marker(self) -> str:
        return "-"

    def describe(self) -> str:
        return f"stop consuming queue {self.queue} (no longer in worker.toml; its messages wait for another consumer)"


def differs(spec: QueueConsumerSpec, consumer: queues_api.QueueConsumer) -> bool:
    """True when the live consumer's settings differ from what worker.toml sets (unset keys: any value)."""
    if (spec.dead_letter_queue or None) != consumer.dead_letter_queue:
        return True
    return any(consumer.settings.get(k) != v for k, v in spec.settings().items())


class QueueConsumersConcern(Concern):
    key = "queue_consumers"
    step_types = (AttachConsumer, DetachConsumer)

    def read(self, reader: Reader) -> Any:
        """Every queue of the account (one list, in parallel with the other reads): the configured
        queues, and any this Worker still consumes. Without [[queues.consumers]] a token that may not
        read queues only skips the check for consumers left attached."""
        try:
            return tuple(queues_api.list_queues(reader.client, reader.account_id))
        except CloudflareAPIError as exc:
            if reader.project.queue_consumers or not refused(exc):
                raise
            return None

    def plan(self, p: Planning) -> None:
        project = p.project
        if p.snapshot is None:
            for spec in project.queue_consumers:
                p.steps.append(AttachConsumer(project.name, spec.queue, "?", tuple(sorted(spec.settings().items())),
                                              spec.dead_letter_queue))
            if project.queue_consumers:
                p.skipped_checks.append("queues and their consumers (every consumer is planned as attached)")
            return
        queues = {q.name: q for q in p.read(self.key) or ()}
        for spec in project.queue_consumers:
            queue = queues.get(spec.queue)
            if queue is None:
                p.blockers.append(Blocker(
                    f"queues.consumers: queue {spec.queue!r} does not exist in this account",
                    f"create it first (`npx wrangler queues create {spec.queue}` or the dashboard), or fix the name"))
                continue
            for dlq in [spec.dead_letter_queue] if spec.dead_letter_queue else []:
                if dlq not in queues:
                    p.blockers.append(Blocker(
                        f"queues.consumers: dead letter queue {dlq!r} of queue {spec.queue!r} does not exist",
                        f"create queue {dlq!r} first, or fix dead_letter_queue"))
            mine = queue.consumer_of(project.name)
            settings = tuple(sorted(spec.settings().items()))
            if mine is None:
                p.steps.append(AttachConsumer(project.name, spec.queue, queue.id, settings, spec.dead_letter_queue))
            elif differs(spec, mine):
                p.steps.append(AttachConsumer(project.name, spec.queue, queue.id, settings, spec.dead_letter_queue,
                                              consumer_id=mine.id,
                                              previous=_settings_text(mine.settings, mine.dead_letter_queue)))
        wanted = {c.queue for c in project.queue_consumers}
        for queue in sorted(queues.values(), key=lambda q: q.name):
            mine = queue.consumer_of(project.name)
            if mine is not None and queue.name not in wanted:
                p.steps.append(DetachConsumer(queue.name, queue.id, mine.id))

    def execute(self, step: Any, run: Run) -> dict[str, Any] | None:
        c, acct = run.client, run.account_id
        if isinstance(step, DetachConsumer):
            queues_api.delete_consumer(c, acct, step.queue_id, step.consumer_id)
            return None
        if step.consumer_id:
            queues_api.update_consumer(c, acct, step.queue_id, step.consumer_id, step.body())
            return {"id": step.consumer_id}
        return {"id": queues_api.create_consumer(c, acct, step.queue_id, step.body())}

    def recover(self, step: Any, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        """An attach whose answer was lost (or 11004, already a consumer): adopted when it is in place."""
        if not isinstance(step, AttachConsumer) or step.consumer_id:
            return None
        queue = next((q for q in queues_api.list_queues(run.client, run.account_id, names=[step.queue])
                      if q.id == step.queue_id), None)
        mine = queue.consumer_of(step.script) if queue is not None else None
        if mine is None or mine.dead_letter_queue != step.dead_letter_queue:
            return None
        if any(mine.settings.get(k) != v for k, v in step.settings):
            return None
        return {"id": mine.id, "confirmed": True}
