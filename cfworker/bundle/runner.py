"""Running external programs: the `Runner` protocol and the one real implementation.

`SubprocessRunner` is the only place in cfworker that calls `subprocess`. Everything that
runs a tool (esbuild, npm, the [build] command) takes a `Runner`, so tests pass a fake
that records argv and returns prepared output instead of starting processes.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import NamedTuple, Protocol

from cfworker.errors import ToolError


class RunResult(NamedTuple):
    """Outcome of one process: exit code, captured output and wall time in seconds."""

    returncode: int
    stdout: bytes
    stderr: bytes
    elapsed: float


# How long each kind of program may run before it is killed (nothing cfworker starts runs forever).
TOOL_TIMEOUT = 300.0  # esbuild, npm pack
VERSION_TIMEOUT = 30.0  # `<tool> --version` checks
BUILD_COMMAND_TIMEOUT = 1800.0  # a project's own [build] command (webpack, vite, ...)


class Runner(Protocol):
    """Runs one program to completion and captures its output."""

    def run(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> RunResult: ...


def shell_argv(command: str, *, windows: bool | None = None, comspec: str | None = None) -> list[str]:
    """The argv that runs `command` through the platform shell (sh -c, or cmd /c on Windows)."""
    if windows is None:
        windows = sys.platform == "win32"
    if windows:
        return [comspec or "cmd.exe", "/d", "/s", "/c", command]
    return ["/bin/sh", "-c", command]


class SubprocessRunner:
    """A `Runner` that starts real processes (stdin closed, output captured)."""

    def run(
        self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None, timeout: float | None = None
    ) -> RunResult:
        """Run argv in cwd; a program that cannot be started, or outlives `timeout`, raises ToolError."""
        start = time.perf_counter()
        try:
            proc = subprocess.run(
                list(argv),
                cwd=cwd,
                env=dict(env) if env is not None else None,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                check=False,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(f"{Path(argv[0]).name} did not finish within {timeout:.0f} s and was stopped",
                            hint="see what it waits for by running it by hand") from None
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise ToolError(
                f"could not run {argv[0]}: {reason}",
                hint="check that the file exists, is executable and is built for this machine",
            ) from exc
        return RunResult(proc.returncode, proc.stdout, proc.stderr, time.perf_counter() - start)

