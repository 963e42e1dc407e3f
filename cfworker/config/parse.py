"""TOML text -> dict, with syntax errors turned into a ConfigError that points at the spot (pure).

The only import site of `tomllib` (the `tomli` backport on Python 3.10). A decode error
becomes `ConfigError("worker.toml:19:31: invalid TOML in [vars]: ...")` whose notes show
the offending line with a caret under the column, and whose hint names the usual fix.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from cfworker.errors import ConfigError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib

TOMLDecodeError = tomllib.TOMLDecodeError

_AT = re.compile(r"\s*\(at (?:line (\d+), column (\d+)|end of document)\)\s*$")
_KEY_TUPLE = re.compile(r"\('[^']*'(?:, '[^']*')*,?\)")
_HEADER = re.compile(r"^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$")
_HINTS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(r"Cannot (declare|overwrite|mutate)|twice", re.I),
        "each table and key may be defined only once; merge the two definitions "
        "(and do not mix [x] with [[x]] for the same name)",
    ),
    (
        re.compile(r"Expected newline or end of document", re.I),
        "put each `key = value` on its own line with nothing after the value but a comment "
        "(TOML allows commas only inside arrays and inline tables)",
    ),
    (
        re.compile(r"Expected '=' after a key", re.I),
        'write keys as `key = value`; quote keys that contain spaces or dots ("a.b" = 1)',
    ),
    (
        re.compile(r"Invalid initial character for a key part", re.I),
        'keys are letters, digits, "_" and "-"; quote any other key ("my key" = 1)',
    ),
    (
        re.compile(r"Unclosed|Unterminated|Expected ']'|Expected '}'|Illegal character", re.I),
        "close the string, array or inline table that starts here",
    ),
    (
        re.compile(r"Invalid value", re.I),
        'quote strings ("text"), write booleans as true/false, and close every [ and {',
    ),
)
DEFAULT_HINT = "fix the TOML syntax at this line"


def parse_toml(text: str, file: str) -> dict[str, Any]:
    """Parse TOML text; a syntax error raises ConfigError naming file, line, column and table."""
    try:
        return tomllib.loads(text)
    except TOMLDecodeError as exc:
        raise syntax_error(exc, text, file) from None


def syntax_error(exc: ValueError, text: str, file: str) -> ConfigError:
    """Turn a TOMLDecodeError into a ConfigError showing the offending line."""
    reason, line, column = _split_location(exc, text)
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    table = table_at(lines, line)
    where = f" in [{table}]" if table else ""
    notes = [f"{line:>4} | {source.expandtabs(4)}"]
    if column:
        prefix = source[: column - 1].expandtabs(4)
        notes.append(f"{'':>4} | {' ' * len(prefix)}^")
    hint = next((h for pattern, h in _HINTS if pattern.search(reason)), DEFAULT_HINT)
    return ConfigError(f"{file}:{line}:{column or 1}: invalid TOML{where}: {reason}", hint=hint, notes=notes)


def _split_location(exc: ValueError, text: str) -> tuple[str, int, int]:
    """(reason without the location suffix, line, column); end of document -> the last line."""
    message = str(getattr(exc, "msg", None) or exc)
    full = str(exc)
    line = getattr(exc, "lineno", None)
    column = getattr(exc, "colno", None)
    match = _AT.search(full)
    if match:
        if line is None and match.group(1):
            line, column = int(match.group(1)), int(match.group(2))
        message = _AT.sub("", message)
    # tomllib names keys as Python tuples: "Cannot declare ('env', 'a') twice" -> "[env.a]"
    message = _KEY_TUPLE.sub(lambda m: "[" + ".".join(re.findall(r"'([^']*)'", m.group())) + "]", message)
    lines = text.splitlines()
    last = max((i + 1 for i, s in enumerate(lines) if s.strip()), default=1)
    if not line or int(line) > last:  # "at end of document": point at the last line that has text
        line = last
        column = len(lines[line - 1]) + 1 if lines else 1
    return message, int(line), int(column or 0)


def table_at(lines: list[str], line: int) -> str | None:
    """The table header in force at a 1-based line (the nearest `[x]`/`[[x]]` above it)."""
    for text in reversed(lines[: max(line, 0)]):
        match = _HEADER.match(text)
        if match:
            return match.group(1)
    return None
