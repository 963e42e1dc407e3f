"""The static-assets endpoints (api-notes §2.5; research-16 A4): an upload session says which files
Cloudflare lacks, buckets of them are uploaded with the session's JWT, and the last bucket's answer
carries the completion JWT the script upload redeems (`metadata.assets.jwt`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cfworker.api.errors import UnexpectedAnswer
from cfworker.redact import REDACTOR

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient


@dataclass(frozen=True, slots=True)
class UploadSession:
    jwt: str
    buckets: tuple[tuple[str, ...], ...]  # hashes to upload, grouped as Cloudflare asks

    @property
    def missing(self) -> int:
        return sum(len(b) for b in self.buckets)


def create_upload_session(client: CloudflareClient, account_id: str, script: str,
                          manifest: Mapping[str, Mapping[str, Any]]) -> UploadSession:
    """POST the manifest; the answer names the buckets of files still to upload (none: all are there)."""
    path = f"/accounts/{account_id}/workers/scripts/{script}/assets-upload-session"
    result = client.call("POST", path, json={"manifest": dict(manifest)})
    if not isinstance(result, dict) or not isinstance(result.get("jwt"), str) or not result["jwt"]:
        raise UnexpectedAnswer("POST", path, "the upload session has no jwt")
    REDACTOR.add(result["jwt"])  # it authorises uploads into the account: kept out of logs like a token
    buckets = result.get("buckets") or []
    if not isinstance(buckets, list) or not all(isinstance(b, list) for b in buckets):
        raise UnexpectedAnswer("POST", path, "the upload session's buckets are not lists of hashes")
    return UploadSession(result["jwt"], tuple(tuple(str(h) for h in b) for b in buckets if b))


def upload_bucket(client: CloudflareClient, account_id: str, session_jwt: str,
                  files: Sequence[tuple[str, bytes, str]]) -> str | None:
    """Upload (hash, base64 text, content type) parts with the session's JWT; the completion JWT when
    this bucket completed the session, else None."""
    path = f"/accounts/{account_id}/workers/assets/upload"
    parts = [(h, (h, body, ctype)) for h, body, ctype in files]
    result = client.call("POST", path, params={"base64": "true"}, files=parts, bearer=session_jwt)
    jwt = result.get("jwt") if isinstance(result, dict) else None
    if isinstance(jwt, str) and jwt:
        REDACTOR.add(jwt)
        return jwt
    return None
