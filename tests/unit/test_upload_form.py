"""build_upload_form: metadata, binding shapes, parts and the content hash, as plain values."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import VarSpec
from cfworker.upload import build_upload_form, hash_annotation, hash_from_annotations
from tests.unit.deploy.helpers import KV_ID, KVNamespaceSpec, binding, bundle, project


def test_metadata_has_main_module_date_bindings_and_keeps_secrets() -> None:
    """The metadata part names the main module, the date, and keeps secret bindings across deploys."""
    form = build_upload_form(project(), bundle())
    meta = form.metadata
    assert meta["main_module"] == "index.js"
    assert meta["compatibility_date"] == "2025-06-01"
    assert "compatibility_flags" not in meta
    assert meta["keep_bindings"] == ["secret_text", "secret_key"]
    assert meta["bindings"] == [{"type": "plain_text", "name": "GREETING", "text": "hi"}]


def test_every_binding_kind_has_wranglers_shape() -> None:
    """Each configured binding kind becomes exactly the JSON shape Cloudflare documents."""
    p = project(
        vars=(VarSpec("TEXT", "v"), VarSpec("CONF", {"a": [1, 2]}), VarSpec("N", 3)),
        bindings=(KVNamespaceSpec("CACHE", id=KV_ID), KVNamespaceSpec("NEW"),
                  binding("r2_buckets", "B", bucket_name="bucket", jurisdiction="eu"),
                  binding("d1_databases", "DB", database_id="d1-uuid", database_name="db"),
                  binding("services", "AUTH", service="auth", environment="production", entrypoint="Api"),
                  binding("durable_objects.bindings", "ROOM", class_name="Room", script_name="rooms"),
                  binding("queues.producers", "Q", queue="jobs", delivery_delay=5),
                  binding("analytics_engine_datasets", "AE", dataset="events")),
    )
    form = build_upload_form(p, bundle(), {"NEW": {"id": "d" * 32}})
    assert form.metadata["bindings"] == [
        {"type": "plain_text", "name": "TEXT", "text": "v"},
        {"type": "json", "name": "CONF", "json": {"a": [1, 2]}},
        {"type": "json", "name": "N", "json": 3},
        {"type": "kv_namespace", "name": "CACHE", "namespace_id": KV_ID},
        {"type": "kv_namespace", "name": "NEW", "namespace_id": "d" * 32},
        {"type": "r2_bucket", "name": "B", "bucket_name": "bucket", "jurisdiction": "eu"},
        {"type": "d1", "name": "DB", "id": "d1-uuid"},
        {"type": "service", "name": "AUTH", "service": "auth", "environment": "production", "entrypoint": "Api"},
        {"type": "durable_object_namespace", "name": "ROOM", "class_name": "Room", "script_name": "rooms"},
        {"type": "queue", "name": "Q", "queue_name": "jobs", "delivery_delay": 5},
        {"type": "analytics_engine", "name": "AE", "dataset": "events"},
    ]


def test_parts_are_named_by_module_with_content_types() -> None:
    """metadata comes first without a filename; each module part is name == filename with its type."""
    b = Bundle(
        main_module="index.js",
        modules=(Module("index.js", b"import t from './abc-a.txt'", "esm"), Module("abc-a.txt", b"hello", "text"),
                 Module("abc-m.wasm", b"\0asm", "wasm"), Module("abc-d.bin", b"\1", "data")),
        sourcemap=Module("index.js.map", b"{}", "sourcemap"), outdir=Path("/p/dist"),
    )
    form = build_upload_form(project(), b)
    assert form.parts[0][0] == "metadata" and form.parts[0][1][0] is None and form.parts[0][1][2] == "application/json"
    assert json.loads(form.parts[0][1][1]) == form.metadata
    assert [(n, fn, ct) for n, (fn, _c, ct) in form.parts[1:]] == [
        ("index.js", "index.js", "application/javascript+module"),
        ("abc-a.txt", "abc-a.txt", "text/plain"),
        ("abc-m.wasm", "abc-m.wasm", "application/wasm"),
        ("abc-d.bin", "abc-d.bin", "application/octet-stream"),
        ("index.js.map", "index.js.map", "application/source-map"),
    ]


def test_optional_settings_sent_only_when_configured() -> None:
    """placement, usage_model and keep_vars appear only when set; non-versioned settings never (own step)."""
    p = project(logpush=True, observability={"enabled": True}, placement={"mode": "smart"},
                usage_model="standard", tags=("team",), keep_vars=True,
                compatibility_flags=("nodejs_compat",))
    meta = build_upload_form(p, bundle()).metadata
    assert "logpush" not in meta and "observability" not in meta
    assert meta["placement"] == {"mode": "smart"} and meta["usage_model"] == "standard"
    assert "tags" not in meta and meta["compatibility_flags"] == ["nodejs_compat"]
    assert meta["keep_bindings"] == ["secret_text", "secret_key", "plain_text", "json"]
    assert "placement" not in build_upload_form(project(placement={"mode": "off"}), bundle()).metadata


def test_redundant_nodejs_compat_flag_dropped_from_default_on_date() -> None:
    """From 2026-08-04 nodejs_compat is the default and is not sent (workerd rejects it as redundant)."""
    p = project(compatibility_date="2026-09-01", compatibility_flags=("nodejs_compat", "streams_enable_constructors"))
    meta = build_upload_form(p, bundle()).metadata
    assert meta["compatibility_flags"] == ["streams_enable_constructors"]
    assert p.nodejs_compat
    assert not project(compatibility_date="2026-09-01", compatibility_flags=("no_nodejs_compat",)).nodejs_compat


def test_content_hash_is_stable_and_tracks_every_input() -> None:
    """Same inputs give the same hash; a var, a date or a byte of code changes it."""
    p, b = project(), bundle()
    h = build_upload_form(p, b).content_hash
    assert build_upload_form(p, b).content_hash == h
    assert build_upload_form(replace(p, vars=(VarSpec("GREETING", "yo"),)), b).content_hash != h
    assert build_upload_form(replace(p, compatibility_date="2025-07-01"), b).content_hash != h
    assert build_upload_form(p, bundle(b"export default {}")).content_hash != h
    assert hash_annotation(h) == "cfw:" + h[:16]
    assert hash_from_annotations({"workers/message": hash_annotation(h)}) == h[:16]
    assert hash_from_annotations({"workers/message": f"release 7 cfw:{h[:16]}"}) == h[:16]
    assert hash_from_annotations({"workers/tag": "v1.2.3"}) is None
