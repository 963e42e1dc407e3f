"""CloudflareClient: the one place that speaks HTTP to the Cloudflare API v4.

It adds auth headers and the User-Agent, unwraps the `{success, errors, messages, result,
result_info}` envelope, turns failures into `CloudflareAPIError`, retries what is safe to
retry, keeps the run inside Cloudflare's rate budget, and reads lists in the style each
endpoint has (`list_single`, `paginate_pages`, `paginate_cursor`). Resource
modules (`api/workers.py`, `api/kv.py`, ...) know the URLs; nothing else imports httpx.

Bounds (api.transport): each call has one deadline for all its attempts (default 60 s,
CFWORKER_REQUEST_TIMEOUT; more for large uploads, see `deadline_for`), enforced on every
socket operation, so connect + send + the entire answer end by it however slowly a server
answers. An answer is at most 64 MiB, also after decompression (bombs are refused early).

Retry rules (one place, see `_retry_delay`):
  * 429: retried for every method (the limiter refused the request before it ran), after
    `Retry-After` (seconds or HTTP date; at least 1 s; more than 60 s fails fast).
  * 5xx and transport errors: retried with exponential backoff and full jitter, but only
    for idempotent methods (GET, PUT, PATCH, DELETE). A POST is retried only when the
    connection was never made, since a POST that reached Cloudflare may have been applied.
  * No retry starts when the call's deadline leaves no time for it.
The sleep function and the clock are injectable, so tests never wait.
"""

from __future__ import annotations

import json as jsonlib
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from cfworker import __version__
from cfworker.api import transport as bounded
from cfworker.api.errors import ApiErrorItem, CloudflareAPIError, PaginationError, UnexpectedAnswer
from cfworker.settings import DEFAULT_API_BASE_URL, DEFAULT_REQUEST_TIMEOUT, Credentials

log = logging.getLogger(__name__)

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"})
RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504, 520, 521, 522, 523, 524})
MAX_RETRY_AFTER = 60.0
# A list longer than this many pages is a misbehaving server (or 100,000+ items), not a reason to loop.
MAX_PAGES = 1000
# Uploads get extra time on top of the deadline: a 10 MB bundle on a slow CI link is not a hang.
UPLOAD_BYTES_PER_SECOND = 256 * 1024


def deadline_for(timeout: float, body_size: int) -> float:
    """Seconds a call may take in all: the configured timeout, plus time to send a large body."""
    return timeout + body_size / UPLOAD_BYTES_PER_SECOND
# Errors raised before any byte of the request left this machine: safe to retry for POST.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


@dataclass(frozen=True, slots=True)
class Envelope:
    """A successful API answer: the result plus pagination info and messages."""

    result: Any
    result_info: Mapping[str, Any] = field(default_factory=dict)
    messages: tuple[Any, ...] = ()


