"""Workers KV: namespaces and keys."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient


def _ns(account_id: str) -> str:
    return f"/accounts/{account_id}/storage/kv/namespaces"


@dataclass(frozen=True, slots=True)
class KVNamespace:
    """A KV namespace: id and title."""

    id: str
    title: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> KVNamespace:
        return cls(id=str(d["id"]), title=str(d.get("title", "")))


@dataclass(frozen=True, slots=True)
class KVKey:
    """A key listed from a namespace."""

    name: str
    expiration: int | None = None
    metadata: Any = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> KVKey:
        return cls(name=str(d["name"]), expiration=d.get("expiration"), metadata=d.get("metadata"))


def list_namespaces(client: CloudflareClient, account_id: str) -> list[KVNamespace]:
    """Every KV namespace of the account (page-paginated; `page` is always sent)."""
    return [KVNamespace.from_api(d) for d in client.paginate_pages(_ns(account_id), per_page=100)]


def create_namespace(client: CloudflareClient, account_id: str, title: str) -> KVNamespace:
    """Create a namespace. A POST: a duplicate title fails with 10014, so callers look up first."""
    return KVNamespace.from_api(client.call_object("POST", _ns(account_id), json={"title": title}))


def delete_namespace(client: CloudflareClient, account_id: str, namespace_id: str) -> None:
    """Delete a namespace and all its keys."""
    client.call("DELETE", f"{_ns(account_id)}/{namespace_id}")


def list_keys(client: CloudflareClient, account_id: str, namespace_id: str, *, prefix: str | None = None) -> Iterator[KVKey]:
    """Every key of a namespace (cursor-paginated)."""
    params = {"prefix": prefix} if prefix else None
    for d in client.paginate_cursor(f"{_ns(account_id)}/{namespace_id}/keys", params=params, limit=1000):
        yield KVKey.from_api(d)


def get_value(client: CloudflareClient, account_id: str, namespace_id: str, key: str) -> bytes | None:
    """A key's raw value, or None when the key does not exist."""
    resp = client.call_raw("GET", f"{_ns(account_id)}/{namespace_id}/values/{quote(key, safe='')}", allow_status=(404,))
    return None if resp.status_code == 404 else resp.content


def put_value(client: CloudflareClient, account_id: str, namespace_id: str, key: str, value: bytes,
              *, expiration_ttl: int | None = None, metadata: Any = None) -> None:
    """Write one key (multipart with a value part and an optional metadata part)."""
    import json

    params = {"expiration_ttl": expiration_ttl} if expiration_ttl else None
    files: list[tuple[str, tuple[str | None, bytes, str]]] = [("value", (None, value, "application/octet-stream"))]
    files.append(("metadata", (None, json.dumps(metadata if metadata is not None else {}).encode(), "application/json")))
    client.call("PUT", f"{_ns(account_id)}/{namespace_id}/values/{quote(key, safe='')}", params=params, files=files)


def delete_value(client: CloudflareClient, account_id: str, namespace_id: str, key: str) -> None:
    """Delete one key."""
    client.call("DELETE", f"{_ns(account_id)}/{namespace_id}/values/{quote(key, safe='')}")


def bulk_put(client: CloudflareClient, account_id: str, namespace_id: str, items: Sequence[dict[str, Any]]) -> None:
    """Write up to 10,000 keys in one request: items are {key, value, expiration_ttl?, metadata?, base64?}."""
    client.call("PUT", f"{_ns(account_id)}/{namespace_id}/bulk", json=list(items))
