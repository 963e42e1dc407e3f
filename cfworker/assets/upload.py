"""Upload what an assets session asks for, and return the completion JWT (research-16 A4).

Buckets go up 3 at a time (wrangler's BULK_UPLOAD_CONCURRENCY), each retried up to 5 times
with 1, 2, 4, 8 s pauses; the whole run is bounded by the client's per-request deadlines. A
bucket that completes the session answers with the completion JWT; a session that asked for
nothing is its own completion token. Files are read when their bucket is sent, so memory
holds a few buckets, not the site.
"""

from __future__ import annotations

import base64
import mimetypes
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cfworker.api.assets import UploadSession, create_upload_session, upload_bucket
from cfworker.api.errors import CloudflareAPIError
from cfworker.assets.manifest import AssetManifest

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient

CONCURRENCY = 3
ATTEMPTS = 5
# mime v4 (mime-db) answers for common web files where Python's built-in table differs or lacks them.
_MIME = {".js": "text/javascript", ".mjs": "text/javascript", ".cjs": "application/node", ".json": "application/json",
         ".map": "application/json", ".wasm": "application/wasm", ".webp": "image/webp", ".avif": "image/avif",
         ".woff": "font/woff", ".woff2": "font/woff2", ".ttf": "font/ttf", ".otf": "font/otf",
         ".ico": "image/vnd.microsoft.icon", ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json",
         ".md": "text/markdown", ".xml": "text/xml", ".txt": "text/plain", ".csv": "text/csv"}
_TABLE = mimetypes.MimeTypes(filenames=())  # Python's built-in table only: the same on every machine


def content_type(path: str) -> str:
    """The part's Content-Type as wrangler sends it: the MIME type, `; charset=utf-8` for text, else
    `application/null` (served without a Content-Type)."""
    suffix = "." + path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    found = _MIME.get(suffix) or _TABLE.guess_type("x" + suffix, strict=False)[0] if suffix else None
    if not found:
        return "application/null"
    return f"{found}; charset=utf-8" if found.startswith("text/") and "charset" not in found else found


@dataclass(frozen=True, slots=True)
class SyncResult:
    completion_jwt: str
    uploaded_files: int
    uploaded_bytes: int
    skipped: int  # files Cloudflare already had


def sync(client: CloudflareClient, account_id: str, script: str, manifest: AssetManifest, *,
         session: UploadSession | None = None, progress: Callable[[int, int], None] | None = None,
         sleep: Callable[[float], None] | None = None, concurrency: int = CONCURRENCY) -> SyncResult:
    """Open a session (unless one is given), upload its buckets, return the completion JWT."""
    from cfworker.concurrency import DaemonPool, interrupt_requested

    session = session or create_upload_session(client, account_id, script, manifest.wire())
    files = manifest.by_hash()
    unknown = [h for bucket in session.buckets for h in bucket if h not in files]
    if unknown:
        raise CloudflareAPIError(method="POST", path="assets-upload-session", status=None,
                                 detail=f"the session asked for {len(unknown)} file(s) not in the manifest")
    total = session.missing
    if not total:
        return SyncResult(session.jwt, 0, 0, len(files))
    pause = sleep or client.sleep
    done = [0, 0]  # files, bytes
    completion: list[str] = []
    lock = threading.Lock()

    def send(bucket: tuple[str, ...]) -> None:
        if interrupt_requested():  # Ctrl-C: start no more buckets (the main thread is being stopped)
            return
        parts = [(h, base64.b64encode(files[h].file.read_bytes()), content_type(files[h].path)) for h in bucket]
        for attempt in range(1, ATTEMPTS + 1):
            try:
                jwt = upload_bucket(client, account_id, session.jwt, parts)
                break
            except CloudflareAPIError as exc:
                if attempt == ATTEMPTS or (exc.status is not None and 400 <= exc.status < 500 and exc.status != 429):
                    raise
                pause(2 ** (attempt - 1))
        with lock:
            if jwt:
                completion.append(jwt)
            done[0] += len(bucket)
            done[1] += sum(files[h].size for h in bucket)
            if progress:
                progress(done[0], total)

    with DaemonPool(max_workers=max(1, concurrency), name="assets") as pool:
        for future in [pool.submit(send, b) for b in session.buckets]:
            future.result()
    if not completion:
        raise CloudflareAPIError(method="POST", path=f"/accounts/{account_id}/workers/assets/upload", status=None,
                                 detail="every bucket was uploaded but no answer carried the completion token")
    return SyncResult(completion[-1], done[0], done[1], len(files) - total)
