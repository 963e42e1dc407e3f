"""Fault injection, the in-process transport, keep-alive and per-request cost of the fake."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.fakes import Drop, FakeCloudflare, Slow, Status
# Fixtures imported directly until tests/conftest.py loads tests.fakes.plugin (then this line is redundant).
from tests.fakes.test_fake_cloudflare import errors


def _ns_path(fake: FakeCloudflare) -> str:
    return f"/accounts/{fake.account_id}/storage/kv/namespaces"


def test_429_carries_retry_after(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Status(429, retry_after) answers 429 with the header and an error envelope, once."""
    fake_cf.inject("GET", "/zones", Status(429, retry_after=3))
    r = fake_cf_client.get("/zones")
    assert (r.status_code, r.headers["Retry-After"], errors(r)) == (429, "3", [971])
    assert fake_cf_client.get("/zones").status_code == 200
    assert fake_cf.fault_counts == {"status:429": 1}
    assert [(x.status, x.fault) for x in fake_cf.requests] == [(429, "status:429"), (200, None)]


def test_503_json_and_502_html(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """5xx faults come as a JSON envelope, or as the edge's HTML page with a cf-ray header."""
    fake_cf.inject("*", "/zones*", Status(503))
    fake_cf.inject("*", "/zones*", Status(502, html=True))
    r = fake_cf_client.get("/zones")
    assert r.status_code == 503 and r.json()["success"] is False
    r = fake_cf_client.get("/zones")
    assert r.status_code == 502 and r.headers["content-type"] == "text/html" and r.headers["cf-ray"]
    assert "<title>502 Bad Gateway</title>" in r.text
    assert fake_cf_client.get("/zones").status_code == 200


def test_status_fault_does_not_apply_the_write(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """A faulted write never reaches the state."""
    fake_cf.inject("POST", "*/storage/kv/namespaces", Status(500))
    assert fake_cf_client.post(_ns_path(fake_cf), json={"title": "a"}).status_code == 500
    assert fake_cf.kv == {}


def test_times_and_after(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """`after` skips matching requests, `times` bounds how often the fault fires."""
    inj = fake_cf.inject("GET", "/zones", Status(500), times=2, after=1)
    codes = [fake_cf_client.get("/zones").status_code for _ in range(5)]
    assert codes == [200, 500, 500, 200, 200]
    assert inj.fired == 2 and inj.exhausted


def test_slow_delays_then_serves(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Slow(s) waits s seconds and then answers normally; a short client timeout sees a timeout."""
    fake_cf.inject("GET", "/zones", Slow(0.3))
    t0 = time.perf_counter()
    assert fake_cf_client.get("/zones").status_code == 200
    assert time.perf_counter() - t0 >= 0.3
    fake_cf.inject("GET", "/zones", Slow(0.5))
    with pytest.raises(httpx.ReadTimeout):
        fake_cf_client.get("/zones", timeout=0.1)


def test_drop_before_apply(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Drop() closes the connection without a response and without applying the request."""
    fake_cf.inject("POST", "*/storage/kv/namespaces", Drop())
    with pytest.raises(httpx.RemoteProtocolError):
        fake_cf_client.post(_ns_path(fake_cf), json={"title": "a"})
    assert fake_cf.kv == {}
    assert fake_cf.requests[-1].status is None and fake_cf.requests[-1].fault == "drop"
    assert fake_cf_client.post(_ns_path(fake_cf), json={"title": "a"}).status_code == 200


def test_drop_after_apply(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Drop(after_apply=True) applies the write, loses the response; a blind retry then hits 10014."""
    fake_cf.inject("POST", "*/storage/kv/namespaces", Drop(after_apply=True))
    with pytest.raises(httpx.RemoteProtocolError):
        fake_cf_client.post(_ns_path(fake_cf), json={"title": "a"})
    assert [ns.title for ns in fake_cf.kv.values()] == ["a"]
    assert errors(fake_cf_client.post(_ns_path(fake_cf), json={"title": "a"})) == [10014]
    assert fake_cf.fault_counts == {"drop_after_apply": 1}


def test_chaos_is_reproducible(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The same seed and request order give the same faults."""
    def run() -> list[int | str]:
        fake_cf.reset()
        fake_cf.chaos(rate=0.5, seed=42, kinds=["429", "503", "drop"])
        out: list[int | str] = []
        for _ in range(30):
            try:
                out.append(fake_cf_client.get("/zones").status_code)
            except httpx.RemoteProtocolError:
                out.append("drop")
        return out
    first, second = run(), run()
    assert first == second and set(first) >= {200, 429} and sum(fake_cf.fault_counts.values()) == 30 - first.count(200)
    fake_cf.chaos(None)
    assert fake_cf_client.get("/zones").status_code == 200


def test_global_rate_limit(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """Past the budget for the window, requests get 429 with Retry-After."""
    fake_cf.rate_limit(requests=3, window=60)
    codes = [fake_cf_client.get("/zones").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    r = fake_cf_client.get("/zones")
    assert r.status_code == 429 and 1 <= int(r.headers["Retry-After"]) <= 60
    assert fake_cf.fault_counts["rate_limited"] == 2


def test_mock_transport_serves_the_same_fake() -> None:
    """fake.transport() runs the fake in-process; drops become httpx.RemoteProtocolError."""
    fake = FakeCloudflare()
    with httpx.Client(transport=fake.transport(), base_url="https://api.cloudflare.com/client/v4",
                      headers={"Authorization": f"Bearer {fake.token}"}) as c:
        assert c.get("/user/tokens/verify").json()["result"]["status"] == "active"
        fake.inject("GET", "/zones", Drop())
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/zones")
    assert [r.path for r in fake.requests] == ["/user/tokens/verify", "/zones"]


def test_env_points_a_client_at_the_server(fake_cf: FakeCloudflare) -> None:
    """fake_cf.env holds the token, account id and base URL a cfworker subprocess needs."""
    env = fake_cf.env
    base = env["CLOUDFLARE_API_BASE_URL"]
    assert base.startswith("http://127.0.0.1:") and base.endswith("/client/v4")
    r = httpx.get(f"{env['CLOUDFLARE_API_BASE_URL']}/accounts/{env['CLOUDFLARE_ACCOUNT_ID']}/workers/scripts",
                  headers={"Authorization": f"Bearer {env['CLOUDFLARE_API_TOKEN']}"})
    assert r.json() == {"success": True, "errors": [], "messages": [], "result": []}


def test_requests_reuse_one_connection(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """The server speaks HTTP/1.1 keep-alive: many requests, one TCP connection."""
    peers = set()
    for _ in range(20):
        r = fake_cf_client.get("/zones")
        stream = r.extensions["network_stream"]
        peers.add(stream.get_extra_info("client_addr"))
    assert len(peers) == 1


def test_per_request_overhead(fake_cf: FakeCloudflare, fake_cf_client: httpx.Client) -> None:
    """500 GETs and 100 validated DNS creates over HTTP stay far below a few seconds."""
    zone = fake_cf.add_zone("example.com")
    fake_cf_client.get("/zones")
    t0 = time.perf_counter()
    for _ in range(500):
        fake_cf_client.get(f"/zones/{zone}/dns_records")
    gets = (time.perf_counter() - t0) / 500 * 1000
    t0 = time.perf_counter()
    for i in range(100):
        fake_cf_client.post(f"/zones/{zone}/dns_records", json={"type": "A", "name": f"h{i}", "content": "192.0.2.1"})
    posts = (time.perf_counter() - t0) / 100 * 1000
    server_side = sorted(r.elapsed_ms for r in fake_cf.requests[1:501])[250]
    print(f"\nfake cloudflare: GET round trip {gets:.2f} ms, DNS POST round trip {posts:.2f} ms, "
          f"server-side median {server_side:.3f} ms")
    assert gets < 20 and posts < 50  # loose: catches pathological slowness, not jitter
