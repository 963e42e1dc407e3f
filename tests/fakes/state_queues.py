"""Queues: queues of an account and their consumers (research notes 14-15 A2).

Modelled on what wrangler sends and reads (workers-sdk deploy-helpers triggers/queue-consumers.ts):
the list `GET /accounts/{a}/queues?page=N&name=q...` (page-paginated, `name` filter: both
undocumented and relied on), `POST` a queue `{queue_name, settings?}`, one queue by id, and its
consumers `{type, script_name, dead_letter_queue?, settings}`. A queue object carries
`{queue_id, queue_name, created_on, modified_on, producers, producers_total_count, consumers,
consumers_total_count, settings}` (`QueueResponse` there); producers are derived from the live
bindings of the account's scripts. Error codes: codes.py, `queue_*`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import State
from tests.fakes.wire import Fail, Reply, new_id, now_iso, paginate

# Queue names: "1 to 63 characters long. All characters must be lowercase. ... cannot contain special
# characters outside dashes (-), and must start and end with a letter or number" (Cloudflare docs wording
# in cloudflare/cloudflare-docs PR #16090). That the server enforces it is unverified: the less forgiving choice.
_QUEUE_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")

# Queue settings: wrangler/src/queues/constants.ts (MIN/MAX_DELIVERY_DELAY_SECS 0-86400,
# MIN/MAX_MESSAGE_RETENTION_PERIOD_SECS 60-1209600). Defaults: no delay, not paused, 4 days of
# retention ("4 days (default)", Queues limits page, developers.cloudflare.com/queues/platform/limits).
_QUEUE_SETTINGS = {"delivery_delay": (0, 86400), "message_retention_period": (60, 1_209_600)}
_QUEUE_DEFAULTS = {"delivery_delay": 0, "delivery_paused": False, "message_retention_period": 345_600}

# Consumer settings and their ranges. batch_size <= 100, max_retries <= 100, a batch wait of at most
# 60 s, at most 250 concurrent invocations: the Queues limits page (research notes A2 cites the
# consumer body; limits: developers.cloudflare.com/queues/platform/limits); miniflare's
# workers/queues/schemas.ts has the same 100 / 60 s / 100. A batch of 0 (miniflare allows it) is
# refused: the less forgiving reading of "1-100" (sst.dev's Cloudflare queue docs). retry_delay
# 0-86400 s: wrangler's MAX_DELIVERY_DELAY_SECS and miniflare's QueueMessageDelaySchema.
# max_concurrency may be null ("null = platform max", research notes A2). visibility_timeout_ms is for
# http_pull consumers (<= 12 h, the limits page's visibilityTimeout). Unknown keys are refused
# (unverified: the less forgiving choice).
_CONSUMER_SETTINGS = {"batch_size": (1, 100), "max_retries": (0, 100), "max_wait_time_ms": (0, 60_000),
                      "max_concurrency": (1, 250), "retry_delay": (0, 86_400),
                      "visibility_timeout_ms": (0, 43_200_000)}


@dataclass
class Consumer:
    """One consumer of a queue: a Worker (`type: worker`) or an HTTP pull consumer."""

    id: str
    type: str
    script: str | None
    settings: dict[str, Any]
    dead_letter_queue: str | None = None
    created_on: str = field(default_factory=now_iso)

    def as_api(self, queue: Queue) -> dict[str, Any]:
        """The consumer as the queue object and the consumers API show it: `script` names the Worker
        (wrangler matches `c.script === s`; `service`/`environment` are for old service envs and are
        not sent, so a client must not need them)."""
        d: dict[str, Any] = {"consumer_id": self.id, "type": self.type, "queue_id": queue.id,
                             "queue_name": queue.name, "created_on": self.created_on, "settings": dict(self.settings)}
        if self.script is not None:
            d["script"] = self.script
        if self.dead_letter_queue is not None:
            d["dead_letter_queue"] = self.dead_letter_queue
        return d


@dataclass
class Queue:
    """A queue: name, settings and consumers (producers are computed from bindings)."""

    id: str
    account_id: str
    name: str
    settings: dict[str, Any] = field(default_factory=lambda: dict(_QUEUE_DEFAULTS))
    consumers: list[Consumer] = field(default_factory=list)
    created_on: str = field(default_factory=now_iso)
    modified_on: str = field(default_factory=now_iso)

    def as_api(self, state: State) -> dict[str, Any]:
        """The queue object (`QueueResponse`, deploy-helpers queue-consumers.ts)."""
        producers = [{"type": "worker", "script": s.name}
                     for _, s in sorted(state.account_scripts(self.account_id).items())
                     if s.versions and any(b.get("type") == "queue" and b.get("queue_name") == self.name
                                           for b in s.bindings)]
        consumers = [c.as_api(self) for c in self.consumers]
        return {"queue_id": self.id, "queue_name": self.name, "created_on": self.created_on,
                "modified_on": self.modified_on, "producers": producers, "producers_total_count": len(producers),
                "consumers": consumers, "consumers_total_count": len(consumers), "settings": dict(self.settings)}


def find_queue(state: State, account_id: str, name: str) -> Queue | None:
    """The account's queue called `name` (exact match)."""
    return next((q for q in state.queues.values() if q.account_id == account_id and q.name == name), None)


