"""The real file watcher behind `cfworker.watcher.Watcher`: watchfiles in a daemon thread (I/O).

watchfiles (Rust notify) watches the given folders (not recursively) with the debounce and
step cfworker.watcher chose; each batch waits in a queue until the caller's `get()`, which
returns everything queued since its last call as one set. That is how saves made while a
build or deploy runs are coalesced. watchfiles is imported in the thread, never at start-up.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

RawChange = tuple[int, str]


class _EitherEvent:
    """`is_set()` of two events (watchfiles polls its stop event once per step)."""

    def __init__(self, a: threading.Event, b: threading.Event) -> None:
        self._a, self._b = a, b

    def is_set(self) -> bool:
        return self._a.is_set() or self._b.is_set()


class _ThreadSource:
    """watchfiles.watch() in a daemon thread; batches wait in a queue until the caller asks."""

    _DONE = object()

    def __init__(self, folders: Sequence[Path], stop: threading.Event, debounce_ms: int, step_ms: int) -> None:
        self._closed = threading.Event()
        self._queue: queue.Queue[object] = queue.Queue()
        self._finished = False
        args = (list(folders), _EitherEvent(stop, self._closed), debounce_ms, step_ms)
        self._thread = threading.Thread(target=self._run, args=args, name="cfworker-watch", daemon=True)
        self._thread.start()

    def _run(self, folders: list[Path], stop: _EitherEvent, debounce_ms: int, step_ms: int) -> None:
        import watchfiles  # lazily: never imported at CLI start-up

        try:
            for batch in watchfiles.watch(*folders, watch_filter=None, debounce=debounce_ms, step=step_ms,
                                          stop_event=stop, recursive=False, raise_interrupt=False,
                                          ignore_permission_denied=True):
                self._queue.put({(int(kind), path) for kind, path in batch})
        except Exception as exc:  # noqa: BLE001 - re-raised in the caller's thread by get()
            self._queue.put(exc)
        finally:
            self._queue.put(self._DONE)

    def get(self, timeout: float | None) -> set[RawChange] | None:
        if self._finished:
            return None
        try:
            item = self._queue.get(timeout=timeout)
        except queue.Empty:
            return None
        merged: set[RawChange] = set()
        while True:
            if item is self._DONE:
                self._finished = True
                return merged or None
            if isinstance(item, Exception):
                raise item
            merged |= item  # type: ignore[arg-type]
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return merged

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=2)


@dataclass(frozen=True, slots=True)
class WatchfilesWatcher:
    """A `cfworker.watcher.Watcher`: starts one `_ThreadSource` per set of folders."""

    debounce_ms: int
    step_ms: int

    def __call__(self, folders: Sequence[Path], stop: threading.Event) -> _ThreadSource:
        return _ThreadSource(folders, stop, self.debounce_ms, self.step_ms)
