"""Parallel work that never holds up Ctrl-C: daemon threads behind a Future interface.

`concurrent.futures.ThreadPoolExecutor` joins its threads when the `with` block exits and
again at interpreter exit, so a Ctrl-C or SIGTERM during parallel API reads waited for the
slowest request in flight (up to its whole deadline) before the process could stop. Here
every task runs on a daemon thread: waiting for a result is interruptible, and leaving the
block because of an exception (KeyboardInterrupt included) does not wait for tasks still
running; they die with the process. Leaving it normally waits for every task, as a pool does.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future, wait
from typing import Any, TypeVar

T = TypeVar("T")

# Set by the CLI's SIGTERM handler before it raises KeyboardInterrupt. A KeyboardInterrupt
# raised while the main thread runs a finalizer (a garbage-collected object's __del__) is
# printed and dropped by Python; the flag is not, and the executor checks it before every
# write (seen once in CI: a SIGTERM during the reads was lost and the deploy went on).
_INTERRUPT = threading.Event()


def request_interrupt() -> None:
    """Remember that the user asked to stop (the handler then raises KeyboardInterrupt)."""
    _INTERRUPT.set()


def interrupt_requested() -> bool:
    """True once a stop was asked for in this process."""
    return _INTERRUPT.is_set()


def clear_interrupt() -> None:
    """Forget an earlier stop request (tests, and each in-process CLI run)."""
    _INTERRUPT.clear()


class DaemonPool:
    """Run callables on at most `max_workers` daemon threads at a time."""

    def __init__(self, max_workers: int = 8, name: str = "cfworker") -> None:
        self._slots = threading.BoundedSemaphore(max_workers)
        self._name = name
        self._futures: list[Future[Any]] = []

    def submit(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> Future[T]:
        """Start `fn(*args, **kwargs)`; its Future holds the result or the exception."""
        future: Future[T] = Future()
        self._futures.append(future)

        def run() -> None:
            with self._slots:
                if not future.set_running_or_notify_cancel():
                    return
                try:
                    future.set_result(fn(*args, **kwargs))
                except BaseException as exc:  # handed to whoever waits for the result
                    future.set_exception(exc)

        threading.Thread(target=run, name=f"{self._name}-{len(self._futures)}", daemon=True).start()
        return future

    def __enter__(self) -> DaemonPool:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *rest: object) -> None:
        if exc_type is None:
            wait(self._futures)
            return
        for future in self._futures:
            future.cancel()  # those not started yet never start