def _queue(ctx: Ctx) -> Queue:
    q = ctx.state.queues.get(ctx.p["queue_id"])
    if q is None or q.account_id != ctx.account_id:  # another account's queue is not found either
        raise Fail("queue_not_found", id=ctx.p["queue_id"])
    return q


def _check_range(value: Any, lo: int, hi: int) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and float(value).is_integer() \
        and lo <= value <= hi


def _queue_settings(raw: Any) -> dict[str, Any]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise Fail("queue_settings_invalid", detail="settings must be an object")
    for key, value in raw.items():
        if key == "delivery_paused":
            if not isinstance(value, bool):
                raise Fail("queue_settings_invalid", detail="delivery_paused must be a boolean")
        elif key not in _QUEUE_SETTINGS:
            raise Fail("queue_settings_invalid", detail=f"unknown setting '{key}'")
        elif not _check_range(value, *_QUEUE_SETTINGS[key]):
            raise Fail("queue_settings_invalid", detail=f"{key} must be an integer in {_QUEUE_SETTINGS[key]}")
    return dict(raw)


# -- queues -------------------------------------------------------------------------------------

def list_queues(ctx: Ctx) -> Reply:
    """GET /accounts/{a}/queues?name=..&page&per_page.

    `name` (repeatable) keeps the queues with exactly that name: wrangler's getQueue takes
    `result[0]` of `?name=<q>` as the queue (deploy-helpers queue-consumers.ts), which only works
    when the filter is exact; ensureQueuesExistByConfig sends several `name`s at once. Paging as
    fetchPagedListResult reads it (`page * per_page < total_count`); the default per_page (20) and
    the cap (100) are unverified. Oldest first (unverified).
    """
    names = set(ctx.req.query.get("name", []))
    items = [q for q in ctx.state.queues.values() if q.account_id == ctx.account_id and (not names or q.name in names)]
    return paginate([q.as_api(ctx.state) for q in items], ctx.req, default_per_page=20, max_per_page=100)


def create_queue(ctx: Ctx) -> dict[str, Any]:
    """POST /accounts/{a}/queues {queue_name, settings?} -> the queue (11003 bad name, 11009 taken)."""
    body = ctx.body()
    if not isinstance(body, dict):
        raise Fail("queue_settings_invalid", detail="the body must be an object")
    name = body.get("queue_name")
    if not isinstance(name, str) or not _QUEUE_NAME.match(name):
        raise Fail("queue_name_invalid", name=name)
    if find_queue(ctx.state, ctx.account_id, name) is not None:
        raise Fail("queue_exists", name=name)
    q = Queue(new_id(), ctx.account_id, name)
    q.settings.update(_queue_settings(body.get("settings")))
    ctx.state.queues[q.id] = q
    return q.as_api(ctx.state)


