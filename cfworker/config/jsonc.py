"""JSON with comments and trailing commas (wrangler.jsonc) -> Python values (pure).

wrangler.json/.jsonc files carry `//` and `/* */` comments and trailing commas. `parse_jsonc`
blanks those out (keeping every line break, so positions do not move) and hands the rest
to the stdlib `json` module; a syntax error becomes a ConfigError with file:line:column,
the offending line and a caret, like TOML errors in `config.parse`.
"""

from __future__ import annotations

import json
from typing import Any

from cfworker.errors import ConfigError

_CLOSERS = "}]"
_BLANK = " \t\r\n"


def parse_jsonc(text: str, file: str) -> Any:
    """Parse JSONC text; ConfigError naming file, line and column when it is not valid."""
    text = text.removeprefix("\ufeff")
    plain = strip_jsonc(text, file)
    try:
        return json.loads(plain)
    except json.JSONDecodeError as exc:
        raise _syntax_error(exc.msg, exc.lineno, exc.colno, text, file) from None


def strip_jsonc(text: str, file: str) -> str:
    """The text with comments and trailing commas replaced by spaces (line breaks kept)."""
    out = list(text)
    i, n = 0, len(text)
    pending_comma: int | None = None  # index of a comma that is trailing if a closer follows
    while i < n:
        ch = text[i]
        if ch == '"':
            i = _skip_string(text, i, file)
            pending_comma = None
        elif text.startswith("//", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            _blank(out, i, end)
            i = end
        elif text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end < 0:
                line, col = _position(text, i)
                raise _syntax_error("unterminated /* comment", line, col, text, file)
            _blank(out, i, end + 2)
            i = end + 2
        elif ch == ",":
            pending_comma = i
            i += 1
        elif ch in _BLANK:
            i += 1
        else:
            if ch in _CLOSERS and pending_comma is not None:
                out[pending_comma] = " "  # a trailing comma: JSON does not allow it
            pending_comma = None
            i += 1
    return "".join(out)


def _skip_string(text: str, start: int, file: str) -> int:
    """Index just past the JSON string that starts at `start` (escapes honoured)."""
    i = start + 1
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            i += 2
        elif ch == '"':
            return i + 1
        elif ch == "\n":
            break
        else:
            i += 1
    line, col = _position(text, start)
    raise _syntax_error("unterminated string", line, col, text, file)


def _blank(out: list[str], start: int, end: int) -> None:
    for k in range(start, end):
        if out[k] != "\n":
            out[k] = " "


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    col = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, col


def _syntax_error(reason: str, line: int, col: int, text: str, file: str) -> ConfigError:
    lines = text.splitlines()
    source = lines[line - 1] if 0 < line <= len(lines) else ""
    prefix = source[: max(col - 1, 0)].expandtabs(4)
    notes = [f"{line:>4} | {source.expandtabs(4)}", f"{'':>4} | {' ' * len(prefix)}^"]
    return ConfigError(f"{file}:{line}:{col}: invalid JSON: {reason}", notes=notes,
                       hint="fix the JSON syntax at this line (comments and trailing commas are fine)")
