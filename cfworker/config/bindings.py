"""Validators for [vars] and secrets (pure); every other binding kind is in the binding table.

Each `check_*` reads one raw section, reports problems into Diagnostics and returns the
specs for the entries that raised no new error. Every name it accepts is appended to
`names` as (name, key path) so `bindings.check.check_unique_names` can report a name used
twice across vars, secrets and the binding kinds (they would shadow each other).
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from cfworker.config.checks import describe, expect_binding_name, expect_list, expect_table
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.model import VarSpec

Names = list[tuple[str, str]]  # (binding name, key path of that name)


def check_vars(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[VarSpec, ...] | None:
    """[vars]: strings become plain_text bindings, any other TOML value a json binding."""
    table = expect_table(d, path, value)
    if table is None:
        return None
    out = []
    for name, item in table.items():
        child = key_path(path, name)
        if expect_binding_name(d, child, name, what="variable name") is None:
            continue
        problem = _not_json(item)
        if problem:
            d.error(child, f"{problem} cannot be sent as a JSON var", 'quote it to send it as text: "..."')
            continue
        names.append((name, child))
        out.append(VarSpec(name, item))
    return tuple(out)


def _not_json(value: Any) -> str | None:
    """What in a TOML value has no JSON form (dates, nan, inf), or None."""
    if isinstance(value, (datetime.date, datetime.time)):
        return f"the TOML date/time {describe(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"the number {value}"
    if isinstance(value, list):
        return next((p for p in map(_not_json, value) if p), None)
    if isinstance(value, dict):
        return next((p for p in map(_not_json, value.values()) if p), None)
    return None


def check_secrets(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[str, ...] | None:
    """`secrets = ["NAME"]`, or wrangler's `[secrets] required = ["NAME"]`: names that must exist."""
    if isinstance(value, dict):
        if "required" not in value:
            d.error(key_path(path, "required"), "is required in a [secrets] table",
                    'write secrets = ["NAME", ...] or [secrets] required = ["NAME", ...]')
            return None
        path, value = key_path(path, "required"), value["required"]
    items = expect_list(d, path, value, hint='write secrets = ["API_KEY", ...] (names only, never values)')
    if items is None:
        return None
    out: list[str] = []
    for i, item in enumerate(items):
        name = expect_binding_name(d, index_path(path, i), item, what="secret name")
        if name is not None and name in out:
            d.warn(index_path(path, i), f'"{name}" is listed twice', "remove the duplicate")
        elif name is not None:
            names.append((name, index_path(path, i)))
            out.append(name)
    return tuple(out)
