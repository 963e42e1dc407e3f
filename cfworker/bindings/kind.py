"""The shape of one binding kind, and of one configured binding (pure).

A `BindingKind` is an entry of the table in `bindings.table`: where it lives in worker.toml
(a list `[[r2_buckets]]`, one table `ai = {...}`, or a list inside a table such as
`[[durable_objects.bindings]]`), its fields, the binding JSON it uploads as (api-notes
§2.3), whether `[env.X]` inherits it (§7.2), whether a deploy can provision what it points
at, and what `cfworker dev` does with it. A `BindingSpec` is one validated binding of a
project: the kind, the binding's name and the checked field values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from cfworker.bindings.fields import Field
    from cfworker.config.diagnostics import Diagnostics

Shape = Literal["list", "single"]
DevSupport = Literal["local", "none"]


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """One configured binding: its kind's key, its name, the checked values and where it was written."""

    kind: str  # BindingKind.key, e.g. "r2_buckets" or "durable_objects.bindings"
    name: str
    values: tuple[tuple[str, Any], ...]
    path: str = ""  # key path in worker.toml, e.g. "r2_buckets[0]" (messages, write-back)

    def get(self, key: str, default: Any = None) -> Any:
        """A field's checked value (None when not set)."""
        for k, v in self.values:
            if k == key:
                return v
        return default

    def __hash__(self) -> int:  # values may hold tables; identity of a binding is kind + name
        return hash((self.kind, self.name))


Rule = Callable[["Diagnostics", str, Mapping[str, Any]], None]  # cross-field checks of one entry
ToWire = Callable[[BindingSpec, Mapping[str, Any]], dict[str, Any]]


@dataclass(frozen=True, slots=True)
class BindingKind:
    """One entry of the binding table (see the module docstring)."""

    key: str  # config key; "parent.child" for a list inside a table
    wire_type: str  # metadata binding "type"
    label: str  # for messages: "R2 bucket"
    fields: tuple[Field, ...]
    name_key: str = "binding"  # the field that holds the binding's name ("name" for a few kinds)
    shape: Shape = "list"
    inheritable: bool = False  # [env.X] falls back to the top level's (only logfwdr, api-notes §7.2)
    provision: str | None = None  # "kv" | "r2" | "d1": a deploy finds or creates what it points at
    dev: DevSupport = "none"
    dev_note: str = ""  # why `cfworker dev` cannot bind it (default: "does not provide ... yet")
    ignored: tuple[tuple[str, str], ...] = ()  # wrangler keys accepted and ignored: (key, why)
    rules: tuple[Rule, ...] = ()
    to_wire: ToWire | None = None  # for shapes the default mapping cannot express
    doc: str = ""  # one line for docs/configuration.md
    example: str = "MY_BINDING"

    @property
    def parent(self) -> str | None:
        """The table holding the list, for nested kinds (`durable_objects`), else None."""
        return self.key.split(".", 1)[0] if "." in self.key else None

    @property
    def child(self) -> str:
        """The list's own key (`bindings` of `durable_objects.bindings`, or the key itself)."""
        return self.key.split(".", 1)[1] if "." in self.key else self.key

    def field(self, key: str) -> Field | None:
        return next((f for f in self.fields if f.key == key), None)

    def wire(self, spec: BindingSpec, resolved: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The binding's metadata JSON; `resolved` overrides fields a deploy found or created (ids)."""
        values = {**dict(spec.values), **(resolved or {})}
        if self.to_wire is not None:
            return self.to_wire(spec, values)
        out: dict[str, Any] = {"type": self.wire_type, "name": spec.name}
        for f in self.fields:
            wire_key = f.wire_key
            if f.key == self.name_key or wire_key is None or values.get(f.key) is None:
                continue
            value = values[f.key]
            out[wire_key] = list(value) if isinstance(value, tuple) else value
        return out
