"""pytest fixtures for the fake Cloudflare API (load with `pytest_plugins = ["tests.fakes.plugin"]`).

* `fake_cf` (function scope): a fresh `FakeCloudflare` served over HTTP, with `.base_url`,
  `.token`, `.account_id`, `.env`, state helpers and `inject()`. At teardown the test fails if
  the code under test sent a request the OpenAPI schema rejects, unless the test is marked
  `@pytest.mark.fake_cf_schema_violations` or called `fake_cf.expect_schema_violations()`;
  it also fails if the fake itself crashed (a bug to fix in tests/fakes).
* `fake_cf_server` (session scope): the one server; `fake_cf` resets its state per test.
* `fake_cf_client`: an `httpx.Client` on `fake_cf.base_url` authenticated with the default token.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.fakes.cloudflare import FakeCloudflare
from tests.fakes.server import FakeServer

MARKER = "fake_cf_schema_violations"


def pytest_configure(config: pytest.Config) -> None:
    """Register the opt-out marker (the project runs with --strict-markers)."""
    config.addinivalue_line("markers", f"{MARKER}: the test sends requests the Cloudflare OpenAPI schema rejects on purpose")


@pytest.fixture(scope="session")
def fake_cf_server() -> Iterator[FakeServer]:
    """One fake Cloudflare server for the whole session (state is reset by `fake_cf`)."""
    server = FakeServer(FakeCloudflare()).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fake_cf(fake_cf_server: FakeServer, request: pytest.FixtureRequest) -> Iterator[FakeCloudflare]:
    """A fresh fake Cloudflare API for this test, served at `fake_cf.base_url`."""
    fake = fake_cf_server.fake
    fake.reset()
    yield fake
    problems = []
    if fake.schema_violations and not fake.schema_violations_expected and request.node.get_closest_marker(MARKER) is None:
        problems.append("requests rejected by the Cloudflare OpenAPI schema (mark the test "
                        f"@pytest.mark.{MARKER} if intended):\n  " + "\n  ".join(map(str, fake.schema_violations)))
    if fake.internal_errors:
        problems.append("the fake Cloudflare API crashed (fix tests/fakes):\n" + "\n".join(fake.internal_errors))
    fake.reset()
    if problems:
        pytest.fail("\n".join(problems), pytrace=False)


@pytest.fixture
def fake_cf_client(fake_cf: FakeCloudflare) -> Iterator[httpx.Client]:
    """An httpx client for the fake, authenticated with the all-permission token."""
    assert fake_cf.base_url is not None
    with httpx.Client(base_url=fake_cf.base_url, headers={"Authorization": f"Bearer {fake_cf.token}"},
                      timeout=10) as client:
        yield client
