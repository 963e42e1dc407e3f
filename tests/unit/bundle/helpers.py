"""Plain helpers for bundler tests: a fake Runner and a Project factory."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfworker.bundle.runner import RunResult
from cfworker.config.model import Project

Handler = Callable[[list[str], Path], RunResult]


def ok(stdout: bytes = b"", stderr: bytes = b"", code: int = 0) -> RunResult:
    """A finished process with this output."""
    return RunResult(code, stdout, stderr, 0.01)


@dataclass
class FakeRunner:
    """Records every argv and answers with `handler(argv, cwd)` instead of starting a process."""

    handler: Handler = lambda argv, cwd: ok()
    calls: list[tuple[list[str], Path]] = field(default_factory=list)
    envs: list[Mapping[str, str] | None] = field(default_factory=list)

    def run(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str] | None = None,
            timeout: float | None = None) -> RunResult:
        self.calls.append((list(argv), cwd))
        self.envs.append(env)
        return self.handler(list(argv), cwd)


def make_project(root: Path, **changes: Any) -> Project:
    """A minimal valid Project rooted at `root` with its entry at src/index.js."""
    values: dict[str, Any] = {
        "config_path": root / "worker.toml", "root": root, "name": "app",
        "main": root / "src" / "index.js", "compatibility_date": "2025-06-01",
    }
    values.update(changes)
    return Project(**values)
