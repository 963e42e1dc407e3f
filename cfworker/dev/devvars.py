"""`.dev.vars`: local secrets for `cfworker dev`, in the dotenv format wrangler reads (pure).

    # comment
    API_KEY=abc123               unquoted: up to a " #" comment, trimmed
    export TOKEN = "a b"         `export` is allowed; spaces around = are not part of the value
    MULTI="line 1\\nline 2"      double quotes: \\n and \\r become newline and carriage return
    PEM='-----BEGIN ...
    ...'                         single, double or backtick quotes may span lines, taken literally

Names are letters, digits, `_`, `.` and `-`; a later line wins over an earlier one. With
`--env NAME`, `.dev.vars.NAME` is used instead when it exists (`dev_vars_candidates`).
The file is never committed: it belongs in .gitignore.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

FILE_NAME = ".dev.vars"

_LINE = re.compile(r"^\s*(?:export\s+)?(?P<name>[\w.-]+)\s*(?:=|:\s)\s*(?P<rest>.*)$", re.DOTALL)
_QUOTES = ("'", '"', "`")


@dataclass(frozen=True, slots=True)
class DevVars:
    """The parsed values and a warning for each line that was ignored."""

    values: dict[str, str]
    warnings: tuple[str, ...] = ()


def dev_vars_candidates(root: Path, env: str | None) -> tuple[Path, ...]:
    """The files to try, in order: `.dev.vars.<env>` (only with an env), then `.dev.vars`."""
    plain = root / FILE_NAME
    return (root / f"{FILE_NAME}.{env}", plain) if env else (plain,)


def _unquoted(rest: str) -> str:
    """An unquoted value ends at a ` #` comment and is trimmed."""
    comment = re.search(r"(^|\s)#", rest)
    return (rest[: comment.start()] if comment else rest).strip()


def parse_dev_vars(text: str, *, source: str = FILE_NAME) -> DevVars:
    """Parse dotenv text; lines that are not `NAME=value` are reported (by line number), not fatal."""
    values: dict[str, str] = {}
    warnings: list[str] = []
    lines = text.replace("\r\n", "\n").split("\n")
    i = 0
    while i < len(lines):
        number, line = i + 1, lines[i]
        i += 1
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line)
        if match is None:
            warnings.append(f"{source}:{number}: ignored, expected NAME=value")
            continue
        name, rest = match["name"], match["rest"].lstrip()
        quote = rest[:1]
        if quote not in _QUOTES:
            values[name] = _unquoted(rest)
            continue
        body, closed = rest[1:], False
        while True:
            end = _closing_quote(body, quote)
            if end >= 0:
                closed, body = True, body[:end]
                break
            if i >= len(lines):
                break
            body += "\n" + lines[i]
            i += 1
        if not closed:
            warnings.append(f"{source}:{number}: ignored {name}, its {quote} quote is never closed")
            continue
        if quote == '"':
            body = body.replace("\\n", "\n").replace("\\r", "\r")
        values[name] = body
    return DevVars(values, tuple(warnings))


def _closing_quote(body: str, quote: str) -> int:
    """Index of the first unescaped `quote` in `body`, or -1."""
    index = 0
    while (index := body.find(quote, index)) >= 0:
        if index == 0 or body[index - 1] != "\\":
            return index
        index += 1
    return -1
