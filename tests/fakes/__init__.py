"""A fake Cloudflare v4 API for tests: stateful, schema-validating, with fault injection.

    from tests.fakes import FakeCloudflare, FakeServer, Status, Slow, Drop

`FakeCloudflare` holds the state and answers requests (cloudflare.py); `FakeServer` serves it on
127.0.0.1 (server.py); `tests.fakes.plugin` provides the `fake_cf` pytest fixture.
"""

from tests.fakes.cloudflare import FakeCloudflare, RecordedRequest, SchemaViolation
from tests.fakes.codes import DEFAULT_ERRORS, ErrorSpec
from tests.fakes.faults import Drop, Slow, Status
from tests.fakes.state import ALL_PERMISSIONS, DEFAULT_ACCOUNT_ID, DEFAULT_TOKEN
from tests.fakes.wire import FakeRequest, FakeResponse


def __getattr__(name: str) -> object:
    # Imported lazily so `python -m tests.fakes.server` does not import server.py twice.
    if name == "FakeServer":
        from tests.fakes.server import FakeServer
        return FakeServer
    raise AttributeError(name)

__all__ = [
    "ALL_PERMISSIONS", "DEFAULT_ACCOUNT_ID", "DEFAULT_ERRORS", "DEFAULT_TOKEN", "Drop", "ErrorSpec", "FakeCloudflare",
    "FakeRequest", "FakeResponse", "FakeServer", "RecordedRequest", "SchemaViolation", "Slow", "Status",
]
