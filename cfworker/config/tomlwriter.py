"""Write a config dict as readable TOML text, laid out the way worker.toml files are (pure).

Keys keep their order. Scalars and arrays of scalars come first in each table, then
sub-tables as `[a.b]` sections and lists of tables as `[[a.b]]`. `routes` stays an inline
array of inline tables, and the values under [vars] and [define] stay inline, as people
write them. tomllib reads the output back to the same dict (tests check that).
"""

from __future__ import annotations

import datetime
import math
import re
from collections.abc import Iterable
from typing import Any

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_INLINE_LISTS = frozenset({"routes", "route"})  # lists of tables written inline, not as [[x]]
_INLINE_CHILDREN = frozenset({"vars", "define"})  # tables whose values are data: everything inline
_WIDTH = 100
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}


def dumps(doc: dict[str, Any], *, header: Iterable[str] = ()) -> str:
    """TOML text for `doc`, preceded by `header` lines written as comments."""
    # A comment ends at a line break, so one inside a header line (a key with a newline) is escaped.
    lines = [f"# {line}".rstrip().replace("\r", "\\r").replace("\n", "\\n") for line in header]
    if lines:
        lines.append("")
    _table(lines, [], doc, kind="root")
    while lines and lines[-1] == "":
        lines.pop()
    return "\n".join(lines) + "\n"


def _table(lines: list[str], path: list[str], table: dict[str, Any], *, kind: str) -> None:
    inline = bool(path) and path[-1] in _INLINE_CHILDREN
    body: list[str] = []
    later: list[tuple[str, Any]] = []
    for key, value in table.items():
        if not inline and (isinstance(value, dict) or _is_table_list(key, value)):
            later.append((key, value))
        else:
            body.append(f"{_key(key)} = {_value(value, len(_key(key)) + 3)}")
    if kind != "root":
        header = ".".join(_key(p) for p in path)
        if lines and lines[-1] != "":
            lines.append("")
        if body or kind == "array" or not later:
            lines.append(f"[[{header}]]" if kind == "array" else f"[{header}]")
    lines.extend(body)
    for key, value in later:
        if isinstance(value, dict):
            _table(lines, [*path, key], value, kind="table")
        else:
            for item in value:
                _table(lines, [*path, key], item, kind="array")


def _is_table_list(key: str, value: Any) -> bool:
    return (isinstance(value, list) and bool(value) and key not in _INLINE_LISTS
            and all(isinstance(item, dict) for item in value))


def _key(key: str) -> str:
    return key if _BARE.fullmatch(key) else _string(key)


def _string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _value(value: Any, indent: int = 0, *, one_line: bool = False) -> str:
    """A value written inline; long arrays get one item per line unless inside an inline table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, (datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, dict):
        if not value:
            return "{}"
        # TOML 1.0 inline tables must fit on one line, so nothing inside may break.
        return "{ " + ", ".join(f"{_key(k)} = {_value(v, one_line=True)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        items = [_value(item, one_line=one_line) for item in value]
        flat = "[" + ", ".join(items) + "]"
        if one_line or indent + len(flat) <= _WIDTH or len(items) < 2:
            return flat
        return "[\n" + "".join(f"  {item},\n" for item in items) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
