"""Diagnostics: every problem found in a config file, keyed by dotted key path (pure).

Validators record errors and warnings instead of raising, so one run shows every problem
(wrangler's diagnostics, flattened). A problem has the key (`env.staging.vars.X`), a
message echoing the bad value, the line when known, and a hint saying what to do;
`to_error()` makes one ConfigError of the errors, `render_warnings()` the warning lines.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from cfworker.errors import ConfigError

Severity = Literal["error", "warning"]
LineLookup = Callable[[str], "int | None"]

RECHECK_HINT = "fix the problems above; `cfworker deploy --dry-run` re-checks without deploying anything"

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


def key_path(parent: str, key: str) -> str:
    """Append a TOML key to a dotted path, quoting keys that are not bare (`define."a.b"`)."""
    part = key if _BARE_KEY.fullmatch(key) else '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return f"{parent}.{part}" if parent else part


def index_path(parent: str, index: int) -> str:
    """Append an array index to a dotted path (`routes[1]`)."""
    return f"{parent}[{index}]"


@dataclass(frozen=True, slots=True)
class Problem:
    """One error or warning about one key of the file."""

    severity: Severity
    path: str  # dotted key path; "" for the file as a whole
    message: str
    hint: str
    line: int | None = None

    def render(self, file: str, *, with_hint: bool = True) -> str:
        """`file:line: path: message (hint)`; the line and path parts are left out when unknown."""
        where = f"{file}:{self.line}" if self.line else file
        key = f" {self.path}:" if self.path else ""
        text = f"{where}:{key} {self.message}"
        return f"{text} ({self.hint})" if with_hint and self.hint else text


class Diagnostics:
    """Errors and warnings for one file, in the order they were found."""

    def __init__(self, file: str | Path, *, line_of: LineLookup | None = None) -> None:
        self.file = str(file)
        self._line_of = line_of
        self._problems: list[Problem] = []

    # -- adding --------------------------------------------------------------------
    def error(self, path: str, message: str, hint: str, *, line: int | None = None) -> None:
        """Record an error at a dotted key path; the hint says what to do about it.

        The line is looked up from the path unless given; `line=0` means "no line" (for
        keys that are missing from the file).
        """
        self._add("error", path, message, hint, line)

    def warn(self, path: str, message: str, hint: str, *, line: int | None = None) -> None:
        """Record a warning: the file still loads, but something is ignored or surprising."""
        self._add("warning", path, message, hint, line)

    def _add(self, severity: Severity, path: str, message: str, hint: str, line: int | None) -> None:
        if line is None and self._line_of is not None and path:
            line = self._line_of(path)
        problem = Problem(severity, path, message, hint, line)
        if problem not in self._problems:  # the same check reached twice (e.g. inherited) says it once
            self._problems.append(problem)

    def extend(self, problems: Iterable[Problem]) -> None:
        """Add problems found elsewhere (kept as they are, lines included)."""
        for problem in problems:
            if problem not in self._problems:
                self._problems.append(problem)

    # -- reading -------------------------------------------------------------------
    @property
    def errors(self) -> tuple[Problem, ...]:
        return tuple(p for p in self._problems if p.severity == "error")

    @property
    def warnings(self) -> tuple[Problem, ...]:
        return tuple(p for p in self._problems if p.severity == "warning")

    def has_errors(self) -> bool:
        """True when at least one error was recorded."""
        return any(p.severity == "error" for p in self._problems)

    def render(self) -> list[str]:
        """Every problem as one line, errors first: `error: file:12: key: message (hint)`."""
        return [f"error: {p.render(self.file)}" for p in self.errors] + [
            f"warning: {p.render(self.file)}" for p in self.warnings
        ]

    def render_errors(self) -> list[str]:
        """The errors as lines `file:12: key: message (hint)`."""
        return [p.render(self.file) for p in self.errors]

    def render_warnings(self) -> list[str]:
        """The warnings as lines `file:12: key: message (hint)`, for the CLI to print."""
        return [p.render(self.file) for p in self.warnings]

    def to_error(self) -> ConfigError:
        """One ConfigError for all errors (call only when `has_errors()`)."""
        return config_error(self.file, self.errors)


def config_error(file: str, errors: Iterable[Problem]) -> ConfigError:
    """Build the ConfigError for a list of errors.

    One problem: the message is that problem's line and the hint its hint. Several: the
    message is `FILE has N problems` and each problem is a note with its hint in brackets.
    """
    # Reading order: by line, problems without a line (missing keys) last.
    problems = sorted(errors, key=lambda p: (p.line is None, p.line or 0))
    name = Path(file).name or file
    if len(problems) == 1:
        only = problems[0]
        error = ConfigError(only.render(file, with_hint=False), hint=only.hint)
    else:
        error = ConfigError(f"{name} has {len(problems)} problems", hint=RECHECK_HINT,
                            notes=[p.render(file) for p in problems])
    error.file = file
    error.problems = tuple({"file": file, "key": p.path or None, "line": p.line, "message": p.message,
                            "hint": p.hint or None} for p in problems)
    return error
