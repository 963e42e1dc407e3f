"""Plain values for planner and upload-form tests: a project, a bundle, a snapshot."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from cfworker.api.routes import Route
from cfworker.api.workers import ScriptSettings, Subdomain
from cfworker.api.zones import Zone
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import KVNamespaceSpec, Project, RouteSpec, VarSpec
from cfworker.deploy.remote import RemoteSnapshot
from cfworker.upload import build_upload_form

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


def deployed(p: Project, b: Bundle, *, kv_ids: dict[str, str] | None = None, **changes: Any) -> RemoteSnapshot:
    """A snapshot of a script deployed from exactly this project and bundle."""
    form = build_upload_form(p, b, kv_ids or {})
    settings = ScriptSettings(bindings=tuple(form.metadata["bindings"]), compatibility_date=p.compatibility_date,
                              tags=tuple(form.metadata["tags"]))
    base = RemoteSnapshot(account_id=ACCOUNT, settings=settings, subdomain=Subdomain(p.wants_workers_dev),
                          account_subdomain="acme", schedules=p.crons,
                          zones=(Zone(ZONE_ID, "example.com"),), routes={})
    return replace(base, **changes)


def new_script(**changes: Any) -> RemoteSnapshot:
    base = RemoteSnapshot(account_id=ACCOUNT, settings=None, account_subdomain="acme",
                          zones=(Zone(ZONE_ID, "example.com"),), routes={})
    return replace(base, **changes)


__all__ = ["ACCOUNT", "KV_ID", "ZONE_ID", "KVNamespaceSpec", "Route", "RouteSpec", "VarSpec", "bundle",
           "deployed", "new_script", "project"]
