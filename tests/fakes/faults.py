"""Fault injection for the fake API: scripted faults, random chaos and a global rate limit.

    fake.inject(method="PUT", path_glob="/accounts/*/workers/scripts/*", fault=Status(503), times=2)
    fake.inject(fault=Drop(after_apply=True), method="POST", path_glob="*/dns_records")
    fake.chaos(rate=0.2, seed=7, kinds=["429", "502", "drop", "drop_after_apply"])
    fake.rate_limit(requests=100, window=60.0)

`Status` answers without touching state; `Slow` delays, then serves normally; `Drop()` closes
the connection before the request is applied, `Drop(after_apply=True)` after it was applied
(the response is lost, the write is not). Globs are `fnmatch` patterns over the API path
(no `/client/v4`, no query); `*` also matches `/`.

Hostile servers (issue 13): the request is served (a write is applied), then the answer is
rewritten. `Trickle` sends it a few bytes at a time, `OddResult` replaces the envelope's
result (null, "ok", an object without an id), `Oversize` pads it past any sane size,
`GzipBomb` sends a small gzip body that inflates enormously, `EndlessPages` claims another
page forever, `RepeatCursor` hands out the same cursor again. No real API does these on
purpose; proxies, captive portals and broken middleboxes do, and a client must stay bounded.
"""

from __future__ import annotations

import collections
import fnmatch
import gzip
import http
import io
import random
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Union

from tests.fakes.wire import FakeRequest, FakeResponse, envelope, new_id

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


@dataclass
class TrickleResponse(FakeResponse):
    """A response the server writes `chunk` bytes at a time, `interval` seconds apart."""

    interval: float = 1.0
    chunk: int = 1
    headers_too: bool = False  # trickle the status line and headers as well (slow loris)


@dataclass(frozen=True)
class Trickle:
    """Serve the request, then send the answer `chunk` bytes every `interval` seconds."""

    interval: float
    chunk: int = 1
    headers_too: bool = False

    @property
    def kind(self) -> str:
        return "trickle"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        return TrickleResponse(served.status, dict(served.headers), served.body, self.interval, self.chunk,
                               self.headers_too)


@dataclass(frozen=True)
class OddResult:
    """Serve the request (a write is applied), then answer success with this `result` instead."""

    result: Any = None

    @property
    def kind(self) -> str:
        return "odd_result"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        return FakeResponse(200, {"Content-Type": "application/json"}, envelope(self.result))


@dataclass(frozen=True)
class Oversize:
    """Answer a success envelope padded to `size` bytes."""

    size: int

    @property
    def kind(self) -> str:
        return "oversize"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        head = b'{"success":true,"errors":[],"messages":[],"result":[],"padding":"'
        return FakeResponse(200, {"Content-Type": "application/json"},
                            head + b"x" * max(0, self.size - len(head) - 2) + b'"}')


@dataclass(frozen=True)
class GzipBomb:
    """Answer with a gzip body that inflates to `size` bytes (about size/1000 on the wire)."""

    size: int

    @property
    def kind(self) -> str:
        return "gzip_bomb"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        return FakeResponse(200, {"Content-Type": "application/json", "Content-Encoding": "gzip"},
                            _bomb(self.size))


_BOMBS: dict[int, bytes] = {}


def _bomb(size: int) -> bytes:
    if size not in _BOMBS:
        buf = io.BytesIO()
        with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9) as f:
            f.write(b'{"success":true,"errors":[],"messages":[],"result":[],"x":"')
            zeros = b"0" * (1024 * 1024)
            for _ in range(size // len(zeros)):
                f.write(zeros)
        _BOMBS[size] = buf.getvalue()
    return _BOMBS[size]


@dataclass(frozen=True)
class EndlessPages:
    """A page list that always has another page: fresh items, total_pages far away."""

    @property
    def kind(self) -> str:
        return "endless_pages"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        page = int(req.q("page") or 1)
        items = [{"id": new_id(), "name": f"item-{page}-{i}.example.com", "title": f"t{page}-{i}",
                  "pattern": f"p{page}-{i}/*"} for i in range(2)]
        info = {"page": page, "per_page": 2, "count": 2, "total_count": 10**9, "total_pages": 10**9 // 2}
        return FakeResponse(200, {"Content-Type": "application/json"}, envelope(items, result_info=info))


@dataclass(frozen=True)
class RepeatCursor:
    """A cursor list whose cursor never ends: the same cursor comes back on every page."""

    @property
    def kind(self) -> str:
        return "repeat_cursor"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        items = [{"name": f"key-{new_id()}"}]
        return FakeResponse(200, {"Content-Type": "application/json"},
                            envelope(items, result_info={"count": 1, "cursor": "c-same"}))


@dataclass(frozen=True)
class SamePage:
    """A page list that ignores `page`: every request gets page 1 again, claiming more pages."""

    @property
    def kind(self) -> str:
        return "same_page"

    def rewrite(self, req: FakeRequest, served: FakeResponse) -> FakeResponse:
        items = [{"id": f"{i:032x}", "name": f"same-{i}.example.com", "title": f"same-{i}"} for i in range(2)]
        info = {"page": 1, "per_page": 2, "count": 2, "total_count": 10, "total_pages": 5}
        return FakeResponse(200, {"Content-Type": "application/json"}, envelope(items, result_info=info))


Rewrite = Union[Trickle, OddResult, Oversize, GzipBomb, EndlessPages, RepeatCursor, SamePage]
Fault = Union[Status, Slow, Drop, Trickle, OddResult, Oversize, GzipBomb, EndlessPages, RepeatCursor, SamePage]
REWRITES = (Trickle, OddResult, Oversize, GzipBomb, EndlessPages, RepeatCursor, SamePage)

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
