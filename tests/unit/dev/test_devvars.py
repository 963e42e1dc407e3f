"""`.dev.vars` parsing: the dotenv rules wrangler follows, and which file `--env` picks."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfworker.dev.devvars import dev_vars_candidates, parse_dev_vars


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A=1\nB = two words \n", {"A": "1", "B": "two words"}),
        ("export TOKEN=abc", {"TOKEN": "abc"}),
        ("URL=https://x.test/#anchor # comment", {"URL": "https://x.test/#anchor"}),
        ('Q="a # not a comment"', {"Q": "a # not a comment"}),
        ('ML="line 1\\nline 2\\r"', {"ML": "line 1\nline 2\r"}),
        ("SQ='keep \\n as is'", {"SQ": "keep \\n as is"}),
        ("BT=`back tick`", {"BT": "back tick"}),
        ("EMPTY=\nE2=''", {"EMPTY": "", "E2": ""}),
        ("A=1\nA=2", {"A": "2"}),
        ("dotted.name-x=v", {"dotted.name-x": "v"}),
        ("COLON: value", {"COLON": "value"}),
        ('Q="say \\"hi\\""', {"Q": 'say \\"hi\\"'}),
        ("WIN=1\r\nNEXT=2\r\n", {"WIN": "1", "NEXT": "2"}),
    ],
)
def test_values(text: str, expected: dict[str, str]) -> None:
    """Unquoted values stop at a comment and are trimmed; double quotes expand \\n and \\r only."""
    parsed = parse_dev_vars(text)
    assert parsed.values == expected and parsed.warnings == ()


def test_quoted_values_may_span_lines() -> None:
    """A PEM key in single quotes keeps its newlines."""
    text = "# keys\nPEM='-----BEGIN KEY-----\nabc\n-----END KEY-----'\nAFTER=1\n"
    assert parse_dev_vars(text).values == {"PEM": "-----BEGIN KEY-----\nabc\n-----END KEY-----", "AFTER": "1"}


def test_bad_lines_are_reported_with_their_line_number_and_skipped() -> None:
    """Lines that are not NAME=value, and quotes never closed, become warnings; the rest still loads."""
    parsed = parse_dev_vars("OK=1\njust words\nBAD=\"never closed\nMORE=2\n", source=".dev.vars")
    assert parsed.values == {"OK": "1"}
    assert parsed.warnings == (".dev.vars:2: ignored, expected NAME=value",
                               '.dev.vars:3: ignored BAD, its " quote is never closed')


def test_env_specific_file_is_tried_first() -> None:
    """With --env staging, .dev.vars.staging wins over .dev.vars; without an env only .dev.vars counts."""
    root = Path("/p")
    assert dev_vars_candidates(root, "staging") == (root / ".dev.vars.staging", root / ".dev.vars")
    assert dev_vars_candidates(root, None) == (root / ".dev.vars",)
