"""A stop request that a finalizer swallowed still stops the writes (CI saw a SIGTERM lost that way)."""

from __future__ import annotations

from typing import Any

import pytest

from cfworker.concurrency import clear_interrupt, request_interrupt
from cfworker.deploy.concerns.workers_dev import SetWorkersDev
from cfworker.deploy.executor import Executor
from cfworker.deploy.plan import Plan
from tests.unit.deploy.helpers import ACCOUNT, bundle, project


class NoWrites:
    """A client that fails the test on any call."""

    writes_landed = 0

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the executor used the client ({name}) after a stop was requested")


@pytest.fixture(autouse=True)
def _clean() -> Any:
    clear_interrupt()
    yield
    clear_interrupt()


def test_executor_writes_nothing_once_a_stop_was_requested() -> None:
    steps = (SetWorkersDev(script="app", enabled=True, previous=False),)
    plan = Plan(script="app", steps=steps)
    request_interrupt()
    result = Executor(NoWrites(), account_id=ACCOUNT, project=project(), bundle=bundle()).execute(plan)  # type: ignore[arg-type]
    assert result.interrupted
    assert [r.status for r in result.results] == ["interrupted"]
