"""What a binding's field may hold: small checks that report into Diagnostics (pure).

A `Field` names a config key of a binding kind, how its value is checked, whether it is
required, and under which key it goes into the upload's binding JSON (`wire`; None: not
uploaded, e.g. cfworker's own `title`, or a key a concern reads). The checks are built from
config.checks, so every message names the dotted key, echoes the bad value and says what to
write instead.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cfworker.config.checks import (
    describe,
    expect_binding_name,
    expect_bool,
    expect_hex32,
    expect_identifier,
    expect_int,
    expect_match,
    expect_one_of,
    expect_str,
    expect_str_list,
    expect_table,
)
from cfworker.config.diagnostics import Diagnostics, key_path

Check = Callable[[Diagnostics, str, Any], Any]  # the value (converted) when valid, else None with an error
SAME = "="  # Field.wire: the config key is the metadata key


@dataclass(frozen=True, slots=True)
class Field:
    """One key of a binding table."""

    key: str
    check: Check
    required: bool = False
    wire: str | None = SAME  # metadata key (SAME: the config key); None: not uploaded
    doc: str = ""
    example: str = '"..."'  # the value a "add key = ..." hint shows

    @property
    def wire_key(self) -> str | None:
        return self.key if self.wire == SAME else self.wire


def text(hint: str | None = None) -> Check:
    """A non-empty string."""
    return lambda d, path, value: expect_str(d, path, value, hint=hint)


def identifier(what: str) -> Check:
    """Letters, digits and `_`, not starting with a digit (class names, entrypoints)."""
    return lambda d, path, value: expect_identifier(d, path, value, what=what)


def binding_name(what: str = "binding name") -> Check:
    """The name code reads a binding by (any string wrangler accepts; see expect_binding_name)."""
    return lambda d, path, value: expect_binding_name(d, path, value, what=what)


def hex32(what: str, where: str) -> Check:
    """A 32-hex Cloudflare id; `where` says where to find the real one."""
    return lambda d, path, value: expect_hex32(d, path, value, what=what, where=where)


_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def uuid(what: str, where: str) -> Check:
    """A dashed UUID (D1 database ids), stored in lowercase."""
    def check(d: Diagnostics, path: str, value: Any) -> str | None:
        found = expect_str(d, path, value, hint=f"set it to the {what}; {where}")
        if found is None:
            return None
        if not _UUID.fullmatch(found):
            d.error(path, f"{describe(found)} is not a {what}, which is a UUID", where)
            return None
        return found.lower()
    return check


def pattern(regex: str, rule: str, hint: str) -> Check:
    """A string matching `regex` (`rule` says in words what that means)."""
    compiled = re.compile(regex)
    return lambda d, path, value: expect_match(d, path, value, compiled, rule=rule, hint=hint)


def boolean() -> Check:
    return lambda d, path, value: expect_bool(d, path, value)


def integer(low: int | None = None, high: int | None = None, hint: str | None = None) -> Check:
    return lambda d, path, value: expect_int(d, path, value, low=low, high=high, hint=hint)


def number(low: float | None = None, high: float | None = None) -> Check:
    """A number (integer or float), optionally within [low, high]."""
    def check(d: Diagnostics, path: str, value: Any) -> float | int | None:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            d.error(path, f"expected a number but got {describe(value)}", "write a number without quotes")
            return None
        if (low is not None and value < low) or (high is not None and value > high):
            d.error(path, f"{value} is out of range", f"use a number between {low} and {high}")
            return None
        return value
    return check


def one_of(*choices: str) -> Check:
    return lambda d, path, value: expect_one_of(d, path, value, choices)


def int_one_of(*choices: int) -> Check:
    """A whole number from a closed set (rate-limit periods)."""
    def check(d: Diagnostics, path: str, value: Any) -> int | None:
        found = expect_int(d, path, value, hint=f"use one of: {', '.join(map(str, choices))}")
        if found is not None and found not in choices:
            d.error(path, f"{found} is not one of {', '.join(map(str, choices))}",
                    f"use one of: {', '.join(map(str, choices))}")
            return None
        return found
    return check


def str_list(hint: str | None = None) -> Check:
    return lambda d, path, value: expect_str_list(d, path, value, hint=hint)


def str_or_list(hint: str | None = None) -> Check:
    """A string or a list of strings, kept as a tuple (workflow schedules)."""
    def check(d: Diagnostics, path: str, value: Any) -> tuple[str, ...] | None:
        if isinstance(value, str):
            found = expect_str(d, path, value, hint=hint)
            return (found,) if found is not None else None
        return expect_str_list(d, path, value, hint=hint)
    return check


def digits_text() -> Check:
    """A number written as text or as a number (rate-limit namespace ids), kept as text."""
    def check(d: Diagnostics, path: str, value: Any) -> str | None:
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            return str(value)
        found = expect_str(d, path, value, hint='write it as a string of digits, e.g. "1001"')
        if found is not None and not found.isdigit():
            d.error(path, f"{describe(found)} is not a positive integer", 'write it as digits, e.g. "1001"')
            return None
        return found
    return check


def open_table() -> Check:
    """Any table, passed through as written (service `props`)."""
    return lambda d, path, value: expect_table(d, path, value)


def table(*fields: Field) -> Check:
    """A nested table with its own fields (rate-limit `simple`, dispatch `outbound`)."""
    def check(d: Diagnostics, path: str, value: Any) -> dict[str, Any] | None:
        found = expect_table(d, path, value)
        if found is None:
            return None
        return check_fields(d, path, found, fields, unknown=True)
    return check


def check_fields(d: Diagnostics, path: str, raw: dict[str, Any], fields: tuple[Field, ...], *,
                 unknown: bool = False) -> dict[str, Any] | None:
    """Check each field of `raw`; the checked values by key, or None when one had an error.

    `unknown`: report keys no field names (nested tables; the outer tables' unknown keys are
    reported by the structure check, which also knows wrangler's spellings).
    """
    before = len(d.errors)
    out: dict[str, Any] = {}
    for f in fields:
        where = key_path(path, f.key)
        if f.key not in raw:
            if f.required:
                d.error(where, "is required", f"add {f.key} = {f.example}" + (f"; {f.doc}" if f.doc else ""))
            continue
        if raw[f.key] == "" and not f.required:  # wrangler's templates write id = "" for "not yet"
            d.warn(where, "is empty, so it is treated as absent", f'remove {f.key} = ""' + (f"; {f.doc}" if f.doc else ""))
            continue
        value = f.check(d, where, raw[f.key])
        if value is not None:
            out[f.key] = value
    if unknown:
        known = {f.key for f in fields}
        for key in raw:
            if key not in known:
                d.error(key_path(path, key), "unknown key", f"keys accepted here: {', '.join(sorted(known))}")
    return out if len(d.errors) == before else None
