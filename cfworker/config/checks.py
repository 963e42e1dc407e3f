"""Small composable value checks that report into Diagnostics (pure).

Each `expect_*` takes the diagnostics, the dotted key path and the raw value; it returns
the value (converted where needed) when it is valid, or records an error that echoes the
bad value briefly (`expected a string but got 123`) and returns None. Section validators
are built from these, as wrangler's `validation-helpers.ts` builds its validators.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any

from cfworker.config.diagnostics import Diagnostics, index_path

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
HEX32 = re.compile(r"[0-9a-f]{32}")
IDENTIFIER_RULE = 'letters, digits and "_", not starting with a digit'


def describe(value: Any, limit: int = 40) -> str:
    """A short TOML-ish rendering of a value for messages: 123, "text", true, a table."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, dict):
        return "a table"
    elif isinstance(value, (datetime.date, datetime.time)):
        text = value.isoformat()
    elif isinstance(value, (str, list)):
        text = json.dumps(value, ensure_ascii=False, default=str)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def leaf(path: str) -> str:
    """The last key of a dotted path (`routes[1].pattern` -> `pattern`)."""
    tail = re.sub(r"\[\d+\]$", "", path).rsplit(".", 1)[-1]
    return tail or path


def suggest(word: str, candidates: Iterable[str]) -> str | None:
    """The closest candidate to a misspelled key, if any is close enough."""
    import difflib  # only when a key is unknown; keeps it off the start-up path

    matches = difflib.get_close_matches(word, list(candidates), n=1, cutoff=0.6)
    if not matches:  # catch case and dash/underscore slips difflib scores low
        folded = {c.lower().replace("-", "_"): c for c in candidates}
        hit = folded.get(word.lower().replace("-", "_"))
        return hit
    return matches[0]


def expect_str(d: Diagnostics, path: str, value: Any, *, hint: str | None = None,
               allow_empty: bool = False) -> str | None:
    """A string (non-empty unless allowed)."""
    if not isinstance(value, str):
        in_list = path.endswith("]")  # an item of a list: the fix keeps the list
        d.error(path, f"expected a string but got {describe(value)}",
                hint or (f'write each item in quotes: {leaf(path)} = ["..."]' if in_list
                         else f'write it in quotes: {leaf(path)} = "..."'))
        return None
    if not value.strip() and not allow_empty:
        d.error(path, "is empty", hint or f"set {leaf(path)} to a value, or remove the key")
        return None
    return value


def expect_bool(d: Diagnostics, path: str, value: Any) -> bool | None:
    """A TOML boolean (not a string "true", not 0/1)."""
    if not isinstance(value, bool):
        d.error(path, f"expected true or false but got {describe(value)}",
                f"write {leaf(path)} = true or {leaf(path)} = false, without quotes")
        return None
    return value


def expect_int(d: Diagnostics, path: str, value: Any, *, low: int | None = None, high: int | None = None,
               hint: str | None = None) -> int | None:
    """A whole number, optionally within [low, high] (booleans are not numbers here)."""
    span = f" between {low} and {high}" if low is not None and high is not None else ""
    if isinstance(value, bool) or not isinstance(value, int):
        d.error(path, f"expected a whole number but got {describe(value)}",
                hint or f"write a number{span} without quotes")
        return None
    if (low is not None and value < low) or (high is not None and value > high):
        d.error(path, f"{value} is out of range", hint or f"use a number{span}")
        return None
    return value


def expect_table(d: Diagnostics, path: str, value: Any, *, hint: str | None = None) -> dict[str, Any] | None:
    """A TOML table (a `[section]` or an inline `{ ... }`)."""
    if not isinstance(value, dict):
        d.error(path, f"expected a table but got {describe(value)}",
                hint or f"write it as a [{path}] section or {leaf(path)} = {{ ... }}")
        return None
    return value


def expect_list(d: Diagnostics, path: str, value: Any, *, hint: str | None = None) -> list[Any] | None:
    """A TOML array."""
    if not isinstance(value, list):
        d.error(path, f"expected a list but got {describe(value)}", hint or f'write a list: {leaf(path)} = ["..."]')
        return None
    return value