class RateBudget:
    """A sliding-window request budget: waits instead of collecting 429s.

    Cloudflare allows 1200 requests per 5 minutes per user; a long run (a DNS hook with
    thousands of records, a watch session) paces itself below that.
    """

    def __init__(
        self,
        limit: int = 1200,
        window: float = 300.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._sleep = sleep
        self._sent: deque[float] = deque()
        self.waited = 0.0
        self._lock = threading.Lock()  # snapshot reads run in parallel threads

    def acquire(self) -> None:
        """Block until one more request fits in the window, then record it."""
        with self._lock:
            self._acquire()

    def _acquire(self) -> None:
        now = self._clock()
        while self._sent and now - self._sent[0] >= self.window:
            self._sent.popleft()
        if len(self._sent) >= self.limit:
            delay = self._sent[0] + self.window - now
            if delay > 0:
                log.debug("rate budget: %d requests in %.0fs, waiting %.2fs", self.limit, self.window, delay)
                self.waited += delay
                self._sleep(delay)
            self._sent.popleft()
            now = self._clock()
        self._sent.append(now)


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    import email.utils  # only for the rare HTTP-date form; keeps the import off the start-up path

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def backoff_delay(attempt: int, *, base: float = 0.5, cap: float = 8.0, rand: Callable[[], float] = random.random) -> float:
    """Exponential backoff with full jitter for retry number `attempt` (1-based)."""
    return float(rand() * min(cap, base * (2 ** (attempt - 1))) + base / 2)


class CloudflareClient:
    """Sync client for api.cloudflare.com/client/v4 (or CLOUDFLARE_API_BASE_URL)."""

    def __init__(
        self,
        credentials: Credentials | None,
        *,
        base_url: str = DEFAULT_API_BASE_URL,
        transport: httpx.BaseTransport | None = None,
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        max_attempts: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        budget: RateBudget | None = None,
        rand: Callable[[], float] = random.random,
        on_retry: Callable[[str], None] | None = None,
    ) -> None:
        self.credentials = credentials
        self.on_retry = on_retry  # told one line before each wait for a retry
        self.base_url = base_url.rstrip("/")
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._sleep = sleep
        self._rand = rand
        self.budget = budget if budget is not None else RateBudget(sleep=sleep)
        self.request_count = 0
        # Write requests that may have changed something: every write attempt except those
        # refused with a 4xx answer or that never left this machine. "Nothing was written"
        # (exit 1) is only ever claimed when this did not move.
        self.writes_landed = 0
        self._count_lock = threading.Lock()
        # gzip only: the client decodes answers itself, with a bound (api.transport.read_body).
        headers = {"User-Agent": f"cfworker/{__version__}", "Accept": "application/json", "Accept-Encoding": "gzip"}
        if credentials is not None:
            headers.update(credentials.headers())
        self._http = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=transport,
            timeout=httpx.Timeout(timeout, connect=10.0),
            follow_redirects=False,
            # Loading the CA bundle costs ~23 ms; a plain-http API root (a local fake or
            # proxy) never does TLS, so it skips that. https always verifies certificates.
            verify=not self.base_url.startswith("http://"),
        )
        bounded.bound_client(self._http)

    @property
    def sleep(self) -> Callable[[float], None]:
        """The injected sleep, for callers that pace themselves (cache purges)."""
        return self._sleep

    # -- lifecycle -----------------------------------------------------------------
    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> CloudflareClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- public API -----------------------------------------------------------------
    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        """Send a request and return the envelope's `result` (None for 204)."""
        return self.call_envelope(method, path, **kwargs).result

    def call_object(self, method: str, path: str, *, required: tuple[str, ...] = ("id",), **kwargs: Any) -> dict[str, Any]:
        """Send a request whose `result` must be an object holding `required` keys (else UnexpectedAnswer).

        Write steps read ids from their answers; `result: null`, `"ok"` or an object without
        the id fail that step with a message naming the call, not a KeyError later.
        """
        result = self.call(method, path, **kwargs)
        if not isinstance(result, dict):
            got = "null" if result is None else type(result).__name__
            raise UnexpectedAnswer(method, path, f"expected an object as result, got {got}")
        missing = [k for k in required if result.get(k) in (None, "")]
        if missing:
            raise UnexpectedAnswer(method, path, f"the result has no {', '.join(missing)}")
        return result

    def call_envelope(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        bearer: str | None = None,
    ) -> Envelope:
        """Send a request and return the whole successful envelope.

        `bearer` authenticates this request with that token instead of the user's credentials
        (the assets upload takes its session's JWT, api-notes §2.5): the API token, or the
        global key and email, are not sent with it.
        """
        response = self._send(method, path, params=params, json=json, files=files, data=data,
                              content=content, headers=headers, bearer=bearer)
        return self._unwrap(method, path, response)

    def call_raw(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
                 allow_status: tuple[int, ...] = ()) -> httpx.Response:
        """Send a request whose success body is not an envelope (e.g. a KV value).

        Statuses in allow_status (e.g. 404 for a missing KV key) are returned, not raised.
        """
        response = self._send(method, path, params=params)
        if response.is_success or response.status_code in allow_status:
            return response
        self._unwrap(method, path, response)  # raises with the envelope's details
        raise AssertionError("unreachable")

    # -- lists: one helper per pagination style (chosen per endpoint from the schema) -----
    def list_single(self, path: str, *, params: Mapping[str, Any] | None = None) -> list[Any]:
        """A list endpoint the schema does not paginate (zone routes): one GET returns every item.

        No `page` is sent: the real API ignores it and answers the full list again, so a
        page loop over such an endpoint never ends (real-api-quirks #1).
        """
        return _items(self.call_envelope("GET", path, params=params), "GET", path)

    def paginate_pages(self, path: str, *, params: Mapping[str, Any] | None = None,
                       per_page: int = 50) -> Iterator[Any]:
        """Every item of a `page`/`per_page` list (zones, DNS records, KV namespaces, accounts).

        Stops at `result_info.total_pages` (or `total_count`; without either, on a short
        page, judged by the `per_page` the server says it used). A server that answers a
        page other than the one asked for, the same items twice, or more than MAX_PAGES
        pages is an error, never a loop (real-api-quirks #3).
        """
        query: dict[str, Any] = {**(params or {}), "per_page": per_page}
        previous: list[Any] | None = None
        for page in range(1, MAX_PAGES + 1):
            query["page"] = page
            envelope = self.call_envelope("GET", path, params=query)
            items = _items(envelope, "GET", path)
            info = envelope.result_info or {}
            answered = _int_or_none(info.get("page"))
            if answered is not None and answered != page:
                raise PaginationError(path, f"asked for page {page}, the API answered page {answered}")
            if items and items == previous:
                raise PaginationError(path, f"page {page} repeated the items of page {page - 1}")
            yield from items
            if not items:
                return
            size = _int_or_none(info.get("per_page")) or per_page
            total_pages = _int_or_none(info.get("total_pages"))
            total_count = _int_or_none(info.get("total_count"))
            if total_pages is not None:
                if page >= total_pages:
                    return
            elif total_count is not None:
                if page * size >= total_count:
                    return
            elif len(items) < size:
                return
            previous = items
        raise PaginationError(path, f"more than {MAX_PAGES} pages")

    def paginate_cursor(self, path: str, *, params: Mapping[str, Any] | None = None, limit: int = 1000,
                        limit_param: str = "limit") -> Iterator[Any]:
        """Every item of a cursor list (KV keys): follow `result_info.cursor` until it is empty.

        `page` is never sent (the API ignores it; real-api-quirks #2). A cursor the API
        already gave, or more than MAX_PAGES pages, is an error, never a loop.
        """
        query: dict[str, Any] = {**(params or {}), limit_param: limit}
        seen: set[str] = set()
        for _ in range(MAX_PAGES):
            envelope = self.call_envelope("GET", path, params=query)
            yield from _items(envelope, "GET", path)
            info = envelope.result_info or {}
            cursor = info.get("cursor")
            if not cursor and isinstance(info.get("cursors"), Mapping):
                cursor = info["cursors"].get("after")
            if not cursor:
                return
            cursor = str(cursor)
            if cursor in seen:
                raise PaginationError(path, "the API returned a cursor it had already given")
            seen.add(cursor)
            query["cursor"] = cursor
        raise PaginationError(path, f"more than {MAX_PAGES} pages")

    # -- internals -------------------------------------------------------------------
    def _send(self, method: str, path: str, *, bearer: str | None = None, **kwargs: Any) -> httpx.Response:
        method = method.upper()
        kwargs = {k: v for k, v in kwargs.items() if v is not None}
        deadline: float | None = None
        attempt = 0
        while True:
            attempt += 1
            self.budget.acquire()  # our own pacing is not part of the call's deadline
            with self._count_lock:
                self.request_count += 1
            started = time.perf_counter()
            request = self._http.build_request(method, path, **kwargs)
            if bearer is not None:
                for name in ("X-Auth-Key", "X-Auth-Email"):
                    request.headers.pop(name, None)
                request.headers["Authorization"] = f"Bearer {bearer}"
            if deadline is None:  # one deadline for the call, its retries included
                size = int(request.headers.get("content-length") or 0)
                deadline = time.monotonic() + deadline_for(self.timeout, size)
            try:
                response = self._exchange(request, deadline)
            except (httpx.TransportError, bounded.DeadlinePassed) as exc:
                elapsed = (time.perf_counter() - started) * 1000
                log.debug("%s %s -> %s after %.0f ms (attempt %d)", method, path, type(exc).__name__, elapsed, attempt)
                never_sent = isinstance(exc, _NOT_SENT)
                self._count_write(method, landed=not never_sent)
                late = deadline - time.monotonic() <= 0
                wait = backoff_delay(attempt, rand=self._rand)
                if (attempt < self.max_attempts and (method in IDEMPOTENT or never_sent) and not late
                        and wait < deadline - time.monotonic()):
                    if self.on_retry is not None:
                        self.on_retry(f"{_describe_transport_error(exc)} on {method} {path}, retrying in {wait:.0f} s "
                                      f"(attempt {attempt + 1} of {self.max_attempts})")
                    self._sleep(wait)
                    continue
                if late:
                    detail = (f"no complete answer within {deadline_for(self.timeout, 0):.0f} s "
                              "(set CFWORKER_REQUEST_TIMEOUT to allow more)")
                else:
                    detail = f"{_describe_transport_error(exc)} at {self.base_url}"
                raise CloudflareAPIError(
                    method=method, path=path, status=None,
                    detail=detail + ("" if never_sent or method in IDEMPOTENT else "; the request may have been applied"),
                ) from None
            except bounded.AnswerTooLarge as exc:
                self._count_write(method, landed=True)
                raise UnexpectedAnswer(method, path, str(exc)) from None
            self._count_write(method, landed=not 400 <= response.status_code < 500)
            elapsed = (time.perf_counter() - started) * 1000
            log.debug("%s %s -> %d in %.0f ms (attempt %d)", method, path, response.status_code, elapsed, attempt)
            delay = self._retry_delay(method, response, attempt)
            if delay is None or delay >= deadline - time.monotonic():
                return response
            if self.on_retry is not None:
                self.on_retry(f"{response.status_code} from Cloudflare on {method} {path}, retrying in {delay:.0f} s "
                              f"(attempt {attempt + 1} of {self.max_attempts})")
            self._sleep(delay)

    def _count_write(self, method: str, *, landed: bool) -> None:
        if landed and method not in ("GET", "HEAD", "OPTIONS"):
            with self._count_lock:
                self.writes_landed += 1

    def _exchange(self, request: httpx.Request, deadline: float) -> httpx.Response:
        """Send one attempt and read the whole (bounded) answer by the deadline."""
        bounded.set_deadline(deadline)
        try:
            streamed = self._http.send(request, stream=True)
            try:
                body = bounded.read_body(streamed)
            finally:
                streamed.close()
        finally:
            bounded.set_deadline(None)
        headers = [(k, v) for k, v in streamed.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(streamed.status_code, headers=headers, content=body, request=request)

    def _retry_delay(self, method: str, response: httpx.Response, attempt: int) -> float | None:
        """Seconds to wait before retrying this response, or None to return it."""
        status = response.status_code
        if status not in RETRYABLE_STATUS or attempt >= self.max_attempts:
            return None
        if status == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            if wait is not None and wait > MAX_RETRY_AFTER:
                return None  # fail fast: the caller reports when to rerun
            return max(1.0, wait if wait is not None else 1.0) + self._rand() * 0.25
        if method not in IDEMPOTENT:
            return None  # a POST that reached the server may have been applied
        return backoff_delay(attempt, rand=self._rand)

    def _unwrap(self, method: str, path: str, response: httpx.Response) -> Envelope:
        ray_id = response.headers.get("cf-ray")
        source = self.credentials.source if self.credentials else None
        if response.status_code in (204, 205) or (response.is_success and not response.content):
            return Envelope(result=None)
        detail: str | None
        try:
            body = jsonlib.loads(response.content)
        except ValueError:
            kind = response.headers.get("content-type", "unknown content type").split(";")[0]
            snippet = " ".join(response.text[:200].split())
            if response.headers.get("cf-mitigated") == "challenge":
                detail = "blocked by a Cloudflare challenge page (WAF), not an API answer"
            else:
                detail = f"the answer was not JSON ({kind}): {snippet!r}"
            raise CloudflareAPIError(method=method, path=path, status=response.status_code,
                                     ray_id=ray_id, detail=detail, credential_source=source) from None
        if not isinstance(body, dict):
            raise CloudflareAPIError(method=method, path=path, status=response.status_code, ray_id=ray_id,
                                     detail="the answer was JSON but not an API envelope",
                                     credential_source=source)
        if body.get("success") is True and response.is_success:
            return Envelope(
                result=body.get("result"),
                result_info=body.get("result_info") or {},
                messages=tuple(body.get("messages") or ()),
            )
        errors = [_error_item(e) for e in body.get("errors") or ()]
        if not errors and "error" in body:  # some endpoints answer {error, code}
            errors = [ApiErrorItem(_int_or_none(body.get("code")), str(body["error"]))]
        detail = None
        if response.status_code == 429:
            wait = parse_retry_after(response.headers.get("retry-after"))
            detail = f"rate limited; Cloudflare asked to wait {wait:.0f} s" if wait else "rate limited"
        raise CloudflareAPIError(method=method, path=path, status=response.status_code, errors=errors,
                                 ray_id=ray_id, detail=detail, credential_source=source)


def _items(envelope: Envelope, method: str, path: str) -> list[Any]:
    """The `result` of a list answer, which must be a JSON array (null counts as empty)."""
    result = envelope.result
    if result is None:
        return []
    if not isinstance(result, list):
        raise UnexpectedAnswer(method, path, f"expected a list as result, got {type(result).__name__}")
    return result


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _error_item(raw: Any) -> ApiErrorItem:
    if isinstance(raw, Mapping):
        meta = raw.get("meta")
        return ApiErrorItem(_int_or_none(raw.get("code")), str(raw.get("message", "")).strip() or "no message",
                            meta if isinstance(meta, Mapping) else None)
    return ApiErrorItem(None, str(raw))


def _describe_transport_error(exc: Exception) -> str:
    names = {
        httpx.ConnectError: "could not connect",
        httpx.ConnectTimeout: "timed out connecting",
        httpx.ReadTimeout: "timed out waiting for the answer",
        httpx.WriteTimeout: "timed out sending the request",
        httpx.RemoteProtocolError: "the connection was closed without an answer",
        httpx.ReadError: "the connection broke while reading the answer",
    }
    for kind, text in names.items():
        if isinstance(exc, kind):
            return text
    return f"network error ({type(exc).__name__})"

