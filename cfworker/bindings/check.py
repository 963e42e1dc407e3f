"""Validate every binding kind of one config layer from the binding table (pure).

For each kind the layer sets, each entry's fields are checked (bindings.fields), the kind's
cross-field rules run, and an entry without a new error becomes a BindingSpec. The binding
names go into `names` so config.validate can report a name used twice across kinds. A kind
the layer does not set is absent from the result (so `[env.X]` can tell "not set" from
"set to none" for the inheritable ones).
"""

from __future__ import annotations

from typing import Any

from cfworker.bindings.fields import check_fields
from cfworker.bindings.kind import BindingKind, BindingSpec
from cfworker.bindings.table import KINDS, PARENTS
from cfworker.config.checks import expect_table, expect_tables
from cfworker.config.diagnostics import Diagnostics, key_path

Names = list[tuple[str, str]]  # (binding name, key path of that name)


def check_layer(d: Diagnostics, raw: dict[str, Any], prefix: str, names: Names) -> dict[str, tuple[BindingSpec, ...]]:
    """kind key -> the layer's bindings of that kind, for every kind the layer sets."""
    parents = {}
    for parent in sorted(PARENTS):
        if parent in raw:
            parents[parent] = expect_table(d, key_path(prefix, parent), raw[parent],
                                           hint=f"write [[{parent}.<list>]] sections, e.g. [[{_child_example(parent)}]]")
    out: dict[str, tuple[BindingSpec, ...]] = {}
    for kind in KINDS:
        container = parents.get(kind.parent) if kind.parent else raw
        if container is None or kind.child not in container:
            continue
        path = key_path(key_path(prefix, kind.parent), kind.child) if kind.parent else key_path(prefix, kind.key)
        out[kind.key] = check_kind(d, kind, container[kind.child], path, names)
    return out


def _child_example(parent: str) -> str:
    return next(k.key for k in KINDS if k.parent == parent)


def check_kind(d: Diagnostics, kind: BindingKind, value: Any, path: str, names: Names) -> tuple[BindingSpec, ...]:
    """The bindings of one kind (a list of tables, or one table for `single` kinds)."""
    if kind.shape == "single":
        found = expect_table(d, path, value, hint=f'write {kind.key} = {{ binding = "{kind.example}" }}')
        entries = [(path, found)] if found is not None else []
    else:
        entries = expect_tables(d, path, value)
    specs = []
    for item_path, table in entries:
        before = len(d.errors)
        values = check_fields(d, item_path, table, kind.fields) or {}
        for rule in kind.rules:
            rule(d, item_path, values)
        name = values.get(kind.name_key)
        if name is not None:
            names.append((name, key_path(item_path, kind.name_key)))
        if len(d.errors) == before and name is not None:
            specs.append(BindingSpec(kind.key, name, tuple(values.items()), item_path))
    return tuple(specs)


def check_unique_names(d: Diagnostics, names: Names) -> None:
    """A binding name used twice (across vars, secrets and every binding kind) is an error."""
    first: dict[str, str] = {}
    for name, path in names:
        if name in first:
            d.error(path, f'binding name "{name}" is already used by {first[name]}',
                    "binding names must be unique across vars, secrets and all bindings; rename one of them")
        else:
            first[name] = path
