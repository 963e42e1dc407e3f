"""[[migrations]]: every rule config/migrations.py enforces, with its exact message and line.

HEADER is lines 1-3, so a snippet's first line is line 4 of worker.toml. Each error test
checks the one error's key path, line, message and hint as `Diagnostics` renders them.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cfworker.config.diagnostics import Diagnostics
from cfworker.config.migrations import classes_after
from cfworker.config.model import MigrationSpec, Project

from .conftest import HEADER as H

Check = Callable[..., tuple[Project | None, Diagnostics]]

M = '[[migrations]]\ntag = "v1"\n'  # lines 4-5


def errors(check: Check, text: str, env: str | None = None) -> list[str]:
    """The rendered errors of a file that must not load."""
    project, d = check(H + text, env=env)
    assert project is None
    return d.render_errors()


def migrations(check: Check, text: str, env: str | None = None) -> tuple[MigrationSpec, ...]:
    project, d = check(H + text, env=env)
    assert project is not None, d.render()
    assert d.render_errors() == []
    return project.migrations


# -- a valid history ----------------------------------------------------------------------------
def test_every_key_is_read_in_order(check: Check) -> None:
    """All six keys, in two migrations, become MigrationSpecs in file order."""
    got = migrations(check, '''
[[migrations]]
tag = "v1"
new_classes = ["Counter"]
new_sqlite_classes = ["Room", "Chat"]
[[migrations]]
tag = "v2"
renamed_classes = [{ from = "Chat", to = "Talk" }]
deleted_classes = ["Counter"]
transferred_classes = [{ from = "Lobby", from_script = "old-worker", to = "Hall" }]
''')
    assert got == (
        MigrationSpec("v1", new_classes=("Counter",), new_sqlite_classes=("Room", "Chat")),
        MigrationSpec("v2", renamed_classes=(("Chat", "Talk"),), deleted_classes=("Counter",),
                      transferred_classes=(("Lobby", "old-worker", "Hall"),)),
    )


def test_array_of_tables_form_of_renamed_and_transferred_classes(check: Check) -> None:
    """[[migrations.renamed_classes]] sections mean the same as the inline list."""
    got = migrations(check, M + '[[migrations.renamed_classes]]\nfrom = "A"\nto = "B"\n'
                     '[[migrations.transferred_classes]]\nfrom = "X"\nfrom_script = "w"\nto = "Y"\n')
    assert got == (MigrationSpec("v1", renamed_classes=(("A", "B"),), transferred_classes=(("X", "w", "Y"),)),)


def test_empty_list_is_no_migrations(check: Check) -> None:
    assert migrations(check, "migrations = []\n") == ()


def test_step_is_wranglers_shape_without_the_tag() -> None:
    """The upload step: only the keys that are set, pairs as {from, to} / {from, from_script, to} objects."""
    spec = MigrationSpec("v2", new_classes=("A",), new_sqlite_classes=("B",), renamed_classes=(("C", "D"),),
                         deleted_classes=("E",), transferred_classes=(("F", "other", "G"),))
    assert spec.step() == {"new_classes": ["A"], "new_sqlite_classes": ["B"],
                           "renamed_classes": [{"from": "C", "to": "D"}], "deleted_classes": ["E"],
                           "transferred_classes": [{"from": "F", "from_script": "other", "to": "G"}]}
    assert MigrationSpec("v1", new_sqlite_classes=("B",)).step() == {"new_sqlite_classes": ["B"]}


@pytest.mark.parametrize(("spec", "destructive"), [
    (MigrationSpec("v", new_classes=("A",), new_sqlite_classes=("B",), renamed_classes=(("A", "C"),)), False),
    (MigrationSpec("v", deleted_classes=("A",)), True),
    (MigrationSpec("v", transferred_classes=(("A", "w", "B"),)), True),
])
def test_deleting_or_transferring_a_class_is_destructive(spec: MigrationSpec, destructive: bool) -> None:
    assert spec.destructive is destructive


# -- tag ----------------------------------------------------------------------------------------
def test_tag_is_required(check: Check) -> None:
    """Without a tag: the error is at the entry's header line."""
    assert errors(check, '[[migrations]]\nnew_classes = ["A"]\n') == [
        'worker.toml:4: migrations[0].tag: is required (add tag = "v1" (each migration needs its own tag))']


@pytest.mark.parametrize(("value", "message"), [
    ("1", 'expected a string but got 1 (write it in quotes: tag = "...")'),
    ('""', "is empty (set tag to a value, or remove the key)"),
])
def test_tag_must_be_a_non_empty_string(check: Check, value: str, message: str) -> None:
    assert errors(check, f'[[migrations]]\ntag = {value}\nnew_classes = ["A"]\n') == [
        f"worker.toml:5: migrations[0].tag: {message}"]


