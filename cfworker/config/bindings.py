"""Validators for [vars], secrets and every binding table, mapping wrangler keys to specs (pure).

Each `check_*` reads one raw section, reports problems into Diagnostics and returns the
specs from model.py for the entries that raised no new error. Every binding name it accepts is
appended to `names` as (name, key path) so `check_unique_names` can report a name used
twice across kinds (a var and a KV namespace both called CACHE would shadow each other).
"""

from __future__ import annotations

import datetime
import math
import re
from typing import Any

from cfworker.config.checks import (
    describe,
    expect_hex32,
    expect_identifier,
    expect_int,
    expect_list,
    expect_one_of,
    expect_str,
    expect_table,
    expect_tables,
)
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.model import (
    AnalyticsEngineSpec,
    D1DatabaseSpec,
    DurableObjectSpec,
    KVNamespaceSpec,
    QueueProducerSpec,
    R2BucketSpec,
    ServiceSpec,
    VarSpec,
)

Names = list[tuple[str, str]]  # (binding name, key path of that name)

_UUID = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9-]{1,61}[a-z0-9]")
_MISSING = object()


def _required(d: Diagnostics, table: dict[str, Any], path: str, key: str, hint: str) -> Any:
    if key not in table:
        d.error(key_path(path, key), "is required", hint)
        return _MISSING
    return table[key]


def _binding(d: Diagnostics, table: dict[str, Any], path: str, names: Names, *, key: str = "binding",
             example: str = "MY_BINDING") -> str | None:
    value = _required(d, table, path, key, f'add {key} = "{example}"; your code reads it as env.{example}')
    if value is _MISSING:
        return None
    name = expect_identifier(d, key_path(path, key), value)
    if name is not None:
        names.append((name, key_path(path, key)))
    return name


def _optional_str(d: Diagnostics, table: dict[str, Any], path: str, key: str) -> str | None:
    return expect_str(d, key_path(path, key), table[key]) if key in table else None


