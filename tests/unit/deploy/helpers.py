"""Plain values for planner and upload-form tests: a project, a bundle, a snapshot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cfworker.api.routes import Route
from cfworker.api.workers import LiveDeployment, ScriptSettings, Subdomain
from cfworker.api.zones import Zone
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import KVNamespaceSpec, Project, RouteSpec, VarSpec
from cfworker.deploy.remote import RemoteSnapshot
from cfworker.upload import build_upload_form, hash_annotation

ACCOUNT = "a" * 32
ZONE_ID = "b" * 32
KV_ID = "c" * 32


def project(**changes: Any) -> Project:
    base = Project(
        config_path=Path("/p/worker.toml"), root=Path("/p"), name="app", main=Path("/p/src/index.js"),
        compatibility_date="2025-06-01", vars=(VarSpec("GREETING", "hi"),),
    )
    return replace(base, **changes)


def bundle(code: bytes = b"export default { fetch() { return new Response('hi') } }") -> Bundle:
    return Bundle(main_module="index.js", modules=(Module("index.js", code, "esm"),), sourcemap=None, outdir=Path("/p/dist"))


VERSION_ID = "3f2a9c1e-0000-4000-8000-000000000001"


def deployed(p: Project, b: Bundle, *, kv_ids: dict[str, str] | None = None, **changes: Any) -> RemoteSnapshot:
    """A snapshot of a script deployed by cfworker from exactly this project and bundle."""
    form = build_upload_form(p, b, kv_ids or {})
    settings = ScriptSettings(bindings=tuple(form.metadata["bindings"]), compatibility_date=p.compatibility_date,
                              tags=tuple(p.tags))
    base = RemoteSnapshot(account_id=ACCOUNT, settings=settings, subdomain=Subdomain(p.wants_workers_dev),
                          account_subdomain="acme", schedules=p.crons,
                          zones=(Zone(ZONE_ID, "example.com"),), routes={}, domains=(), script_routes=(),
                          deployments=(LiveDeployment("dep-1", ((VERSION_ID, 100.0),),
                                                      {"workers/message": hash_annotation(form.content_hash)},
                                                      source="api"),))
    return replace(base, **changes)


def foreign(snapshot: RemoteSnapshot, source: str = "wrangler", *, trigger: str = "upload",
            versions: tuple[tuple[str, float], ...] = (("4b7d0e2f-0000-4000-8000-000000000002", 100.0),)
            ) -> RemoteSnapshot:
    """The same snapshot after another deployment without cfworker's annotation went live on top."""
    dep = LiveDeployment("dep-2", versions, {"workers/triggered_by": trigger}, source=source,
                         author_email="dev@example.com", created_on="2026-11-30T10:00:00Z")
    return replace(snapshot, deployments=(dep, *(snapshot.deployments or ())))


def new_script(**changes: Any) -> RemoteSnapshot:
    base = RemoteSnapshot(account_id=ACCOUNT, settings=None, account_subdomain="acme",
                          zones=(Zone(ZONE_ID, "example.com"),), routes={})
    return replace(base, **changes)


__all__ = ["ACCOUNT", "KV_ID", "VERSION_ID", "ZONE_ID", "KVNamespaceSpec", "Route", "RouteSpec", "VarSpec", "bundle",
           "deployed", "foreign", "new_script", "project"]