def test_tag_must_be_unique(check: Check) -> None:
    """The second use of a tag is the error, at its line, naming where the first is."""
    text = M + 'new_classes = ["A"]\n[[migrations]]\ntag = "v2"\nnew_classes = ["B"]\n[[migrations]]\ntag = "v1"\n' \
        'new_classes = ["C"]\n'
    assert errors(check, text) == [
        "worker.toml:11: migrations[2].tag: tag 'v1' is used twice (first in migrations[0]) "
        "(every migration needs its own tag; the list is the history, in order)"]


# -- class lists ---------------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["new_classes", "new_sqlite_classes", "deleted_classes"])
def test_class_list_must_be_a_list(check: Check, key: str) -> None:
    assert errors(check, M + f'{key} = "A"\n') == [
        f'worker.toml:6: migrations[0].{key}: expected a list of class names but got "A" (write ["MyClass"])']


@pytest.mark.parametrize("key", ["new_classes", "new_sqlite_classes", "deleted_classes"])
def test_class_names_are_identifiers_located_by_item(check: Check, key: str) -> None:
    """A bad name in a multi-line list is reported at its own line and index."""
    assert errors(check, M + f'{key} = [\n  "Good",\n  "9Bad",\n]\n') == [
        f'worker.toml:8: migrations[0].{key}[1]: "9Bad" is not valid: a class name uses letters, digits and "_", '
        'not starting with a digit (rename it, e.g. "_9Bad")']


def test_class_name_that_is_not_a_string(check: Check) -> None:
    [line] = errors(check, M + "deleted_classes = [1]\n")
    assert line.startswith("worker.toml:6: migrations[0].deleted_classes[0]: expected a string but got 1 (")


def test_class_name_that_is_not_a_string_hint_keeps_the_list(check: Check) -> None:
    [line] = errors(check, M + "deleted_classes = [1]\n")
    assert 'deleted_classes = "..."' not in line


# -- renamed_classes / transferred_classes -------------------------------------------------------
def test_renamed_classes_entry_needs_from_and_to(check: Check) -> None:
    assert errors(check, M + 'renamed_classes = [{ from = "A" }]\n') == [
        "worker.toml:6: migrations[0].renamed_classes[0].to: is required (write each entry as {from = ..., to = ...})"]


def test_renamed_classes_entry_unknown_key(check: Check) -> None:
    assert errors(check, M + 'renamed_classes = [{ from = "A", to = "B", old = "A" }]\n') == [
        "worker.toml:6: migrations[0].renamed_classes[0].old: unknown key (write each entry as {from = ..., to = ...})"]


def test_renamed_classes_names_are_class_names(check: Check) -> None:
    """Located at the `to` line of an array-of-tables entry."""
    assert errors(check, M + '[[migrations.renamed_classes]]\nfrom = "A"\nto = "B-2"\n') == [
        'worker.toml:8: migrations[0].renamed_classes[0].to: "B-2" is not valid: a class name uses letters, digits '
        'and "_", not starting with a digit (rename it, e.g. "B_2")']


@pytest.mark.parametrize(("value", "message"), [
    ('["A"]', 'migrations[0].renamed_classes[0]: expected a table but got "A"'),
    ('{ from = "A", to = "B" }', "migrations[0].renamed_classes: expected a list but got a table"),
])
def test_renamed_classes_must_be_a_list_of_tables(check: Check, value: str, message: str) -> None:
    assert errors(check, M + f"renamed_classes = {value}\n") == [
        f"worker.toml:6: {message} (write each entry as a [[migrations.renamed_classes]] section, or "
        "renamed_classes = [{ ... }])"]


def test_renamed_classes_hint_shows_a_valid_toml_header(check: Check) -> None:
    [line] = errors(check, M + 'renamed_classes = ["A"]\n')
    assert "[[migrations.renamed_classes]]" in line


def test_transferred_classes_entry_needs_from_script(check: Check) -> None:
    assert errors(check, M + 'transferred_classes = [{ from = "A", to = "B" }]\n') == [
        "worker.toml:6: migrations[0].transferred_classes[0].from_script: is required "
        "(write each entry as {from = ..., from_script = ..., to = ...})"]


def test_transferred_classes_from_script_is_a_string_not_a_class_name(check: Check) -> None:
    """from_script is a Worker name (any string); from and to are class names."""
    got = migrations(check, M + 'transferred_classes = [{ from = "A", from_script = "old worker", to = "B" }]\n')
    assert got[0].transferred_classes == (("A", "old worker", "B"),)
    assert errors(check, M + 'transferred_classes = [{ from = "A", from_script = 3, to = "B" }]\n') == [
        'worker.toml:6: migrations[0].transferred_classes[0].from_script: expected a string but got 3 '
        '(write it in quotes: from_script = "...")']
    [line] = errors(check, M + 'transferred_classes = [{ from = "A-1", from_script = "w", to = "B" }]\n')
    assert line.startswith('worker.toml:6: migrations[0].transferred_classes[0].from: "A-1" is not valid: a class name')


