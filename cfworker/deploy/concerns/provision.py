"""Provisioned resources: KV namespaces, R2 buckets and D1 databases a binding points at.

A binding that names no existing resource is resolved before the upload, never by a blind
create (wrangler's 10014 bug, api-notes §8.1):
  * KV without `id`: the namespace bound to the live Worker under that binding, else the
    namespace titled `title` (default `<name>-<binding>`), else a new one.
  * R2: the bucket `bucket_name` (default `<name>-<binding>`) when it exists in its
    jurisdiction, else a new one.
  * D1 without `database_id`: the database bound to the live Worker, else the one named
    `database_name` (default `<name>-<binding>`), else a new one.
What was found or created is written back into worker.toml (the binding's id or name), so
the config pins it from then on. One concern class, three instances: the kinds differ only
in data (how a resource is looked up, created, and which field it fills).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cfworker.api import d1 as d1_api
from cfworker.api import kv as kv_api
from cfworker.api import r2 as r2_api
from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError
from cfworker.bindings.kind import BindingSpec
from cfworker.deploy.concern import Concern, Planning, Reader, RemoteSnapshot, Run
from cfworker.deploy.plan import Phase, Ref, StepBase


@dataclass(frozen=True, slots=True)
class CreateResource(StepBase):
    """Create the KV namespace, R2 bucket or D1 database a binding points at."""

    kind: str  # binding table key: kv_namespaces, r2_buckets, d1_databases
    binding: str
    name: str  # title (KV) or name (R2, D1)
    jurisdiction: str | None = None  # R2 only
    phase: Phase = "provision"
    destructive: bool = False

    @property
    def key(self) -> str:
        return f"{PROVISIONERS[self.kind].prefix}:{self.binding}"

    @property
    def marker(self) -> str:
        return "+"

    def describe(self) -> str:
        where = f" (jurisdiction {self.jurisdiction})" if self.jurisdiction else ""
        return f"create {PROVISIONERS[self.kind].noun} {self.name!r}{where} for binding {self.binding}"


@dataclass(frozen=True, slots=True)
class Provisioner:
    """How one resource kind is looked up, created, and which binding field it fills."""

    kind: str
    prefix: str  # step key prefix
    noun: str
    field: str  # the binding's config field the resource fills (id, bucket_name, database_id)
    output: str  # the create step's output holding that value
    live_type: str  # binding type in the live Worker's settings
    live_field: str  # that binding's field holding the value
    reuse_live: Callable[[BindingSpec], bool]  # whether the live Worker's binding may be reused as is
    create: Callable[[CloudflareClient, str, CreateResource], dict[str, Any]]
    find: Callable[[CloudflareClient, str, CreateResource], dict[str, Any] | None]


def _create_kv(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any]:
    ns = kv_api.create_namespace(client, account, step.name)
    return {"id": ns.id, "title": ns.title, "binding": step.binding}


def _find_kv(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any] | None:
    ns = next((n for n in kv_api.list_namespaces(client, account) if n.title == step.name), None)
    return {"id": ns.id, "title": ns.title, "binding": step.binding} if ns else None


def _create_r2(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any]:
    r2_api.create_bucket(client, account, step.name, jurisdiction=step.jurisdiction)
    return {"name": step.name, "binding": step.binding}


def _find_r2(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any] | None:
    found = r2_api.get_bucket(client, account, step.name, jurisdiction=step.jurisdiction)
    return {"name": found.name, "binding": step.binding} if found else None


def _create_d1(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any]:
    db = d1_api.create_database(client, account, step.name)
    return {"uuid": db.uuid, "name": db.name, "binding": step.binding}


def _find_d1(client: CloudflareClient, account: str, step: CreateResource) -> dict[str, Any] | None:
    db = d1_api.get_database(client, account, step.name)
    return {"uuid": db.uuid, "name": db.name, "binding": step.binding} if db else None


PROVISIONERS: dict[str, Provisioner] = {p.kind: p for p in (
    Provisioner("kv_namespaces", "kv", "KV namespace", "id", "id", "kv_namespace", "namespace_id",
                reuse_live=lambda spec: spec.get("title") is None, create=_create_kv, find=_find_kv),
    Provisioner("r2_buckets", "r2", "R2 bucket", "bucket_name", "name", "r2_bucket", "bucket_name",
                reuse_live=lambda spec: spec.get("bucket_name") is None, create=_create_r2, find=_find_r2),
    Provisioner("d1_databases", "d1", "D1 database", "database_id", "uuid", "d1", "id",
                reuse_live=lambda spec: spec.get("database_name") is None, create=_create_d1, find=_find_d1),
)}


def live_values(settings: Any, binding_type: str, field: str) -> dict[str, str]:
    """binding name -> `field` of the live Worker's bindings of one type (empty for a new Worker)."""
    if settings is None:
        return {}
    return {b["name"]: str(b[field]) for b in settings.bindings if b.get("type") == binding_type and b.get(field)}


