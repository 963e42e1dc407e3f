"""Workers scripts: upload, settings, deployments and versions, workers.dev, crons, secrets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError, UnexpectedAnswer

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
    observability: dict[str, Any] | None = None
    tail_consumers: tuple[dict[str, Any], ...] | None = None  # None: the answer does not say
    streaming_tail_consumers: tuple[dict[str, Any], ...] | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> ScriptSettings:
        observability = d.get("observability")
        tails, streaming = d.get("tail_consumers"), d.get("streaming_tail_consumers")
        return cls(
            bindings=tuple(b for b in d.get("bindings") or () if isinstance(b, dict)),
            compatibility_date=d.get("compatibility_date"),
            compatibility_flags=tuple(d.get("compatibility_flags") or ()),
            tags=tuple(d.get("tags") or ()),
            observability=observability if isinstance(observability, dict) else None,
            logpush=d.get("logpush"),
            usage_model=d.get("usage_model"),
            placement=d.get("placement") or None,
            tail_consumers=tuple(t for t in tails if isinstance(t, dict)) if isinstance(tails, list) else None,
            streaming_tail_consumers=tuple(t for t in streaming if isinstance(t, dict))
            if isinstance(streaming, list) else None,
        )


@dataclass(frozen=True, slots=True)
class UploadResult:
    """The fields of an upload answer that the deploy uses and the summary shows."""

    id: str
    version_id: str | None = None  # the PUT answer calls it deployment_id (api-notes §1.3 path B)
    etag: str | None = None
    startup_time_ms: int | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> UploadResult:
        version = d.get("deployment_id")
        return cls(id=str(d.get("id", "")), version_id=str(version) if version else None, etag=d.get("etag"),
                   startup_time_ms=d.get("startup_time_ms"))


@dataclass(frozen=True, slots=True)
class Subdomain:
    """A script's workers.dev switch."""

    enabled: bool
    previews_enabled: bool | None = None


@dataclass(frozen=True, slots=True)
class LiveDeployment:
    """One deployment: which versions serve traffic at what share, its annotations, who made it."""

    id: str
    versions: tuple[tuple[str, float], ...]  # (version id, percentage)
    annotations: dict[str, Any] = field(default_factory=dict)  # workers/message, workers/triggered_by
    source: str | None = None  # "api", "wrangler", "dash", "terraform", ...
    author_email: str | None = None
    created_on: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> LiveDeployment:
        versions = tuple((str(v["version_id"]), float(v.get("percentage", 100)))
                         for v in d.get("versions") or () if isinstance(v, dict) and v.get("version_id"))
        raw = d.get("annotations")
        annotations: dict[str, Any] = dict(raw) if isinstance(raw, dict) else {}
        return cls(id=str(d.get("id", "")), versions=versions, annotations=annotations, source=d.get("source"),
                   author_email=d.get("author_email"), created_on=d.get("created_on"))

    @property
    def single_version(self) -> str | None:
        """The version id when one version takes all traffic, else None (a gradual deployment)."""
        if len(self.versions) == 1 and self.versions[0][1] >= 100:
            return self.versions[0][0]
        return None

    @property
    def triggered_by(self) -> str | None:
        """What made it, as Cloudflare records it: upload, secret, rollback, promotion (read-only annotation)."""
        value = self.annotations.get("workers/triggered_by")
        return str(value) if value else None


def get_settings(client: CloudflareClient, account_id: str, name: str) -> ScriptSettings | None:
    """The live script's settings, or None when the script does not exist yet."""
    try:
        return ScriptSettings.from_api(client.call_object("GET", f"{_script(account_id, name)}/settings", required=()))
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise


def list_deployments(client: CloudflareClient, account_id: str, name: str) -> tuple[LiveDeployment, ...] | None:
    """The script's deployments, newest first: the first one serves traffic now (api-notes §4.4).

    None when the script does not exist.
    """
    try:
        d = client.call_object("GET", f"{_script(account_id, name)}/deployments", required=())
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    items = d.get("deployments")
    if not isinstance(items, list):
        raise UnexpectedAnswer("GET", f"{_script(account_id, name)}/deployments", "no deployments list in the result")
    return tuple(LiveDeployment.from_api(i) for i in items if isinstance(i, dict))


