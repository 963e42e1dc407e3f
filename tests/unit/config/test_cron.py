"""cron.check_cron: Cloudflare's five-field cron dialect."""

from __future__ import annotations

import pytest

from cfworker.config.cron import check_cron

VALID = [
    "* * * * *", "*/5 * * * *", "0 0 * * *", "0,30 8-18 * * *", "5-55/10 * * * *", "0 12 1 * *",
    "0 0 L * *", "59 23 LW * *", "0 9 15W * *", "0 17 * * sun", "10 7 * * mon-fri", "0 0 * jan-mar/2 *",
    "0 0 * * 6L", "0 0 * * L", "0 9 * * MON#2", "0 9 * * 2#1", "0 0 * * 1-7", "0 0 1/2 * *",
]

INVALID = [
    ("* * * *", "has 4 fields, expected 5"),
    ("0 0 0 * * *", "no seconds or year field"),
    ("60 * * * *", "minute field: 60 is outside 0-59"),
    ("* 24 * * *", "hour field: 24 is outside 0-23"),
    ("* * 0 * *", "day-of-month field: 0 is outside 1-31"),
    ("* * * 13 *", "month field: 13 is outside 1-12"),
    ("* * * * 0", "1 = Sunday"),
    ("* * * * 8", "day-of-week field: 8 is outside 1-7"),
    ("*/0 * * * *", "step in '*/0' must be a positive number"),
    ("*/75 * * * *", "larger than 59"),
    ("30-10 * * * *", "runs backwards"),
    ("* * ? * *", "'?' is not supported"),
    ("@daily", 'write it as "0 0 * * *"'),
    ("x * * * *", "'x' is not a number"),
    ("* * * FOO *", "or a name like JAN"),
    ("1,,2 * * * *", "empty list item"),
    ("* * 32W * *", "outside 1-31"),
    ("* * * * MON#6", "asks for week 6"),
    ("* * * * 9L", "names no weekday"),
    ("* * L5 * *", "'L5' is not a number"),
    ("0 0 * * W", "'W' is not a number"),
]


@pytest.mark.parametrize("expression", VALID)
def test_cron_valid_expression_passes(expression: str) -> None:
    """Expressions Cloudflare accepts have no problem."""
    assert check_cron(expression) is None


@pytest.mark.parametrize(("expression", "fragment"), INVALID)
def test_cron_invalid_expression_explains_problem(expression: str, fragment: str) -> None:
    """Each invalid expression gets a message (and hint) naming the field and what is wrong."""
    problem = check_cron(expression)
    assert problem is not None
    message, hint = problem
    assert fragment in f"{message} {hint}"
    assert hint
