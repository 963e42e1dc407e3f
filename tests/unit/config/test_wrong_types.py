"""Every accepted key, given every kind of wrong value, yields diagnostics and never another exception."""

from __future__ import annotations

import copy
import datetime
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cfworker.config.parse import parse_toml
from cfworker.config.schema import TOP, Table
from cfworker.config.validate import validate

from .conftest import TODAY

EXAMPLE = Path(__file__).resolve().parents[3] / "worker.toml.example"
WRONG: list[Any] = [1, 1.5, float("nan"), True, "", "x", [], [1], ["a"], [{}], {}, {"a": 1},
                    datetime.date(2020, 1, 1), [{"a": [1]}]]


def key_paths(table: Table, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    for key, node in table.keys.items():
        yield (*prefix, key)
        if isinstance(node, Table):
            yield from key_paths(node, (*prefix, key))


def put(target: Any, path: tuple[str, ...], value: Any) -> None:
    """Set path to value inside nested tables, in every entry of arrays of tables on the way."""
    if isinstance(target, list):
        for item in target:
            put(item, path, value)
    elif isinstance(target, dict):
        if len(path) == 1:
            target[path[0]] = value
        else:
            put(target.setdefault(path[0], {}), path[1:], value)


PATHS = list(key_paths(TOP))


@pytest.mark.parametrize("path", PATHS, ids=[".".join(p) for p in PATHS])
def test_wrong_types_never_crash_validation(path: tuple[str, ...]) -> None:
    """Replacing one key (top level or in [env.staging]) by any wrong type is reported, not raised."""
    base = parse_toml(EXAMPLE.read_text(encoding="utf-8"), "worker.toml")
    for value in WRONG:
        for in_env in (False, True):
            raw = copy.deepcopy(base)
            put(raw["env"]["staging"] if in_env else raw, path, copy.deepcopy(value))
            for env in (None, "staging"):
                project, diagnostics = validate(raw, config_path=Path("/p/worker.toml"), env=env, today=TODAY)
                assert project is not None or diagnostics.has_errors()
