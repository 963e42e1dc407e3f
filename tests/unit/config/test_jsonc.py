"""wrangler.jsonc parsing: comments and trailing commas are accepted, errors point at the spot."""

from __future__ import annotations

import pytest

from cfworker.config.jsonc import parse_jsonc, strip_jsonc
from cfworker.errors import ConfigError


def test_jsonc_comments_and_trailing_commas_are_accepted() -> None:
    """Line and block comments and trailing commas in objects and arrays parse like plain JSON."""
    text = """/** header
   block */ {
  // a line comment
  "name": "app", /* inline */ "crons": ["* * * * *", ],
  "vars": { "A": "1", },  // trailing
}
"""
    assert parse_jsonc(text, "wrangler.jsonc") == {"name": "app", "crons": ["* * * * *"], "vars": {"A": "1"}}


def test_jsonc_comment_markers_and_commas_inside_strings_are_kept() -> None:
    """`//`, `/*` and `,]` inside strings (with escaped quotes) are data, not syntax."""
    text = '{"url": "https://x.test/a//b", "s": "/* no */ ,]", "q": "say \\"hi\\" // ok",}'
    assert parse_jsonc(text, "w.jsonc") == {"url": "https://x.test/a//b", "s": "/* no */ ,]", "q": 'say "hi" // ok'}


def test_jsonc_blanking_keeps_line_breaks_and_length() -> None:
    """Comments are replaced by spaces, so later errors keep their line and column."""
    text = '{\n  // c\n  "a": 1, /* x\n y */\n}'
    stripped = strip_jsonc(text, "w.jsonc")
    assert len(stripped) == len(text) and stripped.count("\n") == text.count("\n")


def test_jsonc_byte_order_mark_is_ignored() -> None:
    """An editor's BOM before the object does not break parsing."""
    assert parse_jsonc('\ufeff{"a": 1}', "w.json") == {"a": 1}


@pytest.mark.parametrize(("text", "where", "reason"), [
    ('{\n  "a": 1\n  "b": 2\n}', "w.jsonc:3:3", "Expecting ',' delimiter"),
    ('{\n  "a": 1 /* never closed\n}', "w.jsonc:2:10", "unterminated /* comment"),
    ('{\n  "a": "open\n}', "w.jsonc:2:8", "unterminated string"),
])
def test_jsonc_syntax_error_names_file_line_and_column(text: str, where: str, reason: str) -> None:
    """A syntax error is a ConfigError with file:line:column, the line itself and a caret."""
    with pytest.raises(ConfigError) as info:
        parse_jsonc(text, "w.jsonc")
    assert info.value.message.startswith(f"{where}: invalid JSON: {reason}"), info.value.message
    assert info.value.notes[1].strip().endswith("^") and info.value.hint
