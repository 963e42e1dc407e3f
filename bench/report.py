"""Shared output of the bench scripts: each can write its key figures as JSON rows
(`--json FILE`) so bench/run_all.py can print one table of everything."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def row(bench: str, metric: str, value: float, unit: str, target: str = "", ok: bool | None = None) -> dict[str, Any]:
    """One figure: what was measured, its value and unit, the issue's target and whether it is met."""
    return {"bench": bench, "metric": metric, "value": round(value, 3), "unit": unit, "target": target, "ok": ok}


def write_rows(path: str | None, rows: list[dict[str, Any]]) -> None:
    """Write rows to path (if given) as a JSON list."""
    if path:
        Path(path).write_text(json.dumps(rows, indent=2))


def p90(samples: list[float]) -> float:
    """The 90th percentile (nearest rank) of a list of samples."""
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(0.9 * (len(ordered) - 1))))]


def bench_project(example: str, *, validate: bool = True) -> tuple[Any, Any, Path, dict[str, str], str]:
    """A fake Cloudflare API with a workers.dev subdomain and example.com, a copy of
    examples/EXAMPLE in a temp dir, and the environment for `cfworker` against the fake.

    Returns (server, fake, project, env, zone_id). Bytecode is compiled once, as `pip install`
    does: with PYTHONDONTWRITEBYTECODE set (as in some sandboxes) every subprocess would
    otherwise recompile cfworker from source.
    """
    import os
    import shutil
    import subprocess
    import sys
    import tempfile

    from tests.fakes.cloudflare import FakeCloudflare
    from tests.fakes.server import FakeServer

    repo = Path(__file__).resolve().parents[1]
    server = FakeServer(FakeCloudflare(validate=validate)).start()
    fake = server.fake
    fake.set_workers_subdomain("bench")
    zone_id = fake.add_zone("example.com")
    project = Path(tempfile.mkdtemp(prefix=f"cfworker-bench-{example}-")) / example
    shutil.copytree(repo / "examples" / example, project, ignore=shutil.ignore_patterns("dist"))
    env = {**os.environ, **fake.env, "NO_COLOR": "1"}
    env.pop("CFWORKER_ESBUILD", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(repo / "cfworker")], check=True,
                   capture_output=True)
    return server, fake, project, env, zone_id
