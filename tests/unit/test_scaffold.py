"""Templates and Worker names for `cfworker init` (scaffold module, no CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfworker.errors import UserError
from cfworker.scaffold import (
    GITIGNORE, TEMPLATES_DIR, check_target, get_template, list_templates, name_problem, render, suggest_name,
)

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
EXPECTED = ["hello", "kv-cache", "scheduled", "static-site", "typescript-router"]


def test_package_templates_are_the_repository_templates() -> None:
    """cfworker/templates is the top-level templates/ folder (a symlink in a checkout)."""
    assert TEMPLATES_DIR.resolve() == REPO_TEMPLATES.resolve()


def test_every_template_is_listed_with_a_one_line_description() -> None:
    """The four templates are listed, hello first, each with a single-line description."""
    templates = list_templates()
    assert [t.name for t in templates] == EXPECTED
    assert all(t.description and "\n" not in t.description and len(t.description) < 110 for t in templates)


@pytest.mark.parametrize("name", EXPECTED)
def test_rendered_template_has_name_date_gitignore_and_readme_commands(name: str) -> None:
    """Placeholders are filled, template.toml stays behind, .gitignore and the README's three commands are there."""
    files = dict(render(get_template(name), name="my-app", compatibility_date="2025-06-01"))
    assert "template.toml" not in files
    assert all(b"{{" not in data for data in files.values())
    toml = files["worker.toml"].decode()
    assert 'name = "my-app"' in toml and 'compatibility_date = "2025-06-01"' in toml
    assert files[".gitignore"].decode() == GITIGNORE
    assert set(GITIGNORE.split()) == {"dist/", "node_modules/", ".dev.vars", ".cfworker/"}
    readme = files["README.md"].decode()
    for command in ("cfworker build", "cfworker deploy --dry-run", "cfworker deploy --watch"):
        assert command in readme


def test_unknown_template_lists_the_known_ones() -> None:
    """A misspelt template name is a UserError that lists every template."""
    with pytest.raises(UserError) as info:
        get_template("helo")
    assert all(t in (info.value.hint or "") for t in EXPECTED)


@pytest.mark.parametrize(("name", "ok"), [
    ("my-worker", True), ("a", True), ("x" * 63, True), ("x" * 64, False), ("My-Worker", False),
    ("my_worker", False), ("-lead", False), ("trail-", False), ("dot.name", False), ("", False),
])
def test_worker_name_rule(name: str, ok: bool) -> None:
    """Lowercase letters, digits and dashes, at most 63, no dash at either end."""
    problem = name_problem(name)
    assert (problem is None) is ok
    if problem:
        assert "lowercase letters, digits and dashes" in problem and "63" in problem


def test_suggested_name_is_valid() -> None:
    """An invalid directory name suggests a valid one, or nothing when none is close."""
    assert suggest_name("My_Worker 2") == "my-worker-2"
    assert suggest_name("___") is None


def test_directory_holding_only_git_counts_as_empty(tmp_path: Path) -> None:
    """A fresh `git init` does not block init; any other entry does, unless forced."""
    (tmp_path / ".git").mkdir()
    check_target(tmp_path, force=False)
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(UserError, match="is not empty"):
        check_target(tmp_path, force=False)
    check_target(tmp_path, force=True)


def test_new_project_date_is_never_newer_than_the_bundled_workerd() -> None:
    import datetime

    from cfworker.cli.init import new_project_date
    from cfworker.dev.config import runtime_date
    from cfworker.dev.workerd import WORKERD_VERSION

    newest = runtime_date(WORKERD_VERSION)
    assert new_project_date(datetime.date(2099, 1, 1)) == newest
    assert new_project_date(datetime.date(2025, 1, 2)) == "2025-01-02"
