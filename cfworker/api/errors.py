"""CloudflareAPIError and the hints cfworker adds for the error codes users hit most (pure).

Cloudflare answers failures with `{success: false, errors: [{code, message}]}`. The raw
text is often cryptic ("Could not route to /accounts/x, perhaps your object identifier is
invalid?"), so each known code maps to a hint that says what to check and where. For
auth failures the hint names the token permission the failing endpoint needs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from cfworker.errors import RemoteError


@dataclass(frozen=True, slots=True)
class ApiErrorItem:
    """One entry of the envelope's `errors` list."""

    code: int | None
    message: str
    meta: Mapping[str, Any] | None = field(default=None, compare=False)  # e.g. a batch's failing operation


# Which token permission an endpoint needs, by path shape (first match wins).
_PERMISSIONS: tuple[tuple[str, str], ...] = (
    (r"/workers/routes", "Workers Routes: Edit (zone)"),
    (r"/dns_records", "DNS: Edit (zone)"),
    (r"/purge_cache", "Cache Purge: Purge (zone)"),
    (r"/storage/kv/", "Workers KV Storage: Edit (account)"),
    (r"/workers/domains", "Workers Scripts: Edit (account) and Workers Routes: Edit (zone)"),
    (r"/workers/", "Workers Scripts: Edit (account)"),
    (r"^/zones", "Zone: Read (zone)"),
    (r"^/(accounts|memberships)", "Account Settings: Read (account)"),
    (r"^/user", "User Details: Read, or a valid token"),
)

_CODE_HINTS: dict[int, str] = {
    1000: "the API token is not valid: check CLOUDFLARE_API_TOKEN (create one at dash.cloudflare.com/profile/api-tokens)",
    1003: "the zone id is not valid: check zone_id in worker.toml or let cfworker resolve it from zone_name",
    6003: "the request headers were refused: check that CLOUDFLARE_API_TOKEN holds an API token "
    "(a global API key needs CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL instead)",
    6111: "the Authorization header is malformed: CLOUDFLARE_API_TOKEN must be an API token, not a global key",
    7003: "an id in the request path does not exist: check account_id (worker.toml, CLOUDFLARE_ACCOUNT_ID "
    "or --account-id) and any zone_id; ids are 32 hexadecimal characters, not an email or domain",
    7000: "no such endpoint at this API root: check CLOUDFLARE_API_BASE_URL",
    9106: "the credentials were not recognised: check CLOUDFLARE_API_TOKEN, or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL",
    9109: "the token cannot be used for this request: check the token's permissions and account/zone resources",
    10007: "the Worker does not exist in this account (yet): deploy it first with `cfworker deploy`, "
    "or check the name and account id",
    10013: "Cloudflare refused the route; it may belong to another Worker: see `cfworker deploy --take-over-routes`",
    10014: "a KV namespace with this title already exists: set its id in worker.toml, or let "
    "`cfworker deploy` find it by title",
    10020: "this route pattern is already used in the zone, maybe by another Worker: see `--take-over-routes`",
    10021: "Cloudflare rejected the script (syntax, start-up or limits): fix the error above and rebuild",
    10027: "the script is too large: 3 MB gzipped on the Free plan, 10 MB on paid plans",
    10063: "the account has no workers.dev subdomain yet: open Workers & Pages in the dashboard once to create it",
    10061: "a Durable Object class of this Worker needs a migration that creates it: add [[migrations]] with "
    "new_sqlite_classes = [\"ClassName\"] to worker.toml",
    100116: "the hostname is attached to another Worker: detach it there, or rerun with --take-over-routes to move it",
    100117: "the hostname has DNS records of its own: delete them, or rerun with --override-dns to let Cloudflare "
    "replace them (if Cloudflare still refuses, delete the records in the dashboard)",
    81053: "a record with this host name already exists (A/AAAA/CNAME conflict): remove or change it first",
    81054: "a CNAME record with this host name already exists: remove it first",
    81057: "an identical DNS record already exists: nothing to create (run the command again to converge)",
    81058: "an identical DNS record already exists: nothing to create (run the command again to converge)",
}
_AUTH_CODES = {10000, 9109, 9106}


def permission_for(path: str) -> str | None:
    """The token permission an endpoint needs, for auth-failure hints."""
    for pattern, permission in _PERMISSIONS:
        if re.search(pattern, path):
            return permission
    return None


class CloudflareAPIError(RemoteError):
    """A failed API call: method, path, HTTP status, Cloudflare codes and the Ray ID."""

    def __init__(
        self,
        *,
        method: str,
        path: str,
        status: int | None,
        errors: Sequence[ApiErrorItem] = (),
        ray_id: str | None = None,
        detail: str | None = None,
        credential_source: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.status = status
        self.errors = tuple(errors)
        self.ray_id = ray_id
        what = f"{method} {path}"
        if status is None:
            headline = f"{what} failed: {detail or 'no response'}"
        elif self.errors:
            first = self.errors[0]
            code = f"[{first.code}] " if first.code is not None else ""
            headline = f"{what} failed with HTTP {status}: {code}{first.message}"
        else:
            headline = f"{what} failed with HTTP {status}" + (f": {detail}" if detail else "")
        notes = [f"[{e.code}] {e.message}" for e in self.errors[1:]]
        if detail and self.errors:
            notes.append(detail)
        if ray_id:
            notes.append(f"Ray ID: {ray_id} (quote it if you contact Cloudflare support)")
        super().__init__(headline, hint=self._hint(credential_source), notes=notes)

    @property
    def codes(self) -> tuple[int, ...]:
        """The Cloudflare error codes in this response."""
        return tuple(e.code for e in self.errors if e.code is not None)

    def has_code(self, *codes: int) -> bool:
        """True when any of the given Cloudflare codes is in the response."""
        return any(c in self.codes for c in codes)

    def _hint(self, credential_source: str | None) -> str | None:
        creds = (credential_source or "env CLOUDFLARE_API_TOKEN").removeprefix("env ")
        is_auth = self.status in (401, 403) or any(c in _AUTH_CODES for c in self.codes)
        if is_auth:
            permission = permission_for(self.path)
            need = f"; this endpoint needs {permission}" if permission else ""
            return f"the credentials in {creds} were refused for this request{need}"
        for code in self.codes:
            if code in _CODE_HINTS:
                return _CODE_HINTS[code]
        if self.status == 429:
            return "Cloudflare is rate limiting this account (1200 requests per 5 minutes); wait and rerun"
        if self.status is not None and self.status >= 500:
            return "Cloudflare had a server error; rerun shortly (cfworker already retried where safe)"
        if self.status is None:
            return "check the network and CLOUDFLARE_API_BASE_URL, then rerun"
        return None


class UnexpectedAnswer(RemoteError):
    """A successful envelope whose `result` does not have the shape the caller relies on."""

    def __init__(self, method: str, path: str, what: str) -> None:
        self.method = method
        self.path = path
        super().__init__(f"{method} {path}: unexpected answer from Cloudflare: {what}",
                         hint="this is not an answer the Cloudflare API gives; check CLOUDFLARE_API_BASE_URL "
                              "(a proxy or stand-in may be answering), then rerun")


class PaginationError(RemoteError):
    """A list endpoint that would page forever (repeating pages or cursors, no end)."""

    def __init__(self, path: str, what: str) -> None:
        self.path = path
        super().__init__(f"GET {path}: stopped reading the list: {what}",
                         hint="the API's paging did not end; rerun, and if it repeats, report it with --debug output")
