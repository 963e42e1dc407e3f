"""A checker for Cloudflare Workers cron expressions (pure).

Five fields in UTC: minute 0-59, hour 0-23, day-of-month 1-31 (plus `L`, `LW`, `15W`),
month 1-12 or JAN-DEC, day-of-week 1-7 or SUN-SAT with 1 = Sunday (plus `L`, `5L`,
`MON#2`). Each field takes `*`, lists, ranges and steps (`*/n`, `a-b/n`, `a/n`).
`check_cron` returns the first problem as (message, hint), or None.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DOCS = "https://developers.cloudflare.com/workers/configuration/cron-triggers/"
FORMAT_HINT = f'write five fields "minute hour day-of-month month day-of-week", e.g. "*/15 * * * *" (see {DOCS})'
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
_MACROS = {"@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *",
           "@weekly": "0 0 * * 1", "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *"}


@dataclass(frozen=True, slots=True)
class _Field:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # names[i] means low + i

    def value(self, token: str) -> int | None:
        """A number or a three-letter name as an int; None when it is neither."""
        if token.isdigit():
            return int(token)
        upper = token.upper()
        return self.low + self.names.index(upper) if upper in self.names else None


_FIELDS = (
    _Field("minute", 0, 59),
    _Field("hour", 0, 23),
    _Field("day-of-month", 1, 31),
    _Field("month", 1, 12, _MONTHS),
    _Field("day-of-week", 1, 7, _DAYS),
)
_DOM_SPECIAL = re.compile(r"^(L|LW|\d{1,2}W)$", re.I)
_DOW_LAST = re.compile(r"^([A-Za-z]{3}|\d)L$")
_DOW_NTH = re.compile(r"^([A-Za-z]{3}|\d)#(\d+)$")


def check_cron(expression: str) -> tuple[str, str] | None:
    """The first problem of a cron expression as (message, hint), or None when Cloudflare accepts it."""
    text = expression.strip()
    if text.lower() in _MACROS:
        return f"the {text} shortcut is not supported", f'write it as "{_MACROS[text.lower()]}"'
    fields = text.split()
    if len(fields) != 5:
        extra = " (Cloudflare has no seconds or year field)" if len(fields) in (6, 7) else ""
        return f"has {len(fields)} fields, expected 5{extra}", FORMAT_HINT
    for spec, field_text in zip(_FIELDS, fields):
        for item in field_text.split(","):
            problem = _check_item(spec, item)
            if problem:
                return problem
    return None


def _check_item(spec: _Field, item: str) -> tuple[str, str] | None:
    where = f"{spec.name} field"
    if not item:
        return f"{where} has an empty list item", "remove the doubled or trailing comma"
    if item == "?":
        return f"{where}: '?' is not supported by Cloudflare", "use * instead"
    if spec.name == "day-of-month" and _DOM_SPECIAL.match(item):
        day = item[:-1]
        if day.isdigit() and not 1 <= int(day) <= 31:
            return f"{where}: {item!r} names day {day}, outside 1-31", "use a day between 1 and 31"
        return None
    if spec.name == "day-of-week":
        is_special, problem = _check_weekday_special(spec, item)
        if is_special:
            return problem
    base, _, step = item.partition("/")
    if "/" in item:
        if not step.isdigit() or int(step) == 0:
            return f"{where}: step in {item!r} must be a positive number", f"write e.g. */5 in the {spec.name} field"
        if int(step) > spec.high:
            return f"{where}: step {step} in {item!r} is larger than {spec.high}", f"use a step up to {spec.high}"
    if base == "*":
        return None
    start_text, dash, end_text = base.partition("-")
    bounds = []
    for token in (start_text, end_text) if dash else (start_text,):
        value = spec.value(token)
        if value is None:
            return f"{where}: {token!r} is not a number{_names_note(spec)}", _range_hint(spec)
        if not spec.low <= value <= spec.high:
            return f"{where}: {token} is outside {spec.low}-{spec.high}", _range_hint(spec, value)
        bounds.append(value)
    if dash and bounds[0] > bounds[1]:
        return f"{where}: range {base!r} runs backwards", "write ranges low-high, or list the values (e.g. 6,7,1)"
    return None


def _check_weekday_special(spec: _Field, item: str) -> tuple[bool, tuple[str, str] | None]:
    """(is it `L`, `5L` or `MON#2`?, its problem if malformed)."""
    if item.upper() == "L":
        return True, None
    last, nth = _DOW_LAST.match(item), _DOW_NTH.match(item)
    match = last or nth
    if not match:
        return False, None
    day = spec.value(match.group(1))
    if day is None or not 1 <= day <= 7:
        return True, (f"day-of-week field: {item!r} names no weekday", _range_hint(spec, day))
    if nth and not 1 <= int(nth.group(2)) <= 5:
        return True, (f"day-of-week field: {item!r} asks for week {nth.group(2)}", "write MON#1 to MON#5")
    return True, None


def _names_note(spec: _Field) -> str:
    return f" or a name like {spec.names[0]}" if spec.names else ""


def _range_hint(spec: _Field, value: int | None = None) -> str:
    if spec.name == "day-of-week" and value in (0, 7, None):
        return "Cloudflare numbers weekdays 1-7 with 1 = Sunday and 7 = Saturday; names like SUN or MON-FRI avoid confusion"
    names = f" or {spec.names[0]}-{spec.names[-1]}" if spec.names else ""
    return f"use values {spec.low}-{spec.high}{names} in the {spec.name} field"
