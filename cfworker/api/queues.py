"""Queues and their consumers: list the account's queues, attach, update, detach a consumer.

`GET /accounts/{a}/queues` pages with `page` (wrangler's fetchPagedListResult) and takes
`name` filters that the public reference does not document, so names are also compared
here. A consumer is `{type: "worker", script_name, dead_letter_queue?, settings}`; POST
creates, PUT replaces one by id, DELETE detaches it (research notes A2).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient

CONSUMER_EXISTS = 11004  # the script already consumes this queue (workers-sdk#5347)


@dataclass(frozen=True, slots=True)
class QueueConsumer:
    id: str
    script: str | None  # the Worker, for `type: worker`
    type: str
    dead_letter_queue: str | None = None
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Queue:
    id: str
    name: str
    consumers: tuple[QueueConsumer, ...] = ()

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Queue:
        consumers = tuple(
            QueueConsumer(str(c.get("consumer_id", "")), c.get("script") or c.get("service"), str(c.get("type", "")),
                          c.get("dead_letter_queue") or None, dict(c.get("settings") or {}))
            for c in d.get("consumers") or () if isinstance(c, dict))
        return cls(str(d["queue_id"]), str(d.get("queue_name", "")), consumers)

    def consumer_of(self, script: str) -> QueueConsumer | None:
        return next((c for c in self.consumers if c.type == "worker" and c.script == script), None)


def _queues(account_id: str) -> str:
    return f"/accounts/{account_id}/queues"


def list_queues(client: CloudflareClient, account_id: str, *, names: Iterable[str] = ()) -> list[Queue]:
    """The account's queues (only those called one of `names`, when given)."""
    wanted = sorted(set(names))
    params = {"name": wanted} if wanted else None
    queues = [Queue.from_api(d) for d in client.paginate_pages(_queues(account_id), params=params, per_page=100)
              if isinstance(d, dict) and d.get("queue_id")]
    return [q for q in queues if not wanted or q.name in wanted]


def consumer_body(script: str, settings: dict[str, Any], dead_letter_queue: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {"type": "worker", "script_name": script, "settings": settings}
    if dead_letter_queue:
        body["dead_letter_queue"] = dead_letter_queue
    return body


def create_consumer(client: CloudflareClient, account_id: str, queue_id: str, body: dict[str, Any]) -> str:
    """Attach a consumer; its id."""
    result = client.call_object("POST", f"{_queues(account_id)}/{quote(queue_id, safe='')}/consumers", json=body,
                                required=("consumer_id",))
    return str(result["consumer_id"])


def update_consumer(client: CloudflareClient, account_id: str, queue_id: str, consumer_id: str,
                    body: dict[str, Any]) -> None:
    client.call("PUT", f"{_queues(account_id)}/{quote(queue_id, safe='')}/consumers/{quote(consumer_id, safe='')}",
                json=body)


def delete_consumer(client: CloudflareClient, account_id: str, queue_id: str, consumer_id: str) -> None:
    client.call("DELETE", f"{_queues(account_id)}/{quote(queue_id, safe='')}/consumers/{quote(consumer_id, safe='')}")
