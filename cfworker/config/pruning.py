"""Drop the values cfworker would refuse from a converted config until it validates (pure).

`prune` runs `validate` on the top level and on every [env.NAME], deletes what each error
points at and repeats. A key that is missing ("is required") takes its parent with it, and
a bad key that a binding or rule cannot do without (binding, database_id, pattern, ...)
takes the whole entry. Problems with name, main or compatibility_date, or with a whole
environment, cannot be dropped: they come back as blockers for the user to fix.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cfworker.config.diagnostics import Problem, index_path, key_path
from cfworker.config.validate import validate

Part = str | int

_REQUIRED = frozenset({"name", "main", "compatibility_date"})
# Keys a binding or rule cannot do without: when one is bad, the whole entry is dropped.
_ENTRY_KEYS = frozenset({"binding", "name", "class_name", "database_id", "bucket_name", "service", "queue",
                         "pattern", "type", "globs"})
_MAX_PASSES = 10
_PART = re.compile(r'\[(\d+)\]|"((?:[^"\\]|\\.)*)"|([A-Za-z0-9_-]+)')


@dataclass(frozen=True, slots=True)
class Removal:
    """One value taken out: where it was in the original file, and the validator's verdict."""

    path: str
    reason: str
    hint: str


def split_path(path: str) -> list[Part]:
    """`env.prod.routes[1]."a.b"` -> ["env", "prod", "routes", 1, "a.b"] (the inverse of key_path)."""
    parts: list[Part] = []
    for match in _PART.finditer(path):
        index, quoted, bare = match.groups()
        if index is not None:
            parts.append(int(index))
        elif quoted is not None:
            parts.append(quoted.replace('\\"', '"').replace("\\\\", "\\"))
        else:
            parts.append(bare)
    return parts


def _is_blocker(parts: list[Part]) -> bool:
    """Problems with name/main/compatibility_date (top or env) or a whole env cannot be dropped."""
    if not parts:
        return True
    if len(parts) == 1:
        return parts[0] in _REQUIRED
    return parts[0] == "env" and (len(parts) == 2 or (len(parts) == 3 and parts[2] in _REQUIRED))


def prune(config: dict[str, Any], positions: dict[int, list[int]], today: datetime.date,
          ) -> tuple[list[Removal], list[Problem]]:
    """Delete (in place) values cfworker refuses until `config` validates.

    Returns what was removed (paths as in the original file, via `positions`: id of each
    copied list -> original index of each item) and the problems that cannot be removed.
    """
    removed: list[Removal] = []  # in file order within each pass (deletions run from the end)
    blockers: list[Problem] = []
    for _ in range(_MAX_PASSES):
        blockers = []
        removals: dict[tuple[Part, ...], tuple[int, Problem]] = {}
        for problem in _errors(config, today):
            parts = split_path(problem.path)
            end = None if _is_blocker(parts) else _removal_depth(config, parts)
            if end is None:
                if _blocker(problem) not in blockers:
                    blockers.append(_blocker(problem))
            else:
                removals.setdefault(tuple(parts[:end]), (end, problem))
        if not removals:
            return removed, blockers
        # A removal inside another one goes with it; list items go from the highest index down.
        outer = [p for p in removals if not any(p[: len(q)] == q and p != q for q in removals)]
        records = []
        for path in sorted(outer, key=lambda p: [(-x if isinstance(x, int) else 0) for x in p]):
            end, problem = removals[path]
            records.append(_removal_record(config, positions, split_path(problem.path), end, problem))
            container = _node_at(config, list(path[:-1]))
            if isinstance(container, list):
                assert isinstance(path[-1], int)
                del container[path[-1]]
                if id(container) in positions:
                    del positions[id(container)][path[-1]]
            else:
                del container[path[-1]]
        removed += sorted(records, key=lambda r: [(0, p) if isinstance(p, int) else (1, p) for p in split_path(r.path)])
    return removed, blockers


def _envs(config: dict[str, Any]) -> list[str]:
    env = config.get("env")
    return [k for k, v in env.items() if isinstance(v, dict)] if isinstance(env, dict) else []


def _errors(config: dict[str, Any], today: datetime.date) -> list[Problem]:
    """Every error for the top level and each [env.NAME], each problem once."""
    out: list[Problem] = []
    for env in [None, *_envs(config)]:
        _, diagnostics = validate(config, config_path=Path("worker.toml"), env=env, today=today)
        out += [p for p in diagnostics.errors if p not in out]
    return out


def _blocker(problem: Problem) -> Problem:
    """A problem that stops the conversion, worded for someone converting a wrangler config."""
    if problem.path == "name":
        return Problem(problem.severity, problem.path, problem.message, f"{problem.hint}; or pass --name NAME")
    if problem.path == "main" and problem.message == "is required":
        return Problem(problem.severity, "main", "is not set, so there is no Worker script to build (assets-only "
                       "Workers and service-worker scripts without `main` cannot be deployed by cfworker)",
                       'set main = "src/index.js" (your ES module entry) in the wrangler config, then rerun')
    return problem


def _node_at(config: dict[str, Any], parts: list[Part]) -> Any:
    node: Any = config
    for part in parts:
        node = node[part]
    return node


def _removal_depth(config: dict[str, Any], parts: list[Part]) -> int | None:
    """How many leading parts of a problem's path to delete; None when nothing there can go.

    A key that is not there ("is required") removes its parent; a bad key a binding or rule
    cannot do without removes the whole entry.
    """
    chain: list[Any] = [config]
    for part in parts:
        node = chain[-1]
        if isinstance(node, dict) and part in node:
            chain.append(node[part])
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            chain.append(node[part])
        else:
            break
    end = len(chain) - 1  # how many parts exist
    if end >= 2 and isinstance(chain[end - 2], list) and parts[end - 1] in _ENTRY_KEYS:
        end -= 1
    if end == 0 or _is_blocker(parts[:end]):
        return None
    return end


def _removal_record(config: dict[str, Any], positions: dict[int, list[int]], parts: list[Part], end: int,
                    problem: Problem) -> Removal:
    """(path in the wrangler config, reason, hint) for removing parts[:end]."""
    node: Any = config
    original = ""
    for part in parts[:end]:
        if isinstance(node, list) and isinstance(part, int):
            original = index_path(original, positions.get(id(node), list(range(len(node))))[part])
        else:
            original = key_path(original, str(part))
        node = node[part]
    inner = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts[end:]).lstrip(".")
    reason = f"{inner}: {problem.message}" if inner else problem.message
    return Removal(original, reason, problem.hint)
