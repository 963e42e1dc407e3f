"""Plain values for planner and upload-form tests: a project, a bundle, a snapshot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cfworker.api.kv import KVNamespace
from cfworker.api.routes import Route
from cfworker.api.workers import LiveDeployment, ScriptSettings, Subdomain
from cfworker.api.zones import Zone
from cfworker.bindings.kind import BindingSpec
from cfworker.bindings.table import kind
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import Project, RouteSpec, VarSpec
from cfworker.deploy.concern import RemoteSnapshot
from cfworker.deploy.concerns.domains import DomainsRead
from cfworker.deploy.concerns.routes import RoutesRead
from cfworker.upload import build_upload_form, hash_annotation

ACCOUNT = "a" * 32
ZONE_ID = "b" * 32
KV_ID = "c" * 32


def project(**changes: Any) -> Project:
    base = Project(
        config_path=Path("/p/worker.toml"), root=Path("/p"), name="app", main=Path("/p/src/index.js"),
        compatibility_date="2025-06-01", vars=(VarSpec("GREETING", "hi"),),
    )
    if "kv_namespaces" in changes:  # the pre-issue-14 keyword: KV bindings
        changes["bindings"] = tuple(changes.pop("kv_namespaces")) + tuple(changes.pop("bindings", ()))
    return replace(base, **changes)


def binding(kind_key: str, name: str, **values: Any) -> BindingSpec:
    """A binding as the loader makes it: its name under the kind's name key, then the given fields."""
    fields = ((kind(kind_key).name_key, name), *((k, v) for k, v in values.items() if v is not None))
    return BindingSpec(kind_key, name, fields)


def KVNamespaceSpec(name: str, id: str | None = None, title: str | None = None) -> BindingSpec:  # noqa: N802
    """A [[kv_namespaces]] binding (the name the tests used before the binding table)."""
    return binding("kv_namespaces", name, id=id, title=title)


def kv_project(*specs: BindingSpec, **changes: Any) -> Project:
    """project() with these bindings."""
    return project(bindings=tuple(specs), **changes)


def bundle(code: bytes = b"export default { fetch() { return new Response('hi') } }") -> Bundle:
    return Bundle(main_module="index.js", modules=(Module("index.js", code, "esm"),), sourcemap=None, outdir=Path("/p/dist"))


VERSION_ID = "3f2a9c1e-0000-4000-8000-000000000001"


_READ_KEYS = {"subdomain", "account_subdomain", "schedules", "routes", "script_routes", "domains", "domain_dns",
              "kv_namespaces", "secrets", "dns_records", "read_notes", "migration_tag", "reads"}


def _with_reads(p: Project, base: RemoteSnapshot, changes: dict[str, Any]) -> RemoteSnapshot:
    """Apply snapshot changes, the per-concern reads given by their pre-issue-14 names.

    subdomain/account_subdomain -> "workers_dev"; schedules -> "crons"; routes/script_routes ->
    "routes"; domains/domain_dns -> "domains"; kv_namespaces (the account's namespaces) ->
    "provision:kv_namespaces" (what finding by title gives for each binding without id);
    secrets -> "script"; dns_records -> "dns"; migration_tag -> "migrations"; read_notes -> notes.
    """
    reads = dict(base.reads)
    wd = dict(reads.get("workers_dev") or {})
    if "subdomain" in changes:
        wd["script"] = changes.pop("subdomain")
    if "account_subdomain" in changes:
        wd["account"] = changes.pop("account_subdomain")
    reads["workers_dev"] = wd
    if "schedules" in changes:
        reads["crons"] = changes.pop("schedules")
    old_routes: RoutesRead = reads.get("routes") or RoutesRead((), {})
    if "routes" in changes or "script_routes" in changes:
        reads["routes"] = RoutesRead(changes.pop("script_routes", old_routes.script_routes),
                                     dict(changes.pop("routes", old_routes.by_zone)), old_routes.zones)
    old_domains: DomainsRead = reads.get("domains") or DomainsRead((), {})
    if "domains" in changes or "domain_dns" in changes:
        reads["domains"] = DomainsRead(tuple(changes.pop("domains", old_domains.domains) or ()),
                                       dict(changes.pop("domain_dns", old_domains.dns)))
    if "kv_namespaces" in changes:
        titles = {ns.title: ns.id for ns in changes.pop("kv_namespaces") or ()}
        reads["provision:kv_namespaces"] = {
            spec.name: ({"id": titles[p.resource_name(spec)]} if p.resource_name(spec) in titles else None)
            for spec in p.bindings_of("kv_namespaces") if not spec.get("id")}
    if "secrets" in changes:
        reads["script"] = {"secrets": changes.pop("secrets")}
    if "dns_records" in changes:
        reads["dns"] = changes.pop("dns_records")
    if "migration_tag" in changes:
        reads["migrations"] = {"tag": changes.pop("migration_tag")}
    reads.update(changes.pop("reads", {}))
    if "read_notes" in changes:
        changes["notes"] = changes.pop("read_notes")
    return replace(base, reads=reads, **changes)


