"""[[migrations]]: Durable Object class migrations, validated with wrangler's keys (pure).

Each entry has a `tag` and any of `new_classes`, `new_sqlite_classes`, `renamed_classes`
({from, to}), `deleted_classes` and `transferred_classes` ({from, from_script, to})
(workers-sdk workers-utils config validation `validateMigrations`; research notes A1.1).
Tags must be unique; the list is applied in order, so the order is the history. Which
classes exist after the whole list (`classes_after`) is what the deploy checks bindings
against before any write.
"""

from __future__ import annotations

from typing import Any

from cfworker.config.checks import describe, expect_identifier, expect_str, expect_tables
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.model import MigrationSpec

_LISTS = ("new_classes", "new_sqlite_classes", "deleted_classes")
KEYS = ("tag", *_LISTS, "renamed_classes", "transferred_classes")


def check_migrations(d: Diagnostics, path: str, value: Any) -> tuple[MigrationSpec, ...] | None:
    """The migration list; None when an entry is invalid (a partial history would be wrong)."""
    out: list[MigrationSpec] = []
    ok = True
    tags: dict[str, str] = {}
    for item_path, table in expect_tables(d, path, value):
        spec = _migration(d, item_path, table)
        if spec is None:
            ok = False
            continue
        if spec.tag in tags:
            d.error(key_path(item_path, "tag"), f"tag {spec.tag!r} is used twice (first in {tags[spec.tag]})",
                    "every migration needs its own tag; the list is the history, in order")
            ok = False
            continue
        tags[spec.tag] = item_path
        out.append(spec)
    return tuple(out) if ok and isinstance(value, list) else None


def _migration(d: Diagnostics, path: str, table: dict[str, Any]) -> MigrationSpec | None:
    before = len(d.errors)
    if "tag" not in table:
        d.error(key_path(path, "tag"), "is required", 'add tag = "v1" (each migration needs its own tag)')
    tag = expect_str(d, key_path(path, "tag"), table["tag"]) if "tag" in table else None
    lists: dict[str, tuple[str, ...]] = {}
    for key in _LISTS:
        if key in table:
            lists[key] = _class_list(d, key_path(path, key), table[key])
    renamed = _pairs(d, key_path(path, "renamed_classes"), table.get("renamed_classes"), ("from", "to"))
    transferred = _pairs(d, key_path(path, "transferred_classes"), table.get("transferred_classes"),
                         ("from", "from_script", "to"))
    if len(d.errors) > before or tag is None:
        return None
    if not (any(lists.values()) or renamed or transferred):
        d.warn(path, f"migration {tag!r} changes no class", "add new_sqlite_classes = [\"MyClass\"] or remove it")
    return MigrationSpec(tag, lists.get("new_classes", ()), lists.get("new_sqlite_classes", ()),
                         tuple((p[0], p[1]) for p in renamed), lists.get("deleted_classes", ()),
                         tuple((p[0], p[1], p[2]) for p in transferred))


def _class_list(d: Diagnostics, path: str, value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        d.error(path, f"expected a list of class names but got {describe(value)}", 'write ["MyClass"]')
        return ()
    out = []
    for i, item in enumerate(value):
        name = expect_identifier(d, index_path(path, i), item, what="class name")
        if name is not None:
            out.append(name)
    return tuple(out)


def _pairs(d: Diagnostics, path: str, value: Any, keys: tuple[str, ...]) -> list[tuple[str, ...]]:
    if value is None:
        return []
    shape = "{" + ", ".join(f"{k} = ..." for k in keys) + "}"
    out = []
    for item_path, table in expect_tables(d, path, value):
        found = []
        for key in keys:
            if key not in table:
                d.error(key_path(item_path, key), "is required", f"write each entry as {shape}")
                continue
            check = expect_str if key == "from_script" else expect_class
            got = check(d, key_path(item_path, key), table[key])
            if got is not None:
                found.append(got)
        unknown = set(table) - set(keys)
        for key in sorted(unknown):
            d.error(key_path(item_path, key), "unknown key", f"write each entry as {shape}")
        if len(found) == len(keys) and not unknown:
            out.append(tuple(found))
    return out


def expect_class(d: Diagnostics, path: str, value: Any) -> str | None:
    return expect_identifier(d, path, value, what="class name")


def classes_after(migrations: tuple[MigrationSpec, ...]) -> set[str]:
    """The Durable Object classes this Worker has after every migration of the list."""
    classes: set[str] = set()
    for m in migrations:
        classes |= set(m.new_classes) | set(m.new_sqlite_classes)
        for old, new in m.renamed_classes:
            classes.discard(old)
            classes.add(new)
        classes |= {to for _, _, to in m.transferred_classes}
        classes -= set(m.deleted_classes)
    return classes