def expect_tables(d: Diagnostics, path: str, value: Any) -> list[tuple[str, dict[str, Any]]]:
    """A list of tables (`[[x]]` or `x = [{...}]`) as (path, table) pairs; bad items are reported."""
    # A [[header]] has no indexes: [[migrations.renamed_classes]] adds to the last [[migrations]] entry.
    header = re.sub(r"\[\d+\]", "", path)
    hint = f"write each entry as a [[{header}]] section, or {leaf(path)} = [{{ ... }}]"
    items = expect_list(d, path, value, hint=hint)
    out = []
    for i, item in enumerate(items or ()):
        table = expect_table(d, index_path(path, i), item, hint=hint)
        if table is not None:
            out.append((index_path(path, i), table))
    return out


def expect_str_list(d: Diagnostics, path: str, value: Any, *, hint: str | None = None,
                    unique: bool = True) -> tuple[str, ...] | None:
    """A list of non-empty strings; duplicates are errors when `unique`."""
    items = expect_list(d, path, value, hint=hint)
    if items is None:
        return None
    out: list[str] = []
    ok = True
    for i, item in enumerate(items):
        text = expect_str(d, index_path(path, i), item, hint=hint)
        if text is None:
            ok = False
        elif unique and text in out:
            d.error(index_path(path, i), f"{describe(text)} is listed twice", "remove the duplicate")
            ok = False
        else:
            out.append(text)
    return tuple(out) if ok else None


def expect_one_of(d: Diagnostics, path: str, value: Any, choices: Sequence[str]) -> str | None:
    """A string from a closed set; the error lists the set and suggests the closest."""
    text = expect_str(d, path, value)
    if text is None:
        return None
    if text not in choices:
        close = suggest(text, choices)
        did_you_mean = f'did you mean "{close}"? ' if close else ""
        d.error(path, f"{describe(text)} is not one of {', '.join(choices)}",
                f"{did_you_mean}use one of: {', '.join(choices)}")
        return None
    return text


def expect_match(d: Diagnostics, path: str, value: Any, pattern: re.Pattern[str], *, rule: str,
                 hint: str) -> str | None:
    """A string matching a pattern; `rule` says in words what the pattern means."""
    text = expect_str(d, path, value)
    if text is None:
        return None
    if not pattern.fullmatch(text):
        d.error(path, f"{describe(text)} is not valid: {rule}", hint)
        return None
    return text


def expect_identifier(d: Diagnostics, path: str, value: Any, *, what: str = "binding name") -> str | None:
    """A binding-style name: letters, digits and _, not starting with a digit."""
    return expect_match(d, path, value, IDENTIFIER, rule=f"{'an' if what[:1] in 'aeiou' else 'a'} {what} uses {IDENTIFIER_RULE}",
                        hint=f"rename it, e.g. {_identifier_like(value)}")


def expect_binding_name(d: Diagnostics, path: str, value: Any, *, what: str = "binding name") -> str | None:
    """The name code reads a binding by. wrangler takes any string (workers-utils validation.ts
    only checks the type) and the API schema no pattern, so `MY-KV` is accepted, with a warning
    that code reads it as env["MY-KV"]; whitespace or control characters are refused."""
    text = expect_str(d, path, value)
    if text is None:
        return None
    if text != text.strip() or any(ord(c) < 0x20 or c.isspace() for c in text):
        d.error(path, f"{describe(text)} has spaces or control characters, which no {what} may have",
                f"rename it, e.g. {_identifier_like(text)}")
        return None
    if not IDENTIFIER.fullmatch(text):
        d.warn(path, f"{describe(text)} is not a JavaScript identifier: your code reads it as env[{json.dumps(text)}]",
               f"rename it to letters, digits and _ (e.g. {_identifier_like(text)}) to write env.NAME")
    return text


def expect_hex32(d: Diagnostics, path: str, value: Any, *, what: str, where: str) -> str | None:
    """A Cloudflare id: 32 lowercase hex characters (`where` says where to find the real one)."""
    text = expect_str(d, path, value)
    if text is None:
        return None
    if not HEX32.fullmatch(text):
        if HEX32.fullmatch(text.lower()):
            d.error(path, f"{what} {describe(text)} has uppercase letters", f'write it in lowercase: "{text.lower()}"')
        else:
            d.error(path, f"{describe(text)} is not a {what}, which is 32 lowercase hex characters", where)
        return None
    return text


def _identifier_like(value: Any) -> str:
    text = re.sub(r"[^A-Za-z0-9_]", "_", str(value)) or "NAME"
    return f'"_{text}"' if text[0].isdigit() else f'"{text}"'
