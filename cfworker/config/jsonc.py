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


class JsonIndex:
    """Where each key path of a JSONC document is written: `line_of("kv_namespaces[0].id")` for
    messages (as `LineIndex` does for TOML), `object_at(path)` for in-place edits. Built from the
    comment-free text `strip_jsonc` gives, whose offsets equal the original's."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.plain = strip_jsonc(text.removeprefix("\ufeff"), "")
        self.offset = len(text) - len(text.removeprefix("\ufeff"))
        self.keys: dict[str, int] = {}  # path -> offset of its key (or of the value, for array items)
        self.objects: dict[str, tuple[int, int]] = {}  # path -> (offset of "{", offset of "}")
        try:
            self._value(0, "")
        except (IndexError, ValueError):
            pass  # keep what was found: the text already parsed, so this is only a safety net

    def line_of(self, path: str) -> int | None:
        from cfworker.config.locate import parent_path

        while path:
            if path in self.keys:
                return self.text.count("\n", 0, self.keys[path] + self.offset) + 1
            path = parent_path(path)
        return None

    def object_at(self, path: str) -> tuple[int, int] | None:
        """(offset of `{`, offset of `}`) in the original text of the object at `path` ("" = the root)."""
        found = self.objects.get(path)
        return None if found is None else (found[0] + self.offset, found[1] + self.offset)

    def _skip(self, i: int) -> int:
        while self.plain[i] in _BLANK:
            i += 1
        return i

    def _value(self, i: int, path: str) -> int:
        from cfworker.config.diagnostics import index_path, key_path

        i = self._skip(i)
        ch = self.plain[i]
        if ch == "{":
            start, i = i, self._skip(i + 1)
            while self.plain[i] != "}":
                end = _skip_string(self.plain, i, "")
                key = json.loads(self.plain[i:end])
                child = key_path(path, key)
                self.keys[child] = i
                i = self._skip(end)
                if self.plain[i] != ":":
                    raise ValueError("expected ':'")
                i = self._skip(self._value(i + 1, child))
                if self.plain[i] == ",":
                    i = self._skip(i + 1)
            self.objects[path] = (start, i)
            return i + 1
        if ch == "[":
            i, n = self._skip(i + 1), 0
            while self.plain[i] != "]":
                child = index_path(path, n)
                self.keys[child] = i
                i = self._skip(self._value(i, child))
                n += 1
                if self.plain[i] == ",":
                    i = self._skip(i + 1)
            return i + 1
        if ch == '"':
            return _skip_string(self.plain, i, "")
        while i < len(self.plain) and self.plain[i] not in ",]}" + _BLANK:
            i += 1
        return i


def insert_members(text: str, index: JsonIndex, path: str, members: dict[str, Any]) -> str | None:
    """`text` with `"key": value` members added at the start of the object at `path`, in the
    object's own layout (one per line at its indentation, or inline); None when it cannot be found.
    Comments, order and trailing commas elsewhere stay as they are."""
    span = index.object_at(path)
    if span is None:
        return None
    start, end = span
    inner = text[start + 1:end]
    rendered = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in members.items()]
    empty = not inner.strip() or (index.plain[start - index.offset + 1:end - index.offset].strip() == "")
    if "\n" in inner:  # one member per line: match the first member's indentation
        first = inner.lstrip("\n")
        indent = first[: len(first) - len(first.lstrip(" \t"))] or "  "
        addition = "".join(f"\n{indent}{r}," for r in rendered)
        if empty:
            addition = addition.rstrip(",")
        return text[: start + 1] + addition + text[start + 1:]
    addition = ", ".join(rendered)
    if empty:
        return text[: start + 1] + f" {addition} " + text[end:]
    return text[: start + 1] + f" {addition}, " + text[start + 1:].lstrip(" ")
