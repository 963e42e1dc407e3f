"""Cache purges: every accepted request is recorded; limits follow api-notes §6.3.

One kind per request (`files`, `tags`, `hosts`, `prefixes` or `purge_everything`; api-notes
§6.3, SDK cache_purge_params), at most 100 items (URLs: 500 on enterprise, the zone's
`purge_max_items`); the 100 applies to each key type (research notes 12-13 §2,
cloudflare-docs PR #32906). With `state.config.purge_rate_limit` on, tag/host/prefix/everything
purges take a token from a bucket per account and plan tier, shared by that tier's zones
(research notes §2: cloudflare-docs#28500). URL purges' per-second rate (a moving average) is
not modelled.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.wire import Fail, new_id, now_iso

KINDS = ("files", "tags", "hosts", "prefixes", "purge_everything")
# plan -> (tokens per second, bucket size): api-notes §6.3, research notes 12-13 §2 (purge-cache docs table)
PLAN_BUCKETS = {"free": (5 / 60, 25), "pro": (5.0, 25), "business": (10.0, 50), "enterprise": (50.0, 500)}


@dataclass
class Purge:
    """One accepted purge request."""

    id: str
    zone_id: str
    kind: str
    items: list[Any]
    created_on: str = field(default_factory=now_iso)


@dataclass
class TokenBucket:
    """A refilling token bucket; `take()` returns None or the seconds to wait."""

    rate: float
    capacity: float
    tokens: float
    updated: float = field(default_factory=time.monotonic)

    def take(self, now: float | None = None) -> float | None:
        """Spend one token if there is one."""
        now = time.monotonic() if now is None else now
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return None
        return (1 - self.tokens) / self.rate


def purge_cache(ctx: Ctx) -> dict[str, Any]:
    """POST /zones/{z}/purge_cache -> {id}."""
    body = ctx.body()
    zone = ctx.zone
    kinds = [k for k in KINDS if isinstance(body, dict) and k in body]
    if len(kinds) != 1:  # two kinds at once: refused too (one variant per request, api-notes §6.3)
        raise Fail("purge_one_kind")
    kind = kinds[0]
    if kind == "purge_everything":
        if body[kind] is not True:  # `false` purges nothing: refused (no evidence found; the less forgiving choice)
            raise Fail("purge_one_kind")
        items: list[Any] = []
    else:
        items = body[kind]
        if not isinstance(items, list):  # 1014 "... must be an array" (cloudflare/cloudflare-php#61)
            raise Fail("purge_not_array")
        if not items:  # an empty list: refused (no evidence found; the less forgiving choice)
            raise Fail("purge_one_kind")
        limit = zone.max_purge_items if kind == "files" else min(100, zone.max_purge_items)
        if len(items) > limit:
            raise Fail("purge_too_many", kind=kind, count=len(items), limit=limit)
    if kind != "files" and ctx.state.config.purge_rate_limit:
        rate, size = PLAN_BUCKETS.get(zone.plan, PLAN_BUCKETS["free"])
        bucket = ctx.state.purge_buckets.setdefault(f"{zone.account_id}:{zone.plan}", TokenBucket(rate, size, size))
        wait = bucket.take()
        if wait is not None:  # 429 (research notes §2); whether Retry-After is sent is unverified: sent here
            raise Fail("purge_rate_limited", headers={"Retry-After": str(max(1, math.ceil(wait)))})
    purge = Purge(new_id(), zone.id, kind, list(items))
    ctx.state.purges.append(purge)
    return {"id": purge.id}


ROUTES = [Route("POST", "/zones/{zone_id}/purge_cache", purge_cache, "cache:purge")]  # schema: #cache_purge:edit
