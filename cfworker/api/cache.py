"""Cache purge: `POST /zones/{zone_id}/purge_cache`, and pacing for Cloudflare's purge rate limits.

One request purges one kind (api-notes §6.3): `files` (URLs), `tags`, `hosts`, `prefixes`,
or everything. At most 100 items per request (URLs: 500 on Enterprise); the caller chunks.
Tag, host, prefix and purge-everything requests also draw on a per-account token bucket
that is small on Free zones (25, refilled at 5 per minute), so `PurgePacer` waits for a
token instead of collecting 429s. URL purges have their own limit, in URLs per second as a
moving average (800 Free, 1,500 Pro and Business, 3,000 Enterprise); a pacer per plan with
a one-second bucket keeps to it. Both limits are per account, shared by the zones of one
plan (developers.cloudflare.com/cache/how-to/purge-cache/, cloudflare-docs#28500).
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
# zone plan -> URLs per second for single-file purges (a moving average; no burst beyond one second's worth)
URL_RATES: dict[str, float] = {"free": 800.0, "pro": 1500.0, "business": 1500.0, "enterprise": 3000.0}
# A pacing wait longer than this is announced (a Free zone's bucket refills one purge every 12 s).
ANNOUNCE_WAIT = 1.0


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
                 sleep: Callable[[float], None] = time.sleep, what: str = "purge requests") -> None:
        self.rate = rate
        self.capacity = capacity
        self.what = what
        self._tokens = capacity
        self._clock = clock
        self._sleep = sleep
        self._updated = clock()
        self._lock = threading.Lock()
        self.waited = 0.0

    @classmethod
    def for_plan(cls, plan: str | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> PurgePacer:
        """The tag/host/prefix/everything bucket of a zone plan; unknown plans get Free's."""
        key = (plan or "free").lower()
        rate, capacity = PLAN_BUCKETS.get(key, PLAN_BUCKETS["free"])
        per = f"{rate * 60:g} per minute" if rate < 1 else f"{rate:g} per second"
        return cls(rate, capacity, clock=clock, sleep=sleep,
                   what=f"tag, host and prefix purges ({key.capitalize()} plan: {per})")

    @classmethod
    def for_urls(cls, plan: str | None, *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> PurgePacer:
        """The URLs-per-second limit of a zone plan; unknown plans get Free's."""
        key = (plan or "free").lower()
        rate = URL_RATES.get(key, URL_RATES["free"])
        return cls(rate, rate, clock=clock, sleep=sleep, what=f"URL purges ({key.capitalize()} plan: {rate:g} per second)")

    def acquire(self, cost: float = 1.0, *, announce: Callable[[str], None] | None = None) -> None:
        """Take `cost` tokens, sleeping first when the bucket holds fewer; a long wait is announced."""
        with self._lock:
            self._refill()
            cost = min(cost, self.capacity)
            if self._tokens < cost:
                delay = (cost - self._tokens) / self.rate
                if announce is not None and delay > ANNOUNCE_WAIT:
                    announce(f"waiting {delay:.0f} s for Cloudflare's limit on {self.what}")
                self.waited += delay
                self._sleep(delay)
                self._refill()
                self._tokens = max(self._tokens, cost)
            self._tokens -= cost

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now