def get_queue(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/queues/{queue_id}."""
    return _queue(ctx).as_api(ctx.state)


def delete_queue(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/queues/{queue_id}: its consumers go with it. Scripts that still bind it
    keep their bindings (what the server does then is unverified)."""
    del ctx.state.queues[_queue(ctx).id]


# -- consumers ----------------------------------------------------------------------------------

def _consumer_from_body(ctx: Ctx, queue: Queue, body: Any, except_id: str | None = None) -> Consumer:
    """Check a consumer body (POST and PUT take the same one, research notes A2)."""
    if not isinstance(body, dict):
        raise Fail("queue_consumer_settings_invalid", detail="the body must be an object")
    kind = body.get("type", "worker")
    if kind not in ("worker", "http_pull"):  # the two consumer types wrangler's CLI creates
        raise Fail("queue_consumer_settings_invalid", detail=f"unknown consumer type '{kind}'")
    settings = body.get("settings") or {}
    if not isinstance(settings, dict):
        raise Fail("queue_consumer_settings_invalid", detail="settings must be an object")
    for key, value in settings.items():
        if key not in _CONSUMER_SETTINGS:
            raise Fail("queue_consumer_settings_invalid", detail=f"unknown setting '{key}'")
        if value is None and key == "max_concurrency":
            continue
        if not _check_range(value, *_CONSUMER_SETTINGS[key]):
            raise Fail("queue_consumer_settings_invalid", detail=f"{key} must be an integer in {_CONSUMER_SETTINGS[key]}")
    dlq = body.get("dead_letter_queue")
    # A dead letter queue must be a queue of the account (no evidence either way; the less forgiving choice).
    if dlq is not None and (not isinstance(dlq, str) or find_queue(ctx.state, ctx.account_id, dlq) is None):
        raise Fail("queue_dlq_not_found", name=dlq)
    script_name = body.get("script_name") if kind == "worker" else None
    if kind == "worker":
        # The Worker must exist (unverified, less forgiving) and export a queue handler (11001, third party;
        # Script.handlers is a heuristic over the module text).
        script = ctx.state.account_scripts(ctx.account_id).get(script_name) if isinstance(script_name, str) else None
        if script is None or not script.versions:
            raise Fail("script_not_found")
        if "queue" not in script.handlers():
            raise Fail("queue_handler_missing")
        # 11004 when the Worker is already a consumer of this queue (workers-sdk#5347); also when another
        # Worker is: "each queue can only be consumed by one Worker" (miniflare workers/queues/schemas.ts
        # comment; for the API unverified, the less forgiving reading).
        if any(c.type == "worker" and c.id != except_id for c in queue.consumers):
            raise Fail("queue_consumer_exists")
    return Consumer(except_id or new_id(), kind, script_name, dict(settings), dlq)


def list_consumers(ctx: Ctx) -> list[dict[str, Any]]:
    """GET .../queues/{queue_id}/consumers (not paginated, unverified)."""
    q = _queue(ctx)
    return [c.as_api(q) for c in q.consumers]


def create_consumer(ctx: Ctx) -> dict[str, Any]:
    """POST .../queues/{queue_id}/consumers {type, script_name, dead_letter_queue?, settings}."""
    q = _queue(ctx)
    consumer = _consumer_from_body(ctx, q, ctx.body())
    q.consumers.append(consumer)
    q.modified_on = now_iso()
    return consumer.as_api(q)


def _consumer(ctx: Ctx, q: Queue) -> Consumer:
    for c in q.consumers:
        if c.id == ctx.p["consumer_id"]:
            return c
    raise Fail("queue_consumer_not_found", id=ctx.p["consumer_id"])


def update_consumer(ctx: Ctx) -> dict[str, Any]:
    """PUT .../consumers/{consumer_id}: the body replaces the consumer (PUT semantics: settings left out
    are gone, unverified); it keeps its id and creation time."""
    q = _queue(ctx)
    old = _consumer(ctx, q)
    new = _consumer_from_body(ctx, q, ctx.body(), except_id=old.id)
    new.created_on = old.created_on
    q.consumers[q.consumers.index(old)] = new
    q.modified_on = now_iso()
    return new.as_api(q)


def delete_consumer(ctx: Ctx) -> None:
    """DELETE .../consumers/{consumer_id} (what `wrangler queues consumer remove` calls)."""
    q = _queue(ctx)
    q.consumers.remove(_consumer(ctx, q))
    q.modified_on = now_iso()


# Scopes: "queues:write" is a scope of wrangler's OAuth catalog (state.ALL_PERMISSIONS); reads take
# "queues:read". The paths are outside the OpenAPI subset, so every query parameter the handlers
# read is listed: page/name are what wrangler sends (research notes A2), per_page is what its paged
# reader reads back (WR/cfetch hasMorePages).
_Q = "/accounts/{account_id}/queues"
_C = _Q + "/{queue_id}/consumers"
ROUTES = [
    Route("GET", _Q, list_queues, "queues:read", extra_params=("name", "page", "per_page")),
    Route("POST", _Q, create_queue, "queues:write"),
    Route("GET", _Q + "/{queue_id}", get_queue, "queues:read"),
    Route("DELETE", _Q + "/{queue_id}", delete_queue, "queues:write"),
    Route("GET", _C, list_consumers, "queues:read"),
    Route("POST", _C, create_consumer, "queues:write"),
    Route("PUT", _C + "/{consumer_id}", update_consumer, "queues:write"),
    Route("DELETE", _C + "/{consumer_id}", delete_consumer, "queues:write"),
]