class ProvisionConcern(Concern):
    """One provisioned resource kind (see the module docstring)."""

    step_types = (CreateResource,)

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.key = f"provision:{kind}"
        self.spec = PROVISIONERS[kind]

    def owns(self, step: object) -> bool:
        return isinstance(step, CreateResource) and step.kind == self.kind

    def _open(self, project: Any) -> list[BindingSpec]:
        """The bindings of this kind whose resource is not pinned in worker.toml."""
        field = self.spec.field
        pinned_by_name = self.kind == "r2_buckets"  # an R2 binding names its bucket: still check it exists
        return [b for b in project.bindings_of(self.kind) if b.get(field) is None or pinned_by_name]

    def read_after(self, reader: Reader, snapshot: RemoteSnapshot, first: Any) -> Any:
        """The resources found by name, for the bindings the live Worker cannot lend theirs."""
        live = live_values(snapshot.settings, self.spec.live_type, self.spec.live_field)
        lookups = {}
        for spec in self._open(reader.project):
            name = reader.project.resource_name(spec)
            if self.spec.reuse_live(spec) and spec.name in live:
                continue
            if self.kind == "r2_buckets" and live.get(spec.name) == name:
                continue  # the live Worker has this very bucket bound: it exists
            lookups[spec.name] = name
        if not lookups:
            return {}
        if self.kind == "kv_namespaces":
            titles = {ns.title: ns.id for ns in kv_api.list_namespaces(reader.client, reader.account_id)}
            return {b: ({"id": titles[n]} if n in titles else None) for b, n in lookups.items()}
        found: dict[str, dict[str, Any] | None] = {}
        for spec in self._open(reader.project):
            if spec.name in lookups:
                step = CreateResource(self.kind, spec.name, lookups[spec.name], spec.get("jurisdiction"))
                found[spec.name] = self.spec.find(reader.client, reader.account_id, step)
        return found

    def plan(self, p: Planning) -> None:
        snapshot = p.snapshot
        live = live_values(snapshot.settings if snapshot else None, self.spec.live_type, self.spec.live_field)
        found: dict[str, Any] = p.read(self.key, {}) or {}
        for spec in self._open(p.project):
            name = p.project.resource_name(spec)
            field = self.spec.field
            if spec.get(field) is not None and self.kind != "r2_buckets":
                continue
            if snapshot is not None and self.spec.reuse_live(spec) and spec.name in live:
                value = live[spec.name]
                p.resolved.setdefault(spec.name, {})[field] = value
                p.write_back.append((self.kind, spec.name, {field: value}))
                p.notes.append(f"{self.spec.noun} for {spec.name}: {value} (already bound to the worker)")
                continue
            if snapshot is not None and self.kind == "r2_buckets" and live.get(spec.name) == name:
                p.resolved.setdefault(spec.name, {})[field] = name
                continue
            hit = found.get(spec.name) if snapshot is not None else None
            if hit is not None:
                value = hit[self.spec.output]
                p.resolved.setdefault(spec.name, {})[field] = value
                if spec.get(field) is None:
                    p.write_back.append((self.kind, spec.name, {field: value}))
                    p.notes.append(f"{self.spec.noun} for {spec.name}: found {name!r} ({value})")
                continue
            step = CreateResource(self.kind, spec.name, name, spec.get("jurisdiction"))
            p.steps.append(step)
            if self.kind == "r2_buckets":  # the name is known now; the bucket only has to exist first
                p.resolved.setdefault(spec.name, {})[field] = name
            else:
                p.pending.append((spec.name, field, Ref(step.key, self.spec.output)))
        if snapshot is None and self._open(p.project):
            p.skipped_checks.append(f"existing {self.spec.noun}s by name (bindings without one are planned as created)")

    def execute(self, step: CreateResource, run: Run) -> dict[str, Any]:
        out = self.spec.create(run.client, run.account_id, step)
        return {**out, "write_back": self._write_back(run, step, out)}

    def _write_back(self, run: Run, step: CreateResource, out: dict[str, Any]) -> dict[str, Any]:
        """What worker.toml gets for a created resource (nothing for a bucket it already names)."""
        spec = next((b for b in run.project.bindings_of(self.kind) if b.name == step.binding), None)
        if spec is not None and spec.get(self.spec.field) is not None:
            return {}
        return {self.spec.field: out[self.spec.output]}

    def recover(self, step: CreateResource, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        found = self.spec.find(run.client, run.account_id, step)
        return {**found, "write_back": self._write_back(run, step, found)} if found else None
