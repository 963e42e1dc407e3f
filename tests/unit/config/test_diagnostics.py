"""Diagnostics: collecting, rendering, and turning problems into one ConfigError."""

from __future__ import annotations

from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.errors import ConfigError


def test_diagnostics_render_names_file_line_key_and_hint() -> None:
    """A problem renders as `file:line: key: message (hint)`."""
    d = Diagnostics("app/worker.toml")
    d.error("routes[1].pattern", "expected a string but got 123", 'write a pattern like "a.com/*"', line=12)
    assert d.render_errors() == ['app/worker.toml:12: routes[1].pattern: expected a string but got 123 '
                                 '(write a pattern like "a.com/*")']
    assert d.render() == ["error: " + d.render_errors()[0]]


def test_diagnostics_line_comes_from_lookup_unless_zero() -> None:
    """Lines are looked up from the key path; line=0 means deliberately none."""
    d = Diagnostics("worker.toml", line_of=lambda path: 7)
    d.warn("dev", "ignored", "remove it")
    d.error("env.x", "not defined", "add it", line=0)
    assert d.render_warnings() == ["worker.toml:7: dev: ignored (remove it)"]
    assert d.render_errors() == ["worker.toml: env.x: not defined (add it)"]


def test_diagnostics_single_error_becomes_the_message() -> None:
    """With one error the ConfigError message is that problem and the hint is its hint."""
    d = Diagnostics("worker.toml")
    d.error("name", "is required", 'add name = "x"')
    error = d.to_error()
    assert isinstance(error, ConfigError)
    assert (error.message, error.hint, error.notes) == ("worker.toml: name: is required", 'add name = "x"', ())


def test_diagnostics_many_errors_become_notes_sorted_by_line() -> None:
    """Several errors: `worker.toml has N problems`, one note each, by line, unlocated ones last."""
    d = Diagnostics("/p/worker.toml")
    d.error("b", "second", "fix b", line=9)
    d.error("name", "is required", "add it")
    d.error("a", "first", "fix a", line=2)
    d.warn("w", "only a warning", "ignore", line=1)
    error = d.to_error()
    assert error.message == "worker.toml has 3 problems"
    assert error.notes == ("/p/worker.toml:2: a: first (fix a)", "/p/worker.toml:9: b: second (fix b)",
                           "/p/worker.toml: name: is required (add it)")


def test_diagnostics_same_problem_recorded_once() -> None:
    """A check reached twice for the same key reports it once."""
    d = Diagnostics("worker.toml")
    for _ in range(2):
        d.error("x", "bad", "fix")
    assert len(d.errors) == 1 and d.has_errors()


def test_diagnostics_key_path_quotes_keys_that_are_not_bare() -> None:
    """Dotted paths quote keys with dots or spaces so the path stays unambiguous."""
    assert key_path("build.define", "process.env.X") == 'build.define."process.env.X"'
    assert key_path("", "name") == "name"
    assert index_path(key_path("env.a", "routes"), 2) == "env.a.routes[2]"
