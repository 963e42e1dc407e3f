"""Cache purge: `POST /zones/{zone_id}/purge_cache`, and pacing for Cloudflare's purge rate limits.

One request purges one kind (api-notes §6.3): `files` (URLs), `tags`, `hosts`, `prefixes`,
or everything. At most 100 items per request (URLs: 500 on Enterprise); the caller chunks.
Tag, host, prefix and purge-everything requests also draw on a per-account token bucket
that is small on Free zones (25, refilled at 5 per minute), so `PurgePacer` waits for a
token instead of collecting 429s. URL purges are limited per URL per second only.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient

PurgeKind = Literal["files", "tags", "hosts", "prefixes", "everything"]
PURGE_KINDS: tuple[PurgeKind, ...] = ("files", "tags", "hosts", "prefixes", "everything")
MAX_ITEMS = 100  # per request; Enterprise zones may send up to 500 URLs
MAX_ITEMS_ENTERPRISE_FILES = 500
# zone plan -> (tokens per second, bucket size) for tag/host/prefix/everything purges (api-notes §6.3)
PLAN_BUCKETS: dict[str, tuple[float, float]] = {
    "free": (5 / 60, 25), "pro": (5.0, 25), "business": (10.0, 50), "enterprise": (50.0, 500),
}


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """An accepted purge request."""

    id: str


def purge_cache(client: CloudflareClient, zone_id: str, kind: PurgeKind, items: Sequence[str] = ()) -> PurgeResult:
    """Purge one kind of item from a zone's cache (everything ignores `items`). A POST, never retried once sent."""
    if kind == "everything":
        body: dict[str, object] = {"purge_everything": True}
    else:
        if not items:
            raise ValueError(f"a {kind} purge needs at least one item")
        body = {kind: list(items)}
    result = client.call("POST", f"/zones/{zone_id}/purge_cache", json=body) or {}
    return PurgeResult(id=str(result.get("id", "")) if isinstance(result, dict) else "")


def is_rate_limited_kind(kind: PurgeKind) -> bool:
    """True for the kinds that use the per-account purge token bucket."""
    return kind != "files"


class PurgePacer:
    """A token bucket matching Cloudflare's purge bucket: waits until a token is free."""

    def __init__(self, rate: float, capacity: float, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.rate = rate
        self.capacity = capacity
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    @classmethod
    def for_plan(cls, plan: str | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> PurgePacer:
        """The bucket of a zone plan (free, pro, business, enterprise); unknown plans get Free's."""
        rate, capacity = PLAN_BUCKETS.get((plan or "free").lower(), PLAN_BUCKETS["free"])
        return cls(rate, capacity, clock=clock, sleep=sleep)

    def acquire(self) -> None:
        """Take one token, sleeping first when the bucket is empty."""
        with self._lock:
            self._refill()
            if self._tokens < 1:
                delay = (1 - self._tokens) / self.rate
                self.waited += delay
                self._sleep(delay)
                self._refill()
                self._tokens = max(self._tokens, 1.0)
            self._tokens -= 1

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