Parts = Sequence[tuple[str, tuple[str | None, bytes, str]]]
# bindings_inherit=strict: an `inherit` binding that cannot be resolved fails the upload instead of
# silently dropping the binding (api-notes §1.3; wrangler sends it on both upload paths).
_STRICT = {"bindings_inherit": "strict"}


def upload_script(client: CloudflareClient, account_id: str, name: str, parts: Parts) -> UploadResult:
    """Create (or replace) a Worker and deploy it at once: PUT, so safe to retry (api-notes §1.3 path B)."""
    path = _script(account_id, name)
    result = client.call("PUT", path, params=_STRICT, files=list(parts))
    up = UploadResult.from_api(result) if isinstance(result, dict) else None
    if up is None or not up.version_id:
        raise UnexpectedAnswer("PUT", path, "the upload answer names no version (deployment_id)")
    return up


def upload_version(client: CloudflareClient, account_id: str, name: str, parts: Parts) -> UploadResult:
    """Upload a new version of an existing Worker without deploying it (api-notes §1.3 path A).

    A POST: never retried after it reached Cloudflare; an orphan version from a lost
    answer is harmless (it serves nothing until deployed).
    """
    path = f"{_script(account_id, name)}/versions"
    result = client.call("POST", path, params=_STRICT, files=list(parts))
    if not isinstance(result, dict) or not result.get("id"):
        raise UnexpectedAnswer("POST", path, "the new version has no id")
    return UploadResult(id=name, version_id=str(result["id"]), startup_time_ms=result.get("startup_time_ms"))


def create_deployment(client: CloudflareClient, account_id: str, name: str, version_id: str, *,
                      message: str | None = None) -> str:
    """Send 100 % of traffic to one version; `message` becomes the deployment's workers/message."""
    path = f"{_script(account_id, name)}/deployments"
    body: dict[str, Any] = {"strategy": "percentage", "versions": [{"version_id": version_id, "percentage": 100}]}
    if message:
        body["annotations"] = {"workers/message": message}
    result = client.call("POST", path, json=body)
    if not isinstance(result, dict) or not result.get("id"):
        raise UnexpectedAnswer("POST", path, "the new deployment has no id")
    return str(result["id"])


def delete_script(client: CloudflareClient, account_id: str, name: str) -> None:
    """Delete a Worker script."""
    client.call("DELETE", _script(account_id, name))


def get_subdomain(client: CloudflareClient, account_id: str, name: str) -> Subdomain | None:
    """Whether the script answers on workers.dev; None when the script does not exist."""
    try:
        d = client.call_object("GET", f"{_script(account_id, name)}/subdomain", required=())
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return Subdomain(bool(d.get("enabled")), d.get("previews_enabled"))


# The API date that makes the subdomain POST honour `previews_enabled`; without it preview URLs
# follow workers.dev (real-api-quirks #9; wrangler sends it, api-notes §0.3).
PREVIEWS_API_DATE = {"Cloudflare-Workers-Script-Api-Date": "2025-08-01"}


def set_subdomain(client: CloudflareClient, account_id: str, name: str, *, enabled: bool,
                  previews_enabled: bool | None = None) -> Subdomain:
    """Turn the script's workers.dev route (and, when given, its preview URLs) on or off."""
    body: dict[str, Any] = {"enabled": enabled}
    headers = None
    if previews_enabled is not None:
        body["previews_enabled"] = previews_enabled
        headers = PREVIEWS_API_DATE
    d = client.call_object("POST", f"{_script(account_id, name)}/subdomain", json=body, headers=headers,
                           required=("enabled",))
    return Subdomain(bool(d.get("enabled", enabled)), d.get("previews_enabled"))


