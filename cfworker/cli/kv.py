"""`cfworker kv namespace ...` and `cfworker kv key ...`: Workers KV from the command line.

A namespace is chosen with --namespace-id, or with --binding NAME from worker.toml (its
`id`, else the namespace found by the binding's title, the same rule deploy uses).
`namespace create` is idempotent: an existing title is reported, not created twice.
"""

from __future__ import annotations

import base64
import json
import sys
from pathlib import Path
from typing import Any

import click

from cfworker.cli import account_option, cli, debug_option, json_option, pass_app, project_options
from cfworker.cli.context import AppContext
from cfworker.errors import UserError

_HEX32 = set("0123456789abcdef")


@cli.group()
def kv() -> None:
    """Manage Workers KV namespaces and keys."""


@kv.group("namespace")
def namespace() -> None:
    """List, create and delete KV namespaces."""


@kv.group("key")
def key() -> None:
    """Read and write keys of a KV namespace."""


@kv.group("bulk")
def bulk() -> None:
    """Write many keys at once from a JSON file."""


def _session(app: AppContext, *, with_project: bool = False) -> tuple[Any, str, Any]:
    project = app.load_project() if with_project else None
    settings = app.settings(project=project)
    for warning in settings.warnings:
        app.ui.warn(warning)
    client = app.make_client(settings)
    return client, app.account_id(settings, client), project


def _namespace_options(f: Any) -> Any:
    f = click.option("--binding", "-b", metavar="NAME", help="A [[kv_namespaces]] binding of worker.toml.")(f)
    f = click.option("--namespace-id", metavar="ID", help="The namespace id (32 hex characters).")(f)
    return f


def _resolve_namespace(app: AppContext, namespace_id: str | None, binding: str | None) -> tuple[Any, str, str]:
    """(client, account id, namespace id) from --namespace-id or --binding."""
    from cfworker.api import kv as api

    if (namespace_id is None) == (binding is None):
        raise UserError("choose the namespace with exactly one of --namespace-id or --binding")
    if namespace_id is not None:
        if len(namespace_id) != 32 or not set(namespace_id) <= _HEX32:
            raise UserError(f"--namespace-id {namespace_id!r} is not a namespace id",
                            hint="a namespace id is 32 hexadecimal characters; `cfworker kv namespace list` shows them")
        client, account_id, _ = _session(app)
        return client, account_id, namespace_id
    client, account_id, project = _session(app, with_project=True)
    kvs = project.bindings_of("kv_namespaces")
    spec = next((k for k in kvs if k.name == binding), None)
    if spec is None:
        known = ", ".join(k.name for k in kvs) or "none"
        raise UserError(f"worker.toml has no KV binding {binding!r} (bindings: {known})")
    if spec.get("id"):
        return client, account_id, str(spec.get("id"))
    title = project.resource_name(spec)
    found = next((n for n in api.list_namespaces(client, account_id) if n.title == title), None)
    if found is None:
        raise UserError(f"KV binding {binding} has no id and no namespace titled {title!r} exists yet",
                        hint="run `cfworker deploy` (it creates it) or `cfworker kv namespace create`")
    return client, account_id, found.id


@namespace.command("list")
@account_option
@debug_option
@json_option
@pass_app
def namespace_list(app: AppContext) -> None:
    """List the account's KV namespaces."""
    from cfworker.api import kv as api

    client, account_id, _ = _session(app)
    with client:
        items = api.list_namespaces(client, account_id)
    if app.json_mode:
        app.ui.emit_json([{"id": n.id, "title": n.title} for n in items])
        return
    if not items:
        app.ui.info("No KV namespaces.")
    for ns in items:
        app.ui.info(f"{ns.id}  {ns.title}")


