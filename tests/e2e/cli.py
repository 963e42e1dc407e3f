"""Run the real cfworker CLI in-process (fast) or as a subprocess (as a user runs it)."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from cfworker.cli import run
from cfworker.cli.context import AppContext
from cfworker.ui import UI


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def output(self) -> str:
        return self.out + self.err

    def __str__(self) -> str:  # shown by pytest when an assert on the exit code fails
        return f"exit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run_cli(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
            input: str | bytes | None = None, interactive: bool = False) -> Result:
    """Invoke `cfworker ARGS` in this process with its own environment, cwd and streams."""
    out, err = io.StringIO(), io.StringIO()
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_", "CFWORKER_"))}
    if "CFWORKER_CACHE_DIR" in os.environ:
        environ["CFWORKER_CACHE_DIR"] = os.environ["CFWORKER_CACHE_DIR"]
    environ.update(env or {})
    app = AppContext(environ=environ, cwd=cwd or Path.cwd(), ui=UI(out=out, err=err, color=False),
                     sleep=lambda s: None, interactive=interactive)
    data = input.encode() if isinstance(input, str) else (input or b"")
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8")
    try:
        code = run(list(args), app=app)
    finally:
        sys.stdin = saved
    return Result(code, out.getvalue(), err.getvalue())


def run_subprocess(args: Sequence[str], *, env: Mapping[str, str] | None = None, cwd: Path | None = None,
                   input: str | None = None, timeout: float = 120) -> Result:
    """Run `python -m cfworker ARGS` as a separate process."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
    environ.update(env or {})
    environ.setdefault("NO_COLOR", "1")
    proc = subprocess.run([sys.executable, "-m", "cfworker", *args], cwd=cwd, env=environ, input=input,
                          capture_output=True, text=True, timeout=timeout)
    return Result(proc.returncode, proc.stdout, proc.stderr)
