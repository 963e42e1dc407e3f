"""Find the line of each dotted key path in TOML source text, best effort (pure).

`LineIndex(text).line_of("routes[1].pattern")` knows table headers, arrays of tables,
dotted and quoted keys, inline tables and multi-line arrays; an unseen path falls back to
its nearest recorded parent. It only reads text that already parsed, so it stays simple
and, on anything it does not understand, keeps what it found so far.
"""

from __future__ import annotations

import json
import re

from cfworker.config.diagnostics import index_path, key_path

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_SCALAR = re.compile(r"[^,\]}\n#]*")  # numbers, booleans, dates: up to the next delimiter
_PATH_PART = re.compile(r'\[\d+\]$|\.?"(?:[^"\\]|\\.)*"$|\.?[A-Za-z0-9_-]+$')


class _Stop(Exception):
    """The scanner met something it does not handle; keep what was recorded."""


class LineIndex:
    """Dotted key path -> 1-based line number, built once from the source text."""

    def __init__(self, text: str | None) -> None:
        self.lines: dict[str, int] = {}
        if text:
            scanner = _Scanner(text, self.lines)
            try:
                scanner.run()
            except (_Stop, IndexError):
                pass

    def line_of(self, path: str) -> int | None:
        """The line where `path` (or its nearest recorded parent) is written, if known."""
        while path:
            if path in self.lines:
                return self.lines[path]
            path = parent_path(path)
        return None


def parent_path(path: str) -> str:
    """`a.b[2].c` -> `a.b[2]` -> `a.b` -> `a` -> ``."""
    match = _PATH_PART.search(path)
    if not match or match.start() == 0:
        return ""
    return path[: match.start()]


class _Scanner:
    """A forgiving TOML reader that records where keys are, not what they hold."""

    def __init__(self, text: str, out: dict[str, int]) -> None:
        self.text = text
        self.pos = 0
        self.line = 1
        self.out = out
        self.arrays_of_tables: dict[str, int] = {}  # resolved path -> number of [[x]] seen

    # -- low level -----------------------------------------------------------------
    def peek(self, n: int = 1) -> str:
        return self.text[self.pos : self.pos + n]

    def advance(self, n: int = 1) -> None:
        self.line += self.text.count("\n", self.pos, self.pos + n)
        self.pos += n

    def skip_blank(self, *, newlines: bool) -> None:
        """Skip spaces, tabs, comments and (when asked) line breaks."""
        while self.pos < len(self.text):
            ch = self.text[self.pos]
            if ch in " \t\r" or (newlines and ch == "\n"):
                self.advance()
            elif ch == "#":
                end = self.text.find("\n", self.pos)
                self.advance((len(self.text) if end < 0 else end) - self.pos)
            else:
                return

    def skip_line(self) -> None:
        end = self.text.find("\n", self.pos)
        self.advance((len(self.text) if end < 0 else end) - self.pos)

    def record(self, path: str, line: int) -> None:
        self.out.setdefault(path, line)

    # -- grammar -------------------------------------------------------------------
    def run(self) -> None:
        table = ""
        while True:
            self.skip_blank(newlines=True)
            if self.pos >= len(self.text):
                return
            if self.peek() == "[":
                table = self.header()
            else:
                self.key_value(table)
            self.skip_line()

    def header(self) -> str:
        line = self.line
        is_array = self.peek(2) == "[["
        self.advance(2 if is_array else 1)
        parts = self.keys()
        self.skip_blank(newlines=False)
        self.advance(2 if is_array else 1)  # the closing bracket(s)
        path = ""
        for i, part in enumerate(parts):
            path = key_path(path, part)
            last = i == len(parts) - 1
            if last and is_array:
                count = self.arrays_of_tables.get(path, 0) + 1
                self.arrays_of_tables[path] = count
                self.record(path, line)
                path = index_path(path, count - 1)
            elif path in self.arrays_of_tables:
                path = index_path(path, self.arrays_of_tables[path] - 1)
            self.record(path, line)
        return path

    def keys(self) -> list[str]:
        """A dotted key: bare, "basic" or 'literal' parts separated by dots."""
        parts = []
        while True:
            self.skip_blank(newlines=False)
            ch = self.peek()
            if ch in "\"'":
                parts.append(self.quoted_key(ch))
            else:
                match = _BARE.match(self.text, self.pos)
                if not match:
                    raise _Stop
                parts.append(match.group())
                self.advance(match.end() - self.pos)
            self.skip_blank(newlines=False)
            if self.peek() != ".":
                return parts
            self.advance()

    def quoted_key(self, quote: str) -> str:
        start = self.pos + 1
        self.skip_string(quote)
        raw = self.text[start : self.pos - 1]
        if quote == '"' and "\\" in raw:
            try:
                return str(json.loads(f'"{raw}"'))  # TOML basic-string escapes are JSON's, mostly
            except ValueError:
                return raw
        return raw

    def key_value(self, table: str) -> None:
        line = self.line
        path = table
        for part in self.keys():
            path = key_path(path, part)
            self.record(path, line)
        self.skip_blank(newlines=False)
        if self.peek() != "=":
            raise _Stop
        self.advance()
        self.skip_blank(newlines=False)
        self.value(path)

    def value(self, path: str) -> None:
        ch = self.peek()
        if ch in "\"'":
            self.skip_string(ch)
        elif ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        else:
            match = _SCALAR.match(self.text, self.pos)
            assert match is not None
            self.advance(match.end() - self.pos)

    def skip_string(self, quote: str) -> None:
        if self.peek(3) == quote * 3:
            end = self.text.find(quote * 3, self.pos + 3)
            if end < 0:
                raise _Stop
            while self.text.startswith(quote, end + 3):  # up to two quotes may end the content
                end += 1
            self.advance(end + 3 - self.pos)
            return
        i = self.pos + 1
        while i < len(self.text) and self.text[i] != quote:
            if self.text[i] == "\n":
                raise _Stop
            i += 2 if quote == '"' and self.text[i] == "\\" else 1
        self.advance(i + 1 - self.pos)

    def array(self, path: str) -> None:
        self.advance()  # [
        index = 0
        while True:
            self.skip_blank(newlines=True)
            if self.peek() == "]":
                self.advance()
                return
            if not self.peek():
                raise _Stop
            item = index_path(path, index)
            self.record(item, self.line)
            self.value(item)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()
            index += 1

    def inline_table(self, path: str) -> None:
        self.advance()  # {
        while True:
            self.skip_blank(newlines=True)  # TOML 1.1 allows newlines here; 1.0 files never have them
            if self.peek() == "}":
                self.advance()
                return
            if not self.peek():
                raise _Stop
            line = self.line
            key = path
            for part in self.keys():
                key = key_path(key, part)
                self.record(key, line)
            self.skip_blank(newlines=False)
            if self.peek() != "=":
                raise _Stop
            self.advance()
            self.skip_blank(newlines=False)
            self.value(key)
            self.skip_blank(newlines=True)
            if self.peek() == ",":
                self.advance()
