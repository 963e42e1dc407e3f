"""Run `python -m cfworker dev` as a subprocess and talk to it: output lines, HTTP, deadlines.

Every wait polls against a deadline (no fixed sleeps); `stop()` sends SIGTERM and expects a
clean exit. Use it as a context manager so a failing test never leaves a server running.
`prepare_dev_cache` backs the `dev_cache` session fixture (tests/e2e/conftest.py): a verified
workerd in the user cache is hard-linked in (copied across file systems), otherwise the pinned
package is installed once per session with npm (~47 MB); where workerd cannot run, tests skip.
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType

import pytest

from cfworker.bundle.runner import SubprocessRunner
from cfworker.dev.workerd import WORKERD, check_host, install_workerd
from cfworker.errors import ToolError
from cfworker.tools.cache import (
    FINGERPRINT_AGE,
    SIDECAR_SUFFIX,
    check_managed,
    user_cache_dir,
)

POLL = 0.005  # seconds between polls: often enough to measure, rare enough not to starve the server


class DevServer:
    """One `cfworker dev --port 0` process in `cwd`."""

    def __init__(self, cwd: Path, env: Mapping[str, str], args: Sequence[str] = ()) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cfworker", "dev", "--port", "0", *args], cwd=cwd, env=dict(env),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
        )
        self.lines: list[str] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.url = ""
        self.port = 0

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line.rstrip("\n"))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    @property
    def output(self) -> str:
        """Everything printed so far (stdout and stderr interleaved)."""
        with self._changed:
            return "\n".join(self.lines)

    def mark(self) -> int:
        """A position in the output; `wait_for(..., after=mark)` only looks at later lines."""
        with self._changed:
            return len(self.lines)

    def wait_for(self, pattern: str, *, timeout: float = 30.0, after: int = 0) -> re.Match[str]:
        """The first output line from `after` on matching `pattern`; AssertionError at the deadline."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[after:]:
                    if match := regex.search(line):
                        return match
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (self.proc.poll() is not None and not self._reader.is_alive()):
                    raise AssertionError(f"no line matching {pattern!r} within {timeout} s; output:\n"
                                         + "\n".join(self.lines))
                self._changed.wait(min(remaining, 0.1))

    def ready(self, timeout: float = 60.0) -> DevServer:
        """Wait until the server answers and the watcher runs; sets `url` and `port`."""
        match = self.wait_for(r"Ready on (http://127\.0\.0\.1:(\d+))", timeout=timeout)
        self.url, self.port = match[1], int(match[2])
        self.wait_for(r"^Watching ", timeout=timeout)
        return self

    def request(self, path: str, *, method: str = "GET", body: bytes | None = None,
                timeout: float = 10.0) -> tuple[int, str]:
        """(status, body) of one request on a fresh connection."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body)
            response = conn.getresponse()
            return response.status, response.read().decode("utf-8", errors="replace")
        finally:
            conn.close()

    def poll(self, path: str, until: Callable[[int, str], bool], *, timeout: float = 10.0) -> tuple[int, str]:
        """Request `path` until `until(status, body)` holds; connection errors during restarts are retried."""
        deadline = time.monotonic() + timeout
        last: tuple[int, str] | str = "no answer"
        while time.monotonic() < deadline:
            try:
                last = self.request(path, timeout=max(0.1, deadline - time.monotonic()))
                if until(*last):
                    return last
            except (OSError, http.client.HTTPException) as exc:  # a restart may drop one connection
                last = repr(exc)
            time.sleep(POLL)
        raise AssertionError(f"GET {path} did not change as expected within {timeout} s; last: {last!r}\n"
                             + self.output)

    def stop(self, *, timeout: float = 15.0) -> int:
        """SIGTERM, then wait for the exit code (SIGKILL and fail if it does not come)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)
                raise AssertionError(f"cfworker dev ignored SIGTERM for {timeout} s\n{self.output}") from None
        self._reader.join(timeout=5)
        return self.proc.returncode

    def __enter__(self) -> DevServer:  # noqa: PYI034 (Self needs 3.11)
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=5)


def dev_env(cache: Path) -> dict[str, str]:
    """The environment for a dev server: this process's (already cleaned by conftest), the test cache."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_", "CFWORKER_"))}
    env.update({"CFWORKER_CACHE_DIR": str(cache), "NO_COLOR": "1"})
    return env


def prepare_dev_cache(esbuild_cache: Path) -> Path:
    """Add a verified pinned workerd to the session cache holding the pinned esbuild (skips where it cannot run)."""
    try:
        platform = check_host()
    except ToolError as exc:
        pytest.skip(f"workerd cannot run on this machine: {exc.message}")
    target = WORKERD.managed_path(esbuild_cache, platform)
    existing = WORKERD.managed_path(user_cache_dir(os.environ), platform)
    if target.is_file():
        pass
    elif existing.is_file() and check_managed(existing) is None:
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(existing, target)  # 162 MB: share the inode instead of copying
        except OSError:
            shutil.copy2(existing, target)
        shutil.copy2(existing.with_name(existing.name + SIDECAR_SUFFIX), target.with_name(target.name + SIDECAR_SUFFIX))
    elif shutil.which("npm") is None:
        pytest.skip("no verified workerd in the user cache and no npm to install it")
    else:
        install_workerd(target, platform, runner=SubprocessRunner(), environ=os.environ)
    # Hash once now and record the stat fingerprint (nothing writes this file during the
    # session), so no `cfworker dev` below spends ~250 ms hashing 162 MB at start-up.
    problem = check_managed(target, now=time.time() + FINGERPRINT_AGE + 1)
    assert problem is None, problem
    return esbuild_cache