@namespace.command("create")
@click.argument("title")
@account_option
@debug_option
@json_option
@pass_app
def namespace_create(app: AppContext, title: str) -> None:
    """Create a namespace titled TITLE (reports the existing one instead of failing twice)."""
    from cfworker.api import kv as api

    if not title.strip() or len(title) > 512:
        raise UserError("a namespace title must be 1 to 512 characters")
    client, account_id, _ = _session(app)
    with client:
        existing = next((n for n in api.list_namespaces(client, account_id) if n.title == title), None)
        created = existing is None
        ns = api.create_namespace(client, account_id, title) if created else existing
    assert ns is not None
    if app.json_mode:
        app.ui.emit_json({"id": ns.id, "title": ns.title, "created": created})
        return
    verb = "Created" if created else "Already exists:"
    app.ui.success(f"{verb} KV namespace {ns.title!r} with id {ns.id}")
    app.ui.info(f'Add to worker.toml:  [[kv_namespaces]] binding = "..." id = "{ns.id}"')


@namespace.command("delete")
@_namespace_options
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@project_options
@account_option
@debug_option
@json_option
@pass_app
def namespace_delete(app: AppContext, namespace_id: str | None, binding: str | None, yes: bool) -> None:
    """Delete a namespace and every key in it."""
    from cfworker.api import kv as api

    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    app.confirm_destructive(f"Delete KV namespace {ns_id} and all its keys?", yes=yes)
    with client:
        api.delete_namespace(client, account_id, ns_id)
    if app.json_mode:
        app.ui.emit_json({"deleted": ns_id})
    else:
        app.ui.success(f"Deleted KV namespace {ns_id}")


@key.command("put")
@click.argument("name")
@click.argument("value", required=False)
@click.option("--path", "path", type=click.Path(path_type=Path, dir_okay=False),
              help="Read the value from a file instead of VALUE.")
@click.option("--ttl", type=click.IntRange(min=60), help="Expire the key after this many seconds (>= 60).")
@click.option("--metadata", metavar="JSON", help="JSON metadata stored with the key.")
@_namespace_options
@project_options
@account_option
@debug_option
@json_option
@pass_app
def key_put(app: AppContext, name: str, value: str | None, path: Path | None, ttl: int | None,
            metadata: str | None, namespace_id: str | None, binding: str | None) -> None:
    """Write key NAME (VALUE, --path FILE, or stdin when neither is given)."""
    from cfworker.api import kv as api

    if value is not None and path is not None:
        raise UserError("give the value either as VALUE or with --path, not both")
    if path is not None:
        try:
            data = app.path(path).read_bytes()
        except OSError as exc:
            raise UserError(f"cannot read --path {path}: {exc.strerror}") from None
    else:
        data = value.encode() if value is not None else sys.stdin.buffer.read()
    meta = None
    if metadata is not None:
        try:
            meta = json.loads(metadata)
        except json.JSONDecodeError as exc:
            raise UserError(f"--metadata is not valid JSON: {exc.msg} at column {exc.colno}") from None
    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    with client:
        api.put_value(client, account_id, ns_id, name, data, expiration_ttl=ttl, metadata=meta)
    if app.json_mode:
        app.ui.emit_json({"namespace_id": ns_id, "key": name, "bytes": len(data)})
    else:
        app.ui.success(f"Wrote {name} ({len(data)} bytes) to namespace {ns_id}")


@key.command("get")
@click.argument("name")
@_namespace_options
@project_options
@account_option
@debug_option
@pass_app
def key_get(app: AppContext, name: str, namespace_id: str | None, binding: str | None) -> None:
    """Print the value of key NAME (raw bytes to stdout)."""
    from cfworker.api import kv as api

    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    with client:
        data = api.get_value(client, account_id, ns_id, name)
    if data is None:
        raise UserError(f"key {name!r} does not exist in namespace {ns_id}")
    app.ui.write_bytes(data)


