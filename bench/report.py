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
