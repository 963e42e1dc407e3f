"""A scripted stand-in for the file watcher (cfworker.watcher.Watcher): no threads, no watchfiles.

    watcher = FakeWatcher([{(MODIFIED, "/p/src/index.js")}, None, lambda: edit_and_event()])
    feed = ChangeFeed(targets, watcher=watcher)

Each `get()` of the running source returns the next step: a set of raw `(kind, path)` events,
None (a timeout), or the result of calling a callable step (so a test can change files at the
moment the loop waits). Events `push()`ed while the loop is busy (e.g. from a fake deploy) come
back merged before the next step, as the real watcher coalesces them. When the steps run out
the session's stop event is set.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

Raw = set[tuple[int, str]]
Step = Raw | None | Callable[[], Raw | None]


class FakeWatcher:
    """Prepared change sets, one per wait; records every folder list it was armed with."""

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self.steps: deque[Step] = deque(steps)
        self.pushed: Raw = set()
        self.armed: list[tuple[Path, ...]] = []
        self.stop: threading.Event | None = None
        self.timeouts: list[float | None] = []  # the timeout of every get()

    def push(self, *raw: tuple[int, str]) -> None:
        """Events that happen while the loop is busy (they come back merged)."""
        self.pushed |= set(raw)

    def __call__(self, folders: Sequence[Path], stop: threading.Event) -> _Source:
        self.armed.append(tuple(folders))
        self.stop = stop
        return _Source(self)

    def next(self, timeout: float | None) -> Raw | None:
        self.timeouts.append(timeout)
        if self.pushed:
            batch, self.pushed = self.pushed, set()
            return batch
        if not self.steps:
            assert self.stop is not None
            self.stop.set()
            return None
        step = self.steps.popleft()
        return step() if callable(step) else step


class _Source:
    def __init__(self, script: FakeWatcher) -> None:
        self._script = script
        self._closed = False

    def get(self, timeout: float | None) -> Raw | None:
        if self._closed:
            return None
        return self._script.next(timeout)

    def close(self) -> None:
        self._closed = True