@key.command("list")
@click.option("--prefix", help="Only keys starting with this prefix.")
@_namespace_options
@project_options
@account_option
@debug_option
@json_option
@pass_app
def key_list(app: AppContext, prefix: str | None, namespace_id: str | None, binding: str | None) -> None:
    """List the keys of a namespace."""
    from cfworker.api import kv as api

    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    with client:
        keys = list(api.list_keys(client, account_id, ns_id, prefix=prefix))
    if app.json_mode:
        app.ui.emit_json([{"name": k.name, "expiration": k.expiration, "metadata": k.metadata} for k in keys])
        return
    for k in keys:
        app.ui.info(k.name)


@key.command("delete")
@click.argument("name")
@_namespace_options
@project_options
@account_option
@debug_option
@json_option
@pass_app
def key_delete(app: AppContext, name: str, namespace_id: str | None, binding: str | None) -> None:
    """Delete key NAME."""
    from cfworker.api import kv as api

    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    with client:
        api.delete_value(client, account_id, ns_id, name)
    if app.json_mode:
        app.ui.emit_json({"namespace_id": ns_id, "deleted": name})
    else:
        app.ui.success(f"Deleted {name} from namespace {ns_id}")


def parse_bulk_file(path: Path) -> list[dict[str, Any]]:
    """Items for a bulk write: a JSON array of {key, value, expiration_ttl?, metadata?, base64?}."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise UserError(f"{path.name}:{exc.lineno}:{exc.colno}: invalid JSON: {exc.msg}",
                        hint='expected [{"key": "k", "value": "v"}, ...]') from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UserError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    if not isinstance(data, list):
        raise UserError(f"{path}: expected a JSON array of objects, got {type(data).__name__}",
                        hint='expected [{"key": "k", "value": "v"}, ...]')
    items = []
    allowed = {"key", "value", "expiration", "expiration_ttl", "metadata", "base64"}
    for i, item in enumerate(data):
        where = f"{path}: item [{i}]"
        if not isinstance(item, dict):
            raise UserError(f"{where}: expected an object, got {type(item).__name__}")
        unknown = set(item) - allowed
        if unknown:
            raise UserError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}",
                            hint=f"allowed: {', '.join(sorted(allowed))}")
        if not isinstance(item.get("key"), str) or not item["key"]:
            raise UserError(f"{where}.key: expected a non-empty string")
        if not isinstance(item.get("value"), str):
            raise UserError(f"{where}.value: expected a string (use base64 = true for binary values)")
        if item.get("base64"):
            try:
                base64.b64decode(item["value"], validate=True)
            except ValueError:
                raise UserError(f"{where}.value: base64 = true but the value is not valid base64") from None
        ttl = item.get("expiration_ttl")
        if ttl is not None and (not isinstance(ttl, int) or isinstance(ttl, bool) or ttl < 60):
            raise UserError(f"{where}.expiration_ttl: expected an integer >= 60")
        items.append(item)
    return items


@bulk.command("put", epilog="""\b
EXAMPLES
  cfworker kv bulk put data.json --binding CACHE
        data.json: [{"key": "a", "value": "1"}, {"key": "b", "value": "x", "expiration_ttl": 3600}]
  cfworker kv bulk put data.json --namespace-id 0123456789abcdef0123456789abcdef
""")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_namespace_options
@project_options
@account_option
@debug_option
@json_option
@pass_app
def bulk_put(app: AppContext, file: Path, namespace_id: str | None, binding: str | None) -> None:
    """Write many keys from a JSON file: [{"key": ..., "value": ...}, ...]."""
    from cfworker.api import kv as api

    items = parse_bulk_file(app.path(file))
    client, account_id, ns_id = _resolve_namespace(app, namespace_id, binding)
    with client:
        for start in range(0, len(items), 10_000):
            api.bulk_put(client, account_id, ns_id, items[start:start + 10_000])
    if app.json_mode:
        app.ui.emit_json({"namespace_id": ns_id, "written": len(items)})
    else:
        app.ui.success(f"Wrote {len(items)} key(s) to namespace {ns_id}")

