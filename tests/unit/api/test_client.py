"""CloudflareClient: envelope, errors, retries, rate budget, pagination (httpx MockTransport, no sockets)."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

import httpx
import pytest

from cfworker import __version__
from cfworker.api.client import CloudflareClient, RateBudget, backoff_delay, parse_retry_after
from cfworker.api.errors import CloudflareAPIError, PaginationError, UnexpectedAnswer
from cfworker.redact import REDACTOR
from cfworker.settings import Credentials

TOKEN = "canary-token-Zq8xW3vT5yU1"
TOKEN_CREDS = Credentials("token", TOKEN, source="env CLOUDFLARE_API_TOKEN")


def ok(result: object, result_info: dict | None = None, status: int = 200) -> httpx.Response:
    body: dict = {"success": True, "errors": [], "messages": [], "result": result}
    if result_info is not None:
        body["result_info"] = result_info
    return httpx.Response(status, json=body)


def fail(status: int, code: int, message: str, headers: dict | None = None) -> httpx.Response:
    body = {"success": False, "errors": [{"code": code, "message": message}], "messages": [], "result": None}
    return httpx.Response(status, json=body, headers=headers)


class Recorder:
    """A MockTransport handler that replays scripted responses and records requests."""

    def __init__(self, *responses: httpx.Response | Exception | Callable[[httpx.Request], httpx.Response]) -> None:
        self.responses = list(responses)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        nxt = self.responses.pop(0) if len(self.responses) > 1 else self.responses[0]
        if isinstance(nxt, Exception):
            raise nxt
        if callable(nxt) and not isinstance(nxt, httpx.Response):
            return nxt(request)
        return nxt


def make_client(handler: Recorder, *, creds: Credentials | None = TOKEN_CREDS, **kw: object):
    sleeps: list[float] = []
    client = CloudflareClient(
        creds, base_url="https://api.test/client/v4", transport=httpx.MockTransport(handler),
        sleep=sleeps.append, rand=lambda: 0.5, **kw,  # type: ignore[arg-type]
    )
    return client, sleeps


def test_call_success_returns_result_and_sends_auth_and_user_agent() -> None:
    """A successful envelope yields its result; the request carries Bearer auth and our User-Agent."""
    rec = Recorder(ok({"id": "abc", "status": "active"}))
    client, _ = make_client(rec)
    assert client.call("GET", "/user/tokens/verify") == {"id": "abc", "status": "active"}
    req = rec.requests[0]
    assert req.url == "https://api.test/client/v4/user/tokens/verify"
    assert req.headers["authorization"] == f"Bearer {TOKEN}"
    assert req.headers["user-agent"] == f"cfworker/{__version__}"


def test_global_key_sends_key_and_email_headers_without_authorization() -> None:
    """Global-key credentials use X-Auth-Key and X-Auth-Email, never a bearer header."""
    rec = Recorder(ok({"id": "u1", "email": "me@example.com"}))
    creds = Credentials("global_key", "k" * 37, email="me@example.com", source="env CLOUDFLARE_API_KEY")
    client, _ = make_client(rec, creds=creds)
    client.call("GET", "/user")
    headers = rec.requests[0].headers
    assert headers["x-auth-key"] == "k" * 37
    assert headers["x-auth-email"] == "me@example.com"
    assert "authorization" not in headers


def test_failure_envelope_becomes_error_with_codes_status_and_ray() -> None:
    """success=false raises CloudflareAPIError carrying method, path, status, code and Ray ID."""
    rec = Recorder(fail(404, 10007, "workers.api.error.script_not_found", headers={"cf-ray": "8abc123-SJC"}))
    client, sleeps = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("GET", "/accounts/a/workers/scripts/app/settings")
    err = info.value
    assert (err.method, err.path, err.status, err.codes) == ("GET", "/accounts/a/workers/scripts/app/settings", 404, (10007,))
    assert err.ray_id == "8abc123-SJC"
    assert "[10007] workers.api.error.script_not_found" in err.message
    assert "deploy it first" in (err.hint or "")
    assert any("8abc123-SJC" in n for n in err.notes)
    assert sleeps == [] and len(rec.requests) == 1


def test_non_json_502_is_retried_then_reported_with_status_and_ray() -> None:
    """An HTML 502 is retried (GET) and finally reported with the status, a snippet and the Ray ID."""
    html = httpx.Response(502, text="<html><body>Bad gateway</body></html>",
                          headers={"content-type": "text/html", "cf-ray": "77ee-LHR"})
    rec = Recorder(html)
    client, sleeps = make_client(rec, max_attempts=3)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("GET", "/zones")
    err = info.value
    assert err.status == 502 and err.ray_id == "77ee-LHR"
    assert "not JSON (text/html)" in err.message and "Bad gateway" in err.message
    assert len(rec.requests) == 3 and len(sleeps) == 2


def test_429_retry_after_is_honoured_for_post() -> None:
    """A 429 with Retry-After: 2 sleeps at least 2 s, then the retried POST succeeds."""
    rec = Recorder(fail(429, 971, "Please wait and consider throttling your request speed", headers={"retry-after": "2"}),
                   ok({"id": "ns1", "title": "t"}))
    client, sleeps = make_client(rec)
    assert client.call("POST", "/accounts/a/storage/kv/namespaces", json={"title": "t"})["id"] == "ns1"
    assert len(rec.requests) == 2
    assert len(sleeps) == 1 and 2.0 <= sleeps[0] <= 2.5


def test_429_without_retry_after_waits_at_least_one_second() -> None:
    """A bare 429 still waits at least a second before the retry."""
    rec = Recorder(fail(429, 971, "slow down"), ok([]))
    client, sleeps = make_client(rec)
    client.call("GET", "/zones")
    assert sleeps and sleeps[0] >= 1.0


def test_429_with_retry_after_over_a_minute_fails_fast() -> None:
    """Retry-After beyond 60 s is not slept through: the error says how long Cloudflare asked to wait."""
    rec = Recorder(fail(429, 971, "slow down", headers={"retry-after": "600"}))
    client, sleeps = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("GET", "/zones")
    assert sleeps == [] and len(rec.requests) == 1
    assert "wait 600 s" in " ".join(info.value.notes) and "rate limiting" in (info.value.hint or "")


def test_post_that_reached_server_is_not_retried_on_500() -> None:
    """A POST answered with 500 may have been applied, so it is reported, not resent."""
    rec = Recorder(fail(500, 10000 + 1, "internal"), ok({"id": "x"}))
    client, sleeps = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("POST", "/zones/z/dns_records", json={"type": "A"})
    assert info.value.status == 500
    assert len(rec.requests) == 1 and sleeps == []


def test_post_is_not_retried_when_connection_dropped_after_sending() -> None:
    """A POST whose answer was lost (connection closed) is not resent, and the error says it may have applied."""
    rec = Recorder(httpx.RemoteProtocolError("Server disconnected without sending a response."), ok({"id": "x"}))
    client, sleeps = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("POST", "/accounts/a/storage/kv/namespaces", json={"title": "t"})
    assert len(rec.requests) == 1 and sleeps == []
    assert info.value.status is None and "may have been applied" in info.value.message


def test_post_is_retried_when_connection_was_never_made() -> None:
    """A POST that failed to connect never reached Cloudflare, so it is safe to retry."""
    rec = Recorder(httpx.ConnectError("connection refused"), ok({"id": "x"}))
    client, sleeps = make_client(rec)
    assert client.call("POST", "/accounts/a/storage/kv/namespaces", json={"title": "t"}) == {"id": "x"}
    assert len(rec.requests) == 2 and len(sleeps) == 1


def test_put_is_retried_on_503_and_read_errors() -> None:
    """Idempotent methods are retried on 5xx and broken connections, with growing backoff."""
    rec = Recorder(fail(503, 0, "unavailable"), httpx.ReadError("reset"), ok({"etag": "e"}))
    client, sleeps = make_client(rec)
    assert client.call("PUT", "/accounts/a/workers/scripts/app", content=b"x") == {"etag": "e"}
    assert len(rec.requests) == 3
    assert len(sleeps) == 2 and sleeps[1] > sleeps[0]


def test_4xx_other_than_429_is_never_retried() -> None:
    """Client errors are answered at once: retrying cannot fix them."""
    rec = Recorder(fail(400, 10021, "Uncaught SyntaxError"))
    client, sleeps = make_client(rec)
    with pytest.raises(CloudflareAPIError):
        client.call("PUT", "/accounts/a/workers/scripts/app", content=b"x")
    assert len(rec.requests) == 1 and sleeps == []


def test_auth_failure_hint_names_env_var_and_needed_permission() -> None:
    """A 403/10000 names where the token came from and the permission the endpoint needs."""
    rec = Recorder(fail(403, 10000, "Authentication error"))
    client, _ = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("POST", "/zones/z/workers/routes", json={"pattern": "a/*"})
    hint = info.value.hint or ""
    assert "CLOUDFLARE_API_TOKEN" in hint and "Workers Routes: Edit" in hint


def test_bad_identifier_7003_hint_mentions_account_id_sources() -> None:
    """7003 (bad id in the path) gets a hint naming where account ids come from."""
    rec = Recorder(fail(400, 7003, "Could not route to /accounts/me@x.com/workers/scripts, perhaps your object identifier is invalid?"))
    client, _ = make_client(rec)
    with pytest.raises(CloudflareAPIError) as info:
        client.call("GET", "/accounts/x/workers/scripts")
    assert "CLOUDFLARE_ACCOUNT_ID" in (info.value.hint or "")


def test_204_returns_none() -> None:
    """An empty 204 is a success with no result."""
    client, _ = make_client(Recorder(httpx.Response(204)))
    assert client.call("DELETE", "/zones/z/workers/routes/r") is None


def test_paginate_pages_follows_pages_until_total_pages() -> None:
    """Page-style lists are read page by page until total_pages, and every page is requested once."""
    pages = {1: ["a", "b"], 2: ["c", "d"], 3: ["e"]}

    def handler(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        return ok(pages[page], {"page": page, "per_page": 2, "count": len(pages[page]), "total_count": 5, "total_pages": 3})

    rec = Recorder(handler)
    client, _ = make_client(rec)
    assert list(client.paginate_pages("/accounts/a/storage/kv/namespaces", per_page=2)) == ["a", "b", "c", "d", "e"]
    assert [r.url.params["page"] for r in rec.requests] == ["1", "2", "3"]
    assert all(r.url.params["per_page"] == "2" for r in rec.requests)


def test_paginate_pages_trusts_the_per_page_the_server_used() -> None:
    """A server capping per_page below the asked size does not look like a short last page."""
    data = {1: [1, 2], 2: [3, 4], 3: [5]}
    rec = Recorder(lambda r: ok(data[int(r.url.params["page"])], {"page": int(r.url.params["page"]), "per_page": 2}))
    client, _ = make_client(rec)
    assert list(client.paginate_pages("/zones", per_page=50)) == [1, 2, 3, 4, 5]
    assert len(rec.requests) == 3


def test_paginate_pages_without_totals_stops_on_short_page() -> None:
    """Without totals, a short page ends the list."""
    data = {1: [1, 2, 3], 2: [4]}
    rec = Recorder(lambda r: ok(data[int(r.url.params["page"])]))
    client, _ = make_client(rec)
    assert list(client.paginate_pages("/zones", per_page=3)) == [1, 2, 3, 4]
    assert len(rec.requests) == 2


def test_paginate_pages_refuses_a_server_that_ignores_page() -> None:
    """A full page answered again for page 2 is an error after two requests, not an endless loop."""
    rec = Recorder(lambda r: ok([1, 2, 3]))
    client, _ = make_client(rec)
    with pytest.raises(PaginationError, match="page 2 repeated the items of page 1"):
        list(client.paginate_pages("/zones", per_page=3))
    assert len(rec.requests) == 2


def test_paginate_pages_refuses_an_answer_for_another_page() -> None:
    """result_info.page that is not the page asked for stops the read."""
    rec = Recorder(lambda r: ok([1, 2], {"page": 1, "per_page": 2, "total_pages": 9}))
    client, _ = make_client(rec)
    with pytest.raises(PaginationError, match="asked for page 2, the API answered page 1"):
        list(client.paginate_pages("/zones", per_page=2))


def test_paginate_pages_stops_at_the_page_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    """A list that claims endless pages of fresh items ends at MAX_PAGES with an error."""
    import cfworker.api.client as client_module

    monkeypatch.setattr(client_module, "MAX_PAGES", 5)
    rec = Recorder(lambda r: ok([r.url.params["page"]], {"page": int(r.url.params["page"]), "per_page": 1,
                                                         "total_pages": 10**9}))
    client, _ = make_client(rec)
    with pytest.raises(PaginationError, match="more than 5 pages"):
        list(client.paginate_pages("/zones", per_page=1))
    assert len(rec.requests) == 5


def test_paginate_cursor_follows_cursor_and_never_sends_page() -> None:
    """Cursor-style lists send the cursor until result_info has none; `page` is never sent."""
    cursors = {None: (["k1", "k2"], "c2"), "c2": (["k3"], "c3"), "c3": (["k4"], "")}

    def handler(request: httpx.Request) -> httpx.Response:
        items, nxt = cursors[request.url.params.get("cursor")]
        return ok(items, {"count": len(items), "cursor": nxt})

    rec = Recorder(handler)
    client, _ = make_client(rec)
    assert list(client.paginate_cursor("/accounts/a/storage/kv/namespaces/n/keys")) == ["k1", "k2", "k3", "k4"]
    assert len(rec.requests) == 3
    assert all("page" not in r.url.params and r.url.params["limit"] == "1000" for r in rec.requests)


def test_paginate_cursor_refuses_a_repeated_cursor() -> None:
    """A cursor the server already gave is an error, not a loop."""
    rec = Recorder(lambda r: ok(["k"], {"cursor": "same"}))
    client, _ = make_client(rec)
    with pytest.raises(PaginationError, match="cursor it had already given"):
        list(client.paginate_cursor("/accounts/a/storage/kv/namespaces/n/keys"))
    assert len(rec.requests) == 2


def test_list_single_reads_once_without_paging_parameters() -> None:
    """A non-paginated list is one request with no page or per_page."""
    rec = Recorder(ok([{"id": str(i)} for i in range(55)]))
    client, _ = make_client(rec)
    assert len(client.list_single("/zones/z/workers/routes")) == 55
    assert len(rec.requests) == 1 and not rec.requests[0].url.params


def test_list_answer_that_is_not_a_list_is_an_unexpected_answer() -> None:
    """`result: "ok"` where a list is expected fails with a clear error naming the call."""
    client, _ = make_client(Recorder(ok("ok")))
    with pytest.raises(UnexpectedAnswer, match="GET /zones/z/workers/routes: unexpected answer"):
        client.list_single("/zones/z/workers/routes")


def test_rate_budget_paces_instead_of_exceeding_the_window() -> None:
    """With a budget of 3 per 10 s, the 4th request waits for the window to free a slot."""
    now = [0.0]
    waits: list[float] = []

    def sleep(s: float) -> None:
        waits.append(s)
        now[0] += s

    budget = RateBudget(3, 10.0, clock=lambda: now[0], sleep=sleep)
    for t in (0.0, 1.0, 2.0):
        now[0] = t
        budget.acquire()
    now[0] = 3.0
    budget.acquire()
    assert waits == [7.0]
    assert budget.waited == 7.0


def test_client_uses_budget_for_every_attempt() -> None:
    """Retries count against the budget too."""
    budget = RateBudget(100, 300.0, clock=lambda: 0.0, sleep=lambda s: None)
    rec = Recorder(fail(503, 0, "x"), ok([]))
    client, _ = make_client(rec, budget=budget)
    client.call("GET", "/zones")
    assert len(budget._sent) == 2 and client.request_count == 2


def test_retry_after_parsing() -> None:
    """Retry-After accepts delta seconds and HTTP dates; junk is ignored."""
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:10 GMT", now=1445412480.0) == pytest.approx(10.0)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None


def test_backoff_grows_and_is_capped() -> None:
    """Backoff doubles per attempt and never exceeds the cap plus the floor."""
    delays = [backoff_delay(n, rand=lambda: 1.0) for n in range(1, 10)]
    assert delays[0] < delays[1] < delays[2]
    assert max(delays) <= 8.0 + 0.25


def test_canary_token_never_in_error_or_debug_log(caplog: pytest.LogCaptureFixture) -> None:
    """The token appears in no error text and no debug log line, even when the server echoes it."""
    REDACTOR.add(TOKEN)
    echo = fail(400, 6003, f"Invalid request headers: Bearer {TOKEN}", headers={"cf-ray": "r1"})
    rec = Recorder(echo)
    client, _ = make_client(rec)
    caplog.set_level(logging.DEBUG, logger="cfworker")
    from cfworker.redact import redact

    with pytest.raises(CloudflareAPIError) as info:
        client.call("GET", "/user/tokens/verify")
    err = info.value
    rendered = redact("\n".join([err.message, *err.notes, err.hint or ""]))
    assert TOKEN not in rendered and "<redacted>" in rendered
    assert all(TOKEN not in redact(r.getMessage()) for r in caplog.records)
    assert any("/user/tokens/verify" in r.getMessage() for r in caplog.records)


def test_debug_log_has_method_path_status_time(caplog: pytest.LogCaptureFixture) -> None:
    """--debug traces show method, path, status and elapsed time, and no headers."""
    caplog.set_level(logging.DEBUG, logger="cfworker")
    client, _ = make_client(Recorder(ok([])))
    client.call("GET", "/zones", params={"name": "example.com"})
    lines = [r.getMessage() for r in caplog.records]
    assert any(line.startswith("GET /zones -> 200 in ") for line in lines), lines
    assert not any("Bearer" in line or "authorization" in line.lower() for line in lines)


def test_json_body_and_multipart_are_sent() -> None:
    """JSON bodies and multipart parts reach the transport unchanged."""
    rec = Recorder(ok({}))
    client, _ = make_client(rec)
    client.call("PUT", "/x", json={"a": 1})
    assert json.loads(rec.requests[0].content) == {"a": 1}
    client.call("PUT", "/y", files=[("metadata", (None, b'{"main_module":"index.js"}', "application/json")),
                                      ("index.js", ("index.js", b"export default {}", "application/javascript+module"))])
    body = rec.requests[1].content
    assert b'name="index.js"; filename="index.js"' in body and b"application/javascript+module" in body


def test_each_retry_is_announced_with_its_wait_and_attempt() -> None:
    """One line per retry: the status, the call, the wait and which attempt comes next."""
    rec = Recorder(fail(429, 971, "slow down", headers={"retry-after": "2"}), ok({"id": "ns1", "title": "t"}))
    client, _sleeps = make_client(rec)
    said: list[str] = []
    client.on_retry = said.append
    client.call("POST", "/accounts/a/storage/kv/namespaces", json={"title": "t"})
    assert said == ["429 from Cloudflare on POST /accounts/a/storage/kv/namespaces, retrying in 2 s (attempt 2 of 4)"]
