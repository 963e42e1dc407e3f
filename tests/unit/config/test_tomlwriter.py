"""The TOML writer: what it writes reads back to the same dict, laid out like a worker.toml."""

from __future__ import annotations

import sys
from typing import Any

import pytest

from cfworker.config.tomlwriter import dumps

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CASES: list[dict[str, Any]] = [
    {"name": "app", "main": "src/index.js", "compatibility_date": "2025-01-01"},
    {"name": "a", "routes": [{"pattern": "x.test/*", "zone_name": "x.test"}, "y.test/*"], "workers_dev": False},
    {"vars": {"A": "1", "N": 2, "F": 1.5, "J": {"nested": [1, {"deep": True}]}, "E": {}}, "define": {"a.b": '"x"'}},
    {"kv_namespaces": [{"binding": "K", "id": "0" * 32}, {"binding": "L"}],
     "durable_objects": {"bindings": [{"name": "D", "class_name": "C"}]}},
    {"env": {"staging": {"name": "s", "vars": {"X": "y"}, "kv_namespaces": [{"binding": "K"}],
                         "triggers": {"crons": []}, "queues": {"producers": [{"binding": "Q", "queue": "q"}]}}}},
    {"observability": {"enabled": True, "logs": {"head_sampling_rate": 0.1}}, "placement": {"mode": "smart"}},
    {"vars": {"QUOTE": 'say "hi"\\', "TAB": "a\tb\nc", "CTRL": "\x01", "UNI": "Čeština 中文", "with space": "k"}},
    {"vars": {"LONG": ["x" * 40, "y" * 40, "z" * 40], "LISTS": [[1, 2], ["a"]]}},
    {"rules": [{"type": "Text", "globs": ["**/*.txt"], "fallthrough": True}], "build": {"command": "npm run b"}},
]


@pytest.mark.parametrize("doc", CASES)
def test_writer_output_reads_back_to_the_same_dict(doc: dict[str, Any]) -> None:
    """tomllib parses the written text to exactly the input."""
    assert tomllib.loads(dumps(doc)) == doc


def test_writer_layout_is_worker_toml_style() -> None:
    """Scalars first, routes inline, bindings as [[tables]], env sections as [env.NAME]."""
    text = dumps({"name": "a", "routes": [{"pattern": "x.test/*", "zone_name": "x.test"}],
                  "kv_namespaces": [{"binding": "K"}], "vars": {"J": {"a": 1}},
                  "env": {"prod": {"name": "p", "vars": {"A": "1"}}}}, header=["made by a test"])
    assert text == """# made by a test

name = "a"
routes = [{ pattern = "x.test/*", zone_name = "x.test" }]

[[kv_namespaces]]
binding = "K"

[vars]
J = { a = 1 }

[env.prod]
name = "p"

[env.prod.vars]
A = "1"
"""


def test_writer_breaks_long_arrays_one_item_per_line() -> None:
    """An array wider than the line limit gets one item per line with a trailing comma."""
    routes = [{"pattern": f"host{i}.example.com/*", "zone_name": "example.com"} for i in range(3)]
    text = dumps({"routes": routes})
    assert text.splitlines()[0] == "routes = [" and text.count("\n  {") == 3
    assert tomllib.loads(text) == {"routes": routes}