def patch_script_settings(client: CloudflareClient, account_id: str, name: str, changes: dict[str, Any]) -> None:
    """Change non-versioned settings (tags, logpush, observability); no new version is made."""
    client.call("PATCH", f"{_script(account_id, name)}/script-settings", json=changes)


def get_account_subdomain(client: CloudflareClient, account_id: str) -> str | None:
    """The account's `<name>.workers.dev` name, or None when it has none yet."""
    try:
        d = client.call_object("GET", f"/accounts/{account_id}/workers/subdomain", required=())
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return d.get("subdomain") or d.get("name") or None


def get_schedules(client: CloudflareClient, account_id: str, name: str) -> tuple[str, ...] | None:
    """The script's cron expressions, or None when the script does not exist."""
    try:
        d = client.call_object("GET", f"{_script(account_id, name)}/schedules", required=())
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return tuple(str(s["cron"]) for s in d.get("schedules") or () if isinstance(s, dict) and "cron" in s)


def put_schedules(client: CloudflareClient, account_id: str, name: str, crons: Sequence[str]) -> None:
    """Replace the script's cron triggers (an empty list clears them)."""
    client.call("PUT", f"{_script(account_id, name)}/schedules", json=[{"cron": c} for c in crons])


def list_secrets(client: CloudflareClient, account_id: str, name: str) -> list[str] | None:
    """Names of the script's secrets (values are never returned), or None without a script."""
    try:
        items = client.list_single(f"{_script(account_id, name)}/secrets")
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    return sorted(str(i["name"]) for i in items if isinstance(i, dict) and "name" in i)


def put_secret(client: CloudflareClient, account_id: str, name: str, secret_name: str, value: str) -> None:
    """Create or replace one secret (a new version of the script is deployed with it)."""
    client.call("PUT", f"{_script(account_id, name)}/secrets",
                json={"name": secret_name, "text": value, "type": "secret_text"})


BULK_SECRETS_PER_REQUEST = 100  # "up to 100 total operations" (Cloudflare changelog 2026-06-03, bulk secrets API)


def patch_secrets(client: CloudflareClient, account_id: str, name: str, secrets: dict[str, str | None]) -> None:
    """Set (value) or delete (None) up to 100 secrets in one request: one new version, not one per secret.

    A JSON merge patch (`PATCH .../secrets-bulk`, api-notes §4.1); applying it twice gives the
    same result, so the client may retry it. The answer is not read (its shape is undocumented).
    """
    import json

    if len(secrets) > BULK_SECRETS_PER_REQUEST:
        raise ValueError(f"at most {BULK_SECRETS_PER_REQUEST} secrets per request")
    body = {"secrets": {k: (None if v is None else {"name": k, "text": v, "type": "secret_text"})
                        for k, v in secrets.items()}}
    client.call("PATCH", f"{_script(account_id, name)}/secrets-bulk", content=json.dumps(body).encode(),
                headers={"Content-Type": "application/merge-patch+json"})


def delete_secret(client: CloudflareClient, account_id: str, name: str, secret_name: str) -> None:
    """Delete one secret by name."""
    client.call("DELETE", f"{_script(account_id, name)}/secrets/{quote(secret_name, safe='')}")


def get_migration_tag(client: CloudflareClient, account_id: str, name: str) -> str | None:
    """The Durable Object migration tag the live Worker has applied; None without a script or a tag.

    Read from the service (`default_environment.script.migration_tag`), as wrangler does
    (research notes A1.2); 10007/10090 mean no script.
    """
    try:
        d = client.call_object("GET", f"/accounts/{account_id}/workers/services/{quote(name, safe='')}", required=())
    except CloudflareAPIError as exc:
        if _is_not_found(exc):
            return None
        raise
    env = d.get("default_environment")
    script = env.get("script") if isinstance(env, dict) else None
    tag = script.get("migration_tag") if isinstance(script, dict) else None
    return str(tag) if tag else None
