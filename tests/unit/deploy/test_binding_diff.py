"""The plan's binding diff against the live script: one summary line, then one line per change."""

from __future__ import annotations

from pathlib import Path

from cfworker.config.model import Project
from cfworker.deploy.concerns.script import binding_changes


def project(**changes: object) -> Project:
    return Project(config_path=Path("/p/worker.toml"), root=Path("/p"), name="app", main=Path("/p/i.js"),
                   compatibility_date="2025-06-01", **changes)  # type: ignore[arg-type]


LIVE = [{"type": "plain_text", "name": "MODE", "text": "a"}, {"type": "kv_namespace", "name": "OLD", "namespace_id": "1"},
        {"type": "secret_text", "name": "TOKEN"}, {"type": "plain_text", "name": "SAME", "text": "s"}]
WANT = [{"type": "plain_text", "name": "MODE", "text": "b"}, {"type": "r2_bucket", "name": "FILES", "bucket_name": "f"},
        {"type": "plain_text", "name": "SAME", "text": "s"}]


def test_summary_then_each_change() -> None:
    lines = binding_changes(project(), LIVE, WANT)
    assert lines[0] == "bindings: 1 to add, 1 to change, 1 to delete"
    assert "binding FILES: added (r2_bucket bucket_name='f')" in lines
    assert "var MODE: 'a' -> 'b'" in lines
    assert any(line.startswith("binding OLD: REMOVED") for line in lines)
    assert not any("TOKEN" in line or "SAME" in line for line in lines)  # secrets and unchanged ones are not listed


def test_no_change_no_lines() -> None:
    assert binding_changes(project(), WANT, WANT) == []


def test_kept_vars_are_listed_but_not_counted() -> None:
    lines = binding_changes(project(keep_vars=True), [{"type": "plain_text", "name": "X", "text": "1"}], [])
    assert lines == ["var X: kept (not in worker.toml; keep_vars = true)"]
