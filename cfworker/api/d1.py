"""D1 databases: find one by name (or id), create one (deploy-time provisioning of d1_databases).

`GET /accounts/{a}/d1/database/{name or uuid}` answers 7404 when there is none; a create
answers `{uuid, name}` (research notes A4; workers-sdk provision-bindings.ts D1Handler).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError

DATABASE_NOT_FOUND = 7404


@dataclass(frozen=True, slots=True)
class Database:
    uuid: str
    name: str


def get_database(client: CloudflareClient, account_id: str, name_or_id: str) -> Database | None:
    """The database with this name (or uuid), or None."""
    try:
        result = client.call_object("GET", f"/accounts/{account_id}/d1/database/{quote(name_or_id, safe='')}",
                                    required=("uuid",))
    except CloudflareAPIError as exc:
        if exc.has_code(DATABASE_NOT_FOUND) or (exc.status == 404 and not exc.codes):
            return None
        raise
    return Database(str(result["uuid"]), str(result.get("name") or name_or_id))


def create_database(client: CloudflareClient, account_id: str, name: str) -> Database:
    """Create a database (7502 when the name is taken). A POST: never repeated blindly."""
    result = client.call_object("POST", f"/accounts/{account_id}/d1/database", json={"name": name},
                                required=("uuid",))
    return Database(str(result["uuid"]), str(result.get("name") or name))