# -- the entry as a whole -----------------------------------------------------------------------
def test_unknown_key_in_a_migration_suggests_the_right_one(check: Check) -> None:
    project, d = check(H + M + 'new_class = ["A"]\n')
    assert project is None
    assert d.render_errors() == ["worker.toml:6: migrations[0].new_class: unknown key (did you mean `new_classes`?)"]


def test_migration_that_changes_no_class_warns(check: Check) -> None:
    project, d = check(H + M)
    assert project is not None and project.migrations == (MigrationSpec("v1"),)
    assert d.render_warnings() == [
        "worker.toml:4: migrations[0]: migration 'v1' changes no class "
        '(add new_sqlite_classes = ["MyClass"] or remove it)']


def test_migration_with_only_empty_lists_warns(check: Check) -> None:
    _, d = check(H + M + "new_classes = []\n")
    assert any("changes no class" in w for w in d.render_warnings())


@pytest.mark.parametrize(("text", "message"), [
    ('migrations = "v1"\n', 'worker.toml:4: migrations: expected a list but got "v1"'),
    ("migrations = [1]\n", "worker.toml:4: migrations[0]: expected a table but got 1"),
])
def test_migrations_must_be_a_list_of_tables(check: Check, text: str, message: str) -> None:
    assert errors(check, text) == [
        f"{message} (write each entry as a [[migrations]] section, or migrations = [{{ ... }}])"]


def test_every_problem_of_every_entry_is_reported(check: Check) -> None:
    """One run shows all the errors, in file order, each at its line."""
    text = '[[migrations]]\nnew_classes = ["9A"]\n[[migrations]]\ntag = "v2"\nrenamed_classes = [{ to = "B" }]\n'
    project, d = check(H + text)
    assert project is None
    assert [(p.path, p.line) for p in d.errors] == [
        ("migrations[0].tag", 4), ("migrations[0].new_classes[0]", 5),
        ("migrations[1].renamed_classes[0].from", 8)]


# -- [env.X] -------------------------------------------------------------------------------------
def test_env_inherits_the_top_level_migrations(check: Check) -> None:
    """migrations are inheritable (research notes A1.1): an env without its own uses the top level's, silently."""
    project, d = check(H + M + 'new_classes = ["A"]\n[env.staging]\nworkers_dev = true\n', env="staging")
    assert project is not None and project.migrations == (MigrationSpec("v1", new_classes=("A",)),)
    assert not any("migrations" in w for w in d.render_warnings())


def test_env_own_migrations_replace_the_top_levels(check: Check) -> None:
    text = M + 'new_classes = ["A"]\n[env.staging]\n[[env.staging.migrations]]\ntag = "s1"\nnew_sqlite_classes = ["B"]\n'
    assert migrations(check, text, env="staging") == (MigrationSpec("s1", new_sqlite_classes=("B",)),)
    assert migrations(check, text) == (MigrationSpec("v1", new_classes=("A",)),)


def test_env_migration_errors_name_the_env_path(check: Check) -> None:
    text = '[env.staging]\n[[env.staging.migrations]]\nnew_classes = ["A"]\n'
    assert errors(check, text, env="staging") == [
        'worker.toml:5: env.staging.migrations[0].tag: is required (add tag = "v1" (each migration needs its own tag))']


# -- classes_after: which classes exist after the history -----------------------------------------
@pytest.mark.parametrize(("history", "classes"), [
    ((), set()),
    ((MigrationSpec("v1", new_classes=("A",), new_sqlite_classes=("B",)),), {"A", "B"}),
    ((MigrationSpec("v1", new_classes=("A",)), MigrationSpec("v2", renamed_classes=(("A", "C"),))), {"C"}),
    ((MigrationSpec("v1", new_classes=("A", "B")), MigrationSpec("v2", deleted_classes=("A",))), {"B"}),
    ((MigrationSpec("v1", transferred_classes=(("X", "other", "Y"),)),), {"Y"}),
    ((MigrationSpec("v1", new_classes=("A",)), MigrationSpec("v2", deleted_classes=("A",)),
      MigrationSpec("v3", new_sqlite_classes=("A",))), {"A"}),  # order is the history
])
def test_classes_after_applies_the_history_in_order(history: tuple[MigrationSpec, ...], classes: set[str]) -> None:
    assert classes_after(history) == classes