def deployed(p: Project, b: Bundle, *, kv_ids: dict[str, str] | None = None, **changes: Any) -> RemoteSnapshot:
    """A snapshot of a script deployed by cfworker from exactly this project and bundle."""
    resolved = {name: {"id": i} for name, i in (kv_ids or {}).items()}
    form = build_upload_form(p, b, resolved)
    settings = ScriptSettings(bindings=tuple(form.metadata["bindings"]), compatibility_date=p.compatibility_date,
                              tags=tuple(p.tags))
    base = RemoteSnapshot(account_id=ACCOUNT, settings=settings, zones=(Zone(ZONE_ID, "example.com"),),
                          deployments=(LiveDeployment("dep-1", ((VERSION_ID, 100.0),),
                                                      {"workers/message": hash_annotation(form.content_hash)},
                                                      source="api"),))
    defaults: dict[str, Any] = {"subdomain": Subdomain(p.wants_workers_dev), "account_subdomain": "acme",
                                "schedules": p.crons, "routes": {}, "script_routes": (), "domains": ()}
    return _with_reads(p, base, {**defaults, **changes})


def foreign(snapshot: RemoteSnapshot, source: str = "wrangler", *, trigger: str = "upload",
            versions: tuple[tuple[str, float], ...] = (("4b7d0e2f-0000-4000-8000-000000000002", 100.0),)
            ) -> RemoteSnapshot:
    """The same snapshot after another deployment without cfworker's annotation went live on top."""
    dep = LiveDeployment("dep-2", versions, {"workers/triggered_by": trigger}, source=source,
                         author_email="dev@example.com", created_on="2026-11-30T10:00:00Z")
    return replace(snapshot, deployments=(dep, *(snapshot.deployments or ())))


def new_script(p: Project | None = None, **changes: Any) -> RemoteSnapshot:
    """A snapshot of an account where the script does not exist yet."""
    base = RemoteSnapshot(account_id=ACCOUNT, settings=None, zones=(Zone(ZONE_ID, "example.com"),))
    return _with_reads(p or project(), base, {"account_subdomain": "acme", "routes": {}, **changes})


def with_reads(p: Project, snapshot: RemoteSnapshot, **changes: Any) -> RemoteSnapshot:
    """`replace` for snapshots, accepting the reads by their pre-issue-14 names (see _with_reads)."""
    return _with_reads(p, snapshot, changes)


__all__ = ["ACCOUNT", "KV_ID", "VERSION_ID", "ZONE_ID", "KVNamespace", "KVNamespaceSpec", "Route", "RouteSpec",
           "VarSpec", "binding", "bundle", "deployed", "foreign", "kv_project", "new_script", "project", "with_reads"]