def check_vars(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[VarSpec, ...] | None:
    """[vars]: strings become plain_text bindings, any other TOML value a json binding."""
    table = expect_table(d, path, value)
    if table is None:
        return None
    out = []
    for name, item in table.items():
        child = key_path(path, name)
        if expect_identifier(d, child, name, what="variable name") is None:
            continue
        problem = _not_json(item)
        if problem:
            d.error(child, f"{problem} cannot be sent as a JSON var", 'quote it to send it as text: "..."')
            continue
        names.append((name, child))
        out.append(VarSpec(name, item))
    return tuple(out)


def _not_json(value: Any) -> str | None:
    """What in a TOML value has no JSON form (dates, nan, inf), or None."""
    if isinstance(value, (datetime.date, datetime.time)):
        return f"the TOML date/time {describe(value)}"
    if isinstance(value, float) and not math.isfinite(value):
        return f"the number {value}"
    if isinstance(value, list):
        return next((p for p in map(_not_json, value) if p), None)
    if isinstance(value, dict):
        return next((p for p in map(_not_json, value.values()) if p), None)
    return None


def check_secrets(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[str, ...] | None:
    """`secrets = ["NAME"]`, or wrangler's `[secrets] required = ["NAME"]`: names that must exist."""
    if isinstance(value, dict):
        if "required" not in value:
            d.error(key_path(path, "required"), "is required in a [secrets] table",
                    'write secrets = ["NAME", ...] or [secrets] required = ["NAME", ...]')
            return None
        path, value = key_path(path, "required"), value["required"]
    items = expect_list(d, path, value, hint='write secrets = ["API_KEY", ...] (names only, never values)')
    if items is None:
        return None
    out: list[str] = []
    for i, item in enumerate(items):
        name = expect_identifier(d, index_path(path, i), item, what="secret name")
        if name is not None and name in out:
            d.warn(index_path(path, i), f'"{name}" is listed twice', "remove the duplicate")
        elif name is not None:
            names.append((name, index_path(path, i)))
            out.append(name)
    return tuple(out)


def check_kv_namespaces(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[KVNamespaceSpec, ...]:
    """[[kv_namespaces]]: binding, optional id (else found by title or created), optional title."""
    out = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        binding = _binding(d, table, item_path, names, example="CACHE")
        namespace_id = None
        if table.get("id") == "":
            d.warn(key_path(item_path, "id"), "is empty, so it is treated as absent",
                   'remove id = ""; cfworker finds the namespace by title or creates it')
        elif "id" in table:
            namespace_id = expect_hex32(
                d, key_path(item_path, "id"), table["id"], what="KV namespace id",
                where="copy the id from the dashboard under Storage & Databases > KV, or remove it to let "
                      "cfworker find or create the namespace by title")
        title = _optional_str(d, table, item_path, "title")
        if len(d.errors) == before and binding:
            out.append(KVNamespaceSpec(binding, namespace_id, title))
    return tuple(out)


def check_r2_buckets(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[R2BucketSpec, ...]:
    """[[r2_buckets]]: binding, bucket_name, optional jurisdiction."""
    out = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        binding = _binding(d, table, item_path, names, example="BUCKET")
        raw = _required(d, table, item_path, "bucket_name", 'add bucket_name = "my-bucket"')
        bucket = None
        if raw is not _MISSING:
            bucket = _bucket_name(d, key_path(item_path, "bucket_name"), raw)
        jurisdiction = None
        if "jurisdiction" in table:
            jurisdiction = expect_one_of(d, key_path(item_path, "jurisdiction"), table["jurisdiction"], ("eu", "fedramp"))
        if len(d.errors) == before and binding and bucket:
            out.append(R2BucketSpec(binding, bucket, jurisdiction))
    return tuple(out)


def _bucket_name(d: Diagnostics, path: str, value: Any) -> str | None:
    text = expect_str(d, path, value)
    if text is not None and not _BUCKET.fullmatch(text):
        d.error(path, f"{describe(text)} is not a valid R2 bucket name",
                "bucket names are 3-63 lowercase letters, digits and dashes, starting and ending with a letter or digit")
        return None
    return text


def check_d1_databases(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[D1DatabaseSpec, ...]:
    """[[d1_databases]]: binding, database_id (a UUID), optional database_name."""
    out = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        binding = _binding(d, table, item_path, names, example="DB")
        where = "copy it from `wrangler d1 list` or the dashboard under Storage & Databases > D1"
        raw = _required(d, table, item_path, "database_id", f'add database_id = "<uuid>"; {where}')
        database_id = None
        if raw is not _MISSING:
            database_id = expect_str(d, key_path(item_path, "database_id"), raw, hint=f"set it to the database's id; {where}")
            if database_id is not None and not _UUID.fullmatch(database_id):
                d.error(key_path(item_path, "database_id"), f"{describe(database_id)} is not a D1 database id, which is a UUID",
                        where)
                database_id = None
        database_name = _optional_str(d, table, item_path, "database_name")
        if len(d.errors) == before and binding and database_id:
            out.append(D1DatabaseSpec(binding, database_id.lower(), database_name))
    return tuple(out)


def check_services(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[ServiceSpec, ...]:
    """[[services]]: binding, service (a Worker name), optional environment and entrypoint."""
    out = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        binding = _binding(d, table, item_path, names, example="AUTH")
        raw = _required(d, table, item_path, "service", 'add service = "other-worker", the Worker to call')
        service = None if raw is _MISSING else expect_str(d, key_path(item_path, "service"), raw)
        environment = _optional_str(d, table, item_path, "environment")
        entrypoint = None
        if "entrypoint" in table:
            entrypoint = expect_identifier(d, key_path(item_path, "entrypoint"), table["entrypoint"], what="entrypoint")
        if len(d.errors) == before and binding and service:
            out.append(ServiceSpec(binding, service, environment, entrypoint))
    return tuple(out)


def check_durable_objects(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[DurableObjectSpec, ...]:
    """[durable_objects] bindings = [{ name, class_name, script_name?, environment? }]."""
    table = expect_table(d, path, value, hint='write [[durable_objects.bindings]] with name = "..." and class_name = "..."')
    if table is None or "bindings" not in table:
        return ()
    out = []
    for item_path, item in expect_tables(d, key_path(path, "bindings"), table["bindings"]):
        before = len(d.errors)
        name = _binding(d, item, item_path, names, key="name", example="COUNTER")
        raw = _required(d, item, item_path, "class_name", 'add class_name = "Counter", the class your module exports')
        class_name = None if raw is _MISSING else expect_identifier(
            d, key_path(item_path, "class_name"), raw, what="class name")
        script_name = _optional_str(d, item, item_path, "script_name")
        environment = _optional_str(d, item, item_path, "environment")
        if len(d.errors) == before and name and class_name:
            out.append(DurableObjectSpec(name, class_name, script_name, environment))
    return tuple(out)


def check_queues(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[QueueProducerSpec, ...]:
    """[[queues.producers]]: binding, queue, optional delivery_delay in seconds (0-43200)."""
    table = expect_table(d, path, value, hint='write [[queues.producers]] with binding = "..." and queue = "..."')
    if table is None or "producers" not in table:
        return ()
    out = []
    for item_path, item in expect_tables(d, key_path(path, "producers"), table["producers"]):
        before = len(d.errors)
        binding = _binding(d, item, item_path, names, example="JOBS")
        raw = _required(d, item, item_path, "queue", 'add queue = "my-queue", the name of the queue')
        queue = None if raw is _MISSING else expect_str(d, key_path(item_path, "queue"), raw)
        delay = None
        if "delivery_delay" in item:
            delay = expect_int(d, key_path(item_path, "delivery_delay"), item["delivery_delay"], low=0, high=43200,
                               hint="use a delay in seconds between 0 and 43200, which is 12 hours")
        if len(d.errors) == before and binding and queue:
            out.append(QueueProducerSpec(binding, queue, delay))
    return tuple(out)


def check_analytics(d: Diagnostics, path: str, value: Any, names: Names) -> tuple[AnalyticsEngineSpec, ...]:
    """[[analytics_engine_datasets]]: binding, optional dataset (default: the binding name)."""
    out = []
    for item_path, table in expect_tables(d, path, value):
        before = len(d.errors)
        binding = _binding(d, table, item_path, names, example="EVENTS")
        dataset = _optional_str(d, table, item_path, "dataset")
        if len(d.errors) == before and binding:
            out.append(AnalyticsEngineSpec(binding, dataset))
    return tuple(out)


def check_unique_names(d: Diagnostics, names: Names) -> None:
    """A binding name used twice (across vars, secrets and every binding kind) is an error."""
    first: dict[str, str] = {}
    for name, path in names:
        if name in first:
            d.error(path, f'binding name "{name}" is already used by {first[name]}',
                    "binding names must be unique across vars, secrets and all bindings; rename one of them")
        else:
            first[name] = path
