"""esbuild's grammar for `define` keys and values, so worker.toml is checked exactly as esbuild
will check it (pure; tests compare these verdicts with the pinned esbuild's own).

A key is a property chain: identifiers joined by `.`, with `["..."]`/`['...']` steps for names
that are not identifiers (`process.env["MY-VAR"]`), not starting with a reserved word.
A value is an entity name (`a.b.c`, `import.meta.url`, `this`) or a JS literal in esbuild's
define dialect of JSON: JSON plus single-quoted strings, trailing commas and bigints (`1n`);
arrays and objects are emitted once as `define_<key>_default`.
"""

from __future__ import annotations

import json
import re

_IDENT = r"[A-Za-z_$][\w$]*"
_STRING = r"\"(?:[^\"\\\n]|\\.)*\"|'(?:[^'\\\n]|\\.)*'"
_KEY = re.compile(rf"(?P<first>{_IDENT})(?:\.{_IDENT}|\[\s*(?:{_STRING})\s*\])*")
_ENTITY = re.compile(rf"(?P<first>{_IDENT})(?:\.{_IDENT})*")
# Words that cannot start a property chain (`if`, `new.target`); `this` and `import.meta` can.
_RESERVED = frozenset("""break case catch class const continue debugger default delete do else enum export extends
false finally for function if in instanceof new null return super switch throw true try typeof var void while
with yield let static implements interface package private protected public await import""".split())
_NUMBER = re.compile(r"(?:0|[1-9]\d*)n|-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?")  # bigint first


def _starts_well(first: str, text: str) -> bool:
    return first not in _RESERVED or (first == "import" and (text + ".").startswith("import.meta."))


def is_define_key(text: str) -> bool:
    found = _KEY.fullmatch(text)
    return found is not None and _starts_well(found.group("first"), text)


def is_define_value(text: str) -> bool:
    stripped = text.strip()
    found = _ENTITY.fullmatch(stripped)
    if found:
        return _starts_well(found.group("first"), stripped) or stripped in ("true", "false", "null")
    try:
        end = _value(stripped, 0)
    except ValueError:
        return False
    return end == len(stripped)


def is_identifier(text: str) -> bool:
    """A single identifier (replaced as code, not as a string: worth a warning for most)."""
    return re.fullmatch(_IDENT, text) is not None


def _skip(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def _value(text: str, i: int) -> int:
    """Index just past one define-JSON value starting at `i` (ValueError if there is none)."""
    i = _skip(text, i)
    if i >= len(text):
        raise ValueError("no value")
    char = text[i]
    if char in "\"'":
        return _string(text, i)
    if char == "[":
        return _sequence(text, i + 1, "]", keyed=False)
    if char == "{":
        return _sequence(text, i + 1, "}", keyed=True)
    for word in ("true", "false", "null"):
        if text.startswith(word, i):
            return i + len(word)
    found = _NUMBER.match(text, i)
    if found:
        return found.end()
    raise ValueError("not a literal")


def _string(text: str, i: int) -> int:
    found = re.compile(_STRING).match(text, i)
    if not found:
        raise ValueError("unterminated string")
    body = found.group()
    if body[0] == '"':
        json.loads(body)  # JSON escapes only
    elif "\\" in body:
        raise ValueError("esbuild refuses escapes in a single-quoted define string")
    return found.end()


def _sequence(text: str, i: int, close: str, *, keyed: bool) -> int:
    while True:
        i = _skip(text, i)
        if i < len(text) and text[i] == close:
            return i + 1
        if keyed:
            i = _skip(text, i)
            if i >= len(text) or text[i] not in "\"'":
                raise ValueError("object keys are strings")
            i = _skip(text, _string(text, i))
            if i >= len(text) or text[i] != ":":
                raise ValueError("expected ':'")
            i += 1
        i = _skip(text, _value(text, i))
        if i < len(text) and text[i] == ",":
            i += 1
            continue
        if i < len(text) and text[i] == close:
            return i + 1
        raise ValueError("expected ',' or the end")
