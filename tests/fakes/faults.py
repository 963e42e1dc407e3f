"""Fault injection for the fake API: scripted faults, random chaos and a global rate limit.

    fake.inject(method="PUT", path_glob="/accounts/*/workers/scripts/*", fault=Status(503), times=2)
    fake.inject(fault=Drop(after_apply=True), method="POST", path_glob="*/dns_records")
    fake.chaos(rate=0.2, seed=7, kinds=["429", "502", "drop", "drop_after_apply"])
    fake.rate_limit(requests=100, window=60.0)

`Status` answers without touching state; `Slow` delays, then serves normally; `Drop()` closes
the connection before the request is applied, `Drop(after_apply=True)` after it was applied
(the response is lost, the write is not). Globs are `fnmatch` patterns over the API path
(no `/client/v4`, no query); `*` also matches `/`.
"""

from __future__ import annotations

import collections
import fnmatch
import http
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, Union

from tests.fakes.wire import envelope

_DEFAULT_ERRORS = {429: (971, "Please wait and consider throttling your request speed")}


@dataclass(frozen=True)
class Status:
    """Answer with this HTTP status instead of serving the request (state untouched).

    `body=None` sends a Cloudflare error envelope; `html=True` sends an edge HTML error page;
    any other `body` is sent verbatim (text/plain unless `content_type` says otherwise).
    """

    status: int
    retry_after: float | None = None
    body: bytes | str | None = None
    html: bool = False
    code: int | None = None
    content_type: str | None = None

    @property
    def kind(self) -> str:
        """Counter key, e.g. `status:503` or `status:502:html`."""
        return f"status:{self.status}" + (":html" if self.html else "")

    def render(self) -> tuple[dict[str, str], bytes]:
        """Headers and body of the faulty response."""
        headers: dict[str, str] = {}
        if self.retry_after is not None:
            ra = self.retry_after
            headers["Retry-After"] = str(int(ra)) if float(ra).is_integer() else str(ra)
        try:
            reason = http.HTTPStatus(self.status).phrase
        except ValueError:
            reason = "Error"
        if self.html:
            headers["Content-Type"] = "text/html"
            body = (f"<html>\r\n<head><title>{self.status} {reason}</title></head>\r\n<body>\r\n"
                    f"<center><h1>{self.status} {reason}</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
                    "</body>\r\n</html>\r\n").encode()
        elif self.body is not None:
            headers["Content-Type"] = self.content_type or "text/plain; charset=utf-8"
            body = self.body.encode() if isinstance(self.body, str) else self.body
        else:
            code, message = _DEFAULT_ERRORS.get(self.status, (10013, "An unknown error has occurred"))
            headers["Content-Type"] = "application/json"
            body = envelope(None, success=False, errors=[{"code": self.code or code, "message": message}])
        return headers, body


@dataclass(frozen=True)
class Slow:
    """Wait `seconds` (without holding the fake's lock), then serve the request normally."""

    seconds: float

    @property
    def kind(self) -> str:
        """Counter key."""
        return "slow"


@dataclass(frozen=True)
class Drop:
    """Close the connection without a response; `after_apply=True` applies the request first."""

    after_apply: bool = False

    @property
    def kind(self) -> str:
        """Counter key."""
        return "drop_after_apply" if self.after_apply else "drop"


Fault = Union[Status, Slow, Drop]

CHAOS_KINDS: dict[str, Fault] = {
    "429": Status(429, retry_after=1), "500": Status(500), "502": Status(502, html=True),
    "503": Status(503), "503html": Status(503, html=True), "drop": Drop(), "drop_after_apply": Drop(True),
    "slow": Slow(0.05),
}
DEFAULT_CHAOS = ("429", "500", "502", "503", "drop", "drop_after_apply")


def _method_matches(pattern: str, method: str) -> bool:
    return pattern == "*" or method.upper() in {m.strip().upper() for m in pattern.split("|")}


@dataclass
class Injection:
    """A scripted fault: skips `after` matching requests, then fires `times` times (None = forever)."""

    method: str
    path_glob: str
    fault: Fault
    times: int | None = 1
    after: int = 0
    seen: int = 0
    fired: int = 0

    def matches(self, method: str, path: str) -> bool:
        """Whether a request is covered by this injection."""
        return _method_matches(self.method, method) and fnmatch.fnmatchcase(path, self.path_glob)

    def take(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if it is this injection's turn."""
        if not self.matches(method, path):
            return None
        self.seen += 1
        if self.seen <= self.after or (self.times is not None and self.fired >= self.times):
            return None
        self.fired += 1
        return self.fault

    @property
    def exhausted(self) -> bool:
        """True once the fault has fired `times` times."""
        return self.times is not None and self.fired >= self.times


@dataclass
class Chaos:
    """Random faults at `rate`, reproducible from `seed` for a given request order."""

    rate: float
    seed: int
    kinds: list[Fault]
    method: str = "*"
    path_glob: str = "*"
    rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)

    def take(self, method: str, path: str) -> Fault | None:
        """A random fault for this request, or None."""
        if not (_method_matches(self.method, method) and fnmatch.fnmatchcase(path, self.path_glob)):
            return None
        if self.rng.random() >= self.rate:
            return None
        return self.rng.choice(self.kinds)


@dataclass
class RateLimit:
    """At most `requests` per sliding `window` seconds; beyond that, 429 with Retry-After."""

    requests: int
    window: float
    clock: Callable[[], float] = time.monotonic
    stamps: collections.deque[float] = field(default_factory=collections.deque)

    def check(self) -> float | None:
        """Count one request; returns None if allowed, else the seconds until a slot frees up."""
        now = self.clock()
        while self.stamps and self.stamps[0] <= now - self.window:
            self.stamps.popleft()
        if len(self.stamps) >= self.requests:
            return max(0.0, self.stamps[0] + self.window - now)
        self.stamps.append(now)
        return None


class FaultPlan:
    """All fault sources of one fake and the counters of what fired."""

    def __init__(self) -> None:
        self.injections: list[Injection] = []
        self.chaos: Chaos | None = None
        self.rate_limit: RateLimit | None = None
        self.counts: collections.Counter[str] = collections.Counter()
        self._lock = threading.Lock()

    def take(self, method: str, path: str) -> Fault | None:
        """The fault for this request: the first scripted one that fires, else chaos."""
        with self._lock:
            fault: Fault | None = None
            for inj in self.injections:
                fault = inj.take(method, path)
                if fault is not None:
                    break
            if fault is None and self.chaos is not None:
                fault = self.chaos.take(method, path)
            if fault is not None:
                self.counts[fault.kind] += 1
            return fault

    def check_rate(self) -> float | None:
        """Seconds to wait if the global budget is exhausted."""
        with self._lock:
            if self.rate_limit is None:
                return None
            wait = self.rate_limit.check()
            if wait is not None:
                self.counts["rate_limited"] += 1
            return wait


def parse_kinds(kinds: list[str | Fault] | tuple[str | Fault, ...] | None) -> list[Fault]:
    """Chaos kinds by name (see CHAOS_KINDS) or as Fault objects."""
    out: list[Fault] = []
    for k in kinds or DEFAULT_CHAOS:
        if isinstance(k, str):
            if k not in CHAOS_KINDS:
                raise ValueError(f"unknown chaos kind {k!r}; known: {sorted(CHAOS_KINDS)}")
            out.append(CHAOS_KINDS[k])
        else:
            out.append(k)
    return out
