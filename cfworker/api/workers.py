"""Workers scripts: upload, settings, workers.dev subdomain, cron schedules, secrets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError

SCRIPT_NOT_FOUND = (10007, 10090)


def _is_not_found(exc: CloudflareAPIError) -> bool:
    """A missing script (10007), not a bad account id in the path (404 with 7003)."""
    return exc.has_code(*SCRIPT_NOT_FOUND) or (exc.status == 404 and not exc.codes)


def _script(account_id: str, name: str) -> str:
    return f"/accounts/{account_id}/workers/scripts/{quote(name, safe='')}"


@dataclass(frozen=True, slots=True)
class ScriptSettings:
    """What `GET .../settings` says about a deployed script: bindings, dates, tags."""

    bindings: tuple[dict[str, Any], ...] = ()
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    logpush: bool | None = None
    usage_model: str | None = None
    placement: dict[str, Any] | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ScriptSettings:
        return cls(
            bindings=tuple(b for b in d.get("bindings") or () if isinstance(b, dict)),
            compatibility_date=d.get("compatibility_date"),
            compatibility_flags=tuple(d.get("compatibility_flags") or ()),
            tags=tuple(d.get("tags") or ()),
            logpush=d.get("logpush"),
            usage_model=d.get("usage_model"),
            placement=d.get("placement") or None,
        )


@dataclass(frozen=True, slots=True)
class UploadResult:
    """The fields of an upload answer that the summary shows."""

    id: str
    etag: str | None = None
    deployment_id: str | None = None
    startup_time_ms: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> UploadResult:
        return cls(id=str(d.get("id", "")), etag=d.get("etag"), deployment_id=d.get("deployment_id"),
                   startup_time_ms=d.get("startup_time_ms"))


@dataclass(frozen=True, slots=True)
class Subdomain:
    """A script's workers.dev switch."""

    enabled: bool
    previews_enabled: bool | None = None


def get_settings(client: CloudflareClient, account_id: str, name: str) -> ScriptSettings | None:
    """The live script's settings, or None when the script does not exist yet."""
    try:
        return ScriptSettings.from_api(client.call("GET", f"{_script(account_id, name)}/settings") or {})
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise


def upload_script(client: CloudflareClient, account_id: str, name: str,
                  parts: Sequence[tuple[str, tuple[str | None, bytes, str]]]) -> UploadResult:
    """Upload (create or replace) a module Worker as multipart form data; PUT, so safe to retry."""
    return UploadResult.from_api(client.call("PUT", _script(account_id, name), files=list(parts)) or {})


def delete_script(client: CloudflareClient, account_id: str, name: str) -> None:
    """Delete a Worker script."""
    client.call("DELETE", _script(account_id, name))


def get_subdomain(client: CloudflareClient, account_id: str, name: str) -> Subdomain | None:
    """Whether the script answers on workers.dev; None when the script does not exist."""
    try:
        d = client.call("GET", f"{_script(account_id, name)}/subdomain") or {}
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return Subdomain(bool(d.get("enabled")), d.get("previews_enabled"))


def set_subdomain(client: CloudflareClient, account_id: str, name: str, *, enabled: bool,
                  previews_enabled: bool | None = None) -> Subdomain:
    """Turn the script's workers.dev route on or off (POST, but idempotent by content)."""
    body: dict[str, Any] = {"enabled": enabled}
    if previews_enabled is not None:
        body["previews_enabled"] = previews_enabled
    d = client.call("POST", f"{_script(account_id, name)}/subdomain", json=body) or {}
    return Subdomain(bool(d.get("enabled", enabled)), d.get("previews_enabled"))


def get_account_subdomain(client: CloudflareClient, account_id: str) -> str | None:
    """The account's `<name>.workers.dev` name, or None when it has none yet."""
    try:
        d = client.call("GET", f"/accounts/{account_id}/workers/subdomain") or {}
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return d.get("subdomain") or d.get("name") or None


def get_schedules(client: CloudflareClient, account_id: str, name: str) -> tuple[str, ...] | None:
    """The script's cron expressions, or None when the script does not exist."""
    try:
        d = client.call("GET", f"{_script(account_id, name)}/schedules") or {}
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return tuple(s["cron"] for s in d.get("schedules") or () if "cron" in s)


def put_schedules(client: CloudflareClient, account_id: str, name: str, crons: Sequence[str]) -> None:
    """Replace the script's cron triggers (an empty list clears them)."""
    client.call("PUT", f"{_script(account_id, name)}/schedules", json=[{"cron": c} for c in crons])


def list_secrets(client: CloudflareClient, account_id: str, name: str) -> list[str] | None:
    """Names of the script's secrets (values are never returned), or None without a script."""
    try:
        items = client.call("GET", f"{_script(account_id, name)}/secrets") or []
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return sorted(str(i["name"]) for i in items if "name" in i)


def put_secret(client: CloudflareClient, account_id: str, name: str, secret_name: str, value: str) -> None:
    """Create or replace one secret (a new version of the script is deployed with it)."""
    client.call("PUT", f"{_script(account_id, name)}/secrets",
                json={"name": secret_name, "text": value, "type": "secret_text"})


def delete_secret(client: CloudflareClient, account_id: str, name: str, secret_name: str) -> None:
    """Delete one secret by name."""
    client.call("DELETE", f"{_script(account_id, name)}/secrets/{quote(secret_name, safe='')}")
