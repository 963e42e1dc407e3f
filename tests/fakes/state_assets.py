"""Workers static assets: upload sessions, bucketed file uploads, completion tokens.

The protocol is wrangler's (research-16 A4, /work/notes/research-16.md; api-notes §2.5), read
from workers-sdk `packages/deploy-helpers/src/deploy/helpers/assets.ts` (`syncAssets`):

1. `POST .../workers/scripts/{s}/assets-upload-session {"manifest": {"/path": {hash, size}}}`
   (normal API auth) -> `{jwt, buckets}`: `buckets` group the hashes the account's asset store
   does not hold yet. With nothing to upload the session jwt is itself the completion token
   (research A4 step 2).
2. Per bucket `POST .../workers/assets/upload?base64=true` with `Authorization: Bearer <session
   jwt>` and one multipart part per file (name = filename = hash, content = base64 of the bytes):
   `{}` (202) while files are missing, `{"jwt": <completion token>}` (201) once the last one came.
3. The script/version upload names the completion token in `metadata.assets.jwt` (research A5);
   `state_workers.build_version` calls `assets_of_upload` and, once the upload is committed,
   `redeem`.

Uploaded files stay in the account's store across sessions: Cloudflare's direct-upload docs say
unmodified files "will not be returned in the `buckets` field ... if they have recently been
uploaded in previous versions of your Worker", and wrangler's give-up message promises "Assets
already uploaded have been saved, so the next attempt will automatically resume" (assets.ts).
The fake never forgets them (the real store's "recently" is not modelled).

The fake's jwts look like JWTs (three base64url parts, JSON payload with `exp`) because clients
decode the payload: wrangler reads `exp` (deploy-helpers jwt.ts `isJwtExpired`) and switches to
per-file uploads when the payload has `wrangler_single_asset_uploads: true` (research A4 step 5).
The fake never sets that claim, so clients use the bulk endpoint; the per-file endpoint
`POST .../workers/assets/upload/{hash}` is not modelled (7000 no_route). Dispatch-namespace
sessions (`.../dispatch/namespaces/{ns}/scripts/{s}/assets-upload-session`) are not modelled.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tests.fakes import multipart
from tests.fakes.routing import Ctx, Route
from tests.fakes.state import Principal, State
from tests.fakes.wire import Fail, FakeRequest, Reply

if TYPE_CHECKING:
    from tests.fakes.state_workers import Script, Version

# Per-file limit: MAX_ASSET_SIZE = 25 MiB, refused when `size > MAX` (workers-shared/utils/constants.ts,
# research A3). wrangler checks it before it asks for a session; the server doing so too is unverified.
MAX_ASSET_SIZE = 25 * 1024 * 1024
# Files per version: Free 20,000 / Paid 100,000 (Workers limits page, research A3; plan from
# `Config.workers_paid_plan`). wrangler does not check the count at deploy: the API does (A3).
MAX_ASSETS_FREE, MAX_ASSETS_PAID = 20_000, 100_000
# `hash` is 32 lowercase hex characters (research A1: blake3 hex truncated to 32; the direct-upload docs:
# "hash represents a 32 hexadecimal character hash of the file"). Upper case: refused, the less forgiving reading.
_HASH = re.compile(r"^[0-9a-f]{32}$")
# The keys of `metadata.assets.config` wrangler sends (deploy-helpers create-worker-upload-form.ts, research A5)
# and the enums of workers-shared/utils/types.ts. Any other key is refused: no evidence, the less forgiving choice.
HTML_HANDLING = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")
NOT_FOUND_HANDLING = ("single-page-application", "404-page", "none")
CONFIG_KEYS = ("html_handling", "not_found_handling", "run_worker_first", "_redirects", "_headers")

_SECRET = secrets.token_bytes(32)  # signs the fake's jwts; nobody checks the signature (wrangler does not, jwt.ts)


@dataclass
class StoredAsset:
    """One file of an account's asset store: its bytes and the part's Content-Type (None for
    `application/null` or no header: the direct-upload docs say "application/null may be sent" to
    serve the file without a Content-Type)."""

    data: bytes = field(repr=False)
    content_type: str | None


@dataclass
class AssetSession:
    """One assets-upload-session: its manifest, the hashes it asked for and which are still missing."""

    jwt: str
    account_id: str
    script_name: str
    manifest: dict[str, dict[str, Any]]
    buckets: list[list[str]]
    missing: set[str]
    expires_at: float
    sizes: dict[str, int] = field(default_factory=dict, repr=False)  # hash -> size (one size per hash: checked)
    completion_jwt: str | None = None

    @property
    def requested(self) -> set[str]:
        """Every hash the session asked for."""
        return {h for b in self.buckets for h in b}


@dataclass
class CompletionToken:
    """A completion token: the manifest it makes a version's assets, and who redeemed it."""

    jwt: str
    account_id: str
    script_name: str
    manifest: dict[str, dict[str, Any]]
    expires_at: float
    used_by: str | None = None  # the version id that redeemed it


@dataclass
class VersionAssets:
    """The assets of a Worker version: the manifest of the session behind its completion token and
    `metadata.assets.config` as uploaded (`_redirects`/`_headers` raw text, not parsed: research A5)."""

    manifest: dict[str, dict[str, Any]]
    config: dict[str, Any]


# -- jwts -----------------------------------------------------------------------------------------

def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def make_jwt(claims: dict[str, Any]) -> str:
    """An HS256-looking JWT: base64url (unpadded) header, payload and signature."""
    head = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = _b64url(hmac.new(_SECRET, f"{head}.{body}".encode(), hashlib.sha256).digest())
    return f"{head}.{body}.{sig}"


def _claims(state: State, account_id: str, script: str, kind: str) -> tuple[dict[str, Any], float]:
    # "The JWT is valid for one hour" (upload token) and "This completion token is valid for 1 hour"
    # (Cloudflare docs workers/static-assets/direct-upload; cloudflare-docs PR #18058). Claim names
    # other than `exp` are the fake's own (the real payload is unverified).
    now = time.time()
    exp = now + state.config.asset_jwt_ttl
    return ({"iss": "fake-cloudflare", "sub": account_id, "aud": f"workers-assets-{kind}", "script": script,
             "jti": uuid.uuid4().hex, "iat": int(now), "exp": int(exp)}, exp)


# -- the asset store --------------------------------------------------------------------------------

def account_store(state: State, account_id: str) -> dict[str, StoredAsset]:
    """The account's asset store, hash -> file (created on first use)."""
    return state.asset_store.setdefault(account_id, {})


def _check_manifest(state: State, body: Any) -> dict[str, dict[str, Any]]:
    """The manifest of a session request, or Fail (assets_manifest_invalid / assets_too_many)."""
    if not isinstance(body, dict) or set(body) != {"manifest"}:
        # only `manifest` is a documented body key (SDK upload_create_params, research A4); others refused
        raise Fail("assets_manifest_invalid", detail='the body must be {"manifest": {"/path": {"hash", "size"}}}')
    manifest = body["manifest"]
    if not isinstance(manifest, dict):
        raise Fail("assets_manifest_invalid", detail="manifest must be an object")
    sizes: dict[str, int] = {}
    for key, entry in manifest.items():
        # keys are "/" + the posix relative path (normalizeFilePath, research A1)
        if not key.startswith("/") or key == "/":
            raise Fail("assets_manifest_invalid", detail=f"manifest key {key!r} must be a path starting with '/'")
        if not isinstance(entry, dict) or set(entry) != {"hash", "size"}:
            raise Fail("assets_manifest_invalid", detail=f"manifest entry {key!r} must be exactly {{hash, size}}")
        h, size = entry["hash"], entry["size"]
        if not isinstance(h, str) or not _HASH.match(h):
            raise Fail("assets_manifest_invalid", detail=f"{key}: hash must be 32 lowercase hex characters")
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            raise Fail("assets_manifest_invalid", detail=f"{key}: size must be a non-negative integer")
        if size > MAX_ASSET_SIZE:
            raise Fail("asset_too_large", path=key, size=size, limit=MAX_ASSET_SIZE)
        # one hash is one content (hash of the bytes and extension, research A1): two sizes for one
        # hash cannot both be right. No evidence of the server's answer: refused, the less forgiving choice.
        if sizes.setdefault(h, size) != size:
            raise Fail("assets_manifest_invalid", detail=f"{key}: hash {h} is listed with two different sizes")
    limit = MAX_ASSETS_PAID if state.config.workers_paid_plan else MAX_ASSETS_FREE
    if len(manifest) > limit:
        raise Fail("assets_too_many", count=len(manifest), limit=limit)
    return manifest


def _pack(hashes: list[str], sizes: dict[str, int], max_files: int, max_bytes: int) -> list[list[str]]:
    """Group hashes into buckets of at most `max_files` files and `max_bytes` raw bytes (a file
    larger than `max_bytes` alone makes a bucket). Buckets are "server-decided" and wrangler's comment
    assumes "50 MiB per bucket" (assets.ts, research A3); the file cap is the fake's (UNVERIFIED,
    Pages uses 5000), small by default so clients meet several buckets."""
    buckets: list[list[str]] = []
    cur: list[str] = []
    cur_bytes = 0
    for h in hashes:
        if cur and (len(cur) >= max_files or cur_bytes + sizes[h] > max_bytes):
            buckets.append(cur)
            cur, cur_bytes = [], 0
        cur.append(h)
        cur_bytes += sizes[h]
    if cur:
        buckets.append(cur)
    return buckets


# -- handlers -----------------------------------------------------------------------------------------

def create_session(ctx: Ctx) -> Reply:
    """POST .../scripts/{s}/assets-upload-session: buckets of the hashes the account lacks.

    The script need not exist: wrangler syncs assets before the first upload of a Worker
    (deploy-helpers deploy.ts and versions-upload.ts call syncAssets first; research A4 step 8).
    HTTP 201 as in wrangler's test mocks (research A4 step 1; a third-party script that expects
    200 exists, so the real status is unverified: clients should accept any 2xx).
    """
    manifest = _check_manifest(ctx.state, ctx.body())
    store = account_store(ctx.state, ctx.account_id)
    sizes = {e["hash"]: int(e["size"]) for e in manifest.values()}
    missing: list[str] = []
    for e in manifest.values():  # manifest order; a hash shared by two paths is asked for once (research A1)
        if e["hash"] not in store and e["hash"] not in missing:
            missing.append(e["hash"])
    cfg = ctx.state.config
    buckets = _pack(missing, sizes, cfg.asset_bucket_max_files, cfg.asset_bucket_max_bytes)
    name = ctx.p["script_name"]
    claims, exp = _claims(ctx.state, ctx.account_id, name, "upload")
    jwt = make_jwt(claims)
    session = AssetSession(jwt, ctx.account_id, name, dict(manifest), buckets, set(missing), exp, sizes)
    ctx.state.asset_sessions[jwt] = session
    if not missing:  # "the session jwt itself is the completion token" (research A4 step 2)
        session.completion_jwt = jwt
        ctx.state.asset_completions[jwt] = CompletionToken(jwt, ctx.account_id, name, dict(manifest), exp)
    return Reply({"jwt": jwt, "buckets": buckets}, status=201)


def authenticate_upload(state: State, req: FakeRequest) -> Principal:
    """Credentials of the upload endpoint: `Authorization: Bearer <session jwt>` of a live session.

    wrangler replaces the API token with the session jwt there (the header is pre-set, so
    `addAuthorizationHeader` adds neither token nor X-Auth-*: research A4 step 4, workers-utils
    cfetch/index.ts); the direct-upload docs: "The Authorization header must be provided as a bearer
    token, using the JWT (upload token)". Whether the API token would also be taken is unverified:
    it is refused, the unkind choice. Status and code of every refusal here: UNVERIFIED (codes.py).
    """
    h = req.headers
    if "x-auth-key" in h or "x-auth-email" in h:
        raise Fail("assets_upload_unauthorized", detail="X-Auth-Key/X-Auth-Email are not accepted here; send "
                                                        "Authorization: Bearer <session jwt>")
    scheme, _, value = (h.get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not value:
        raise Fail("assets_upload_unauthorized", detail="missing Authorization: Bearer <session jwt>")
    if value in state.tokens:
        raise Fail("assets_upload_unauthorized", detail="an API token is not accepted here; send the jwt from "
                                                        "assets-upload-session")
    session = state.asset_sessions.get(value)
    if session is None:
        raise Fail("assets_upload_unauthorized", detail="the bearer is not an assets upload session jwt")
    if time.time() >= session.expires_at:
        raise Fail("assets_session_expired")
    return Principal("assets_session")


def upload_files(ctx: Ctx) -> Reply:
    """POST /accounts/{a}/workers/assets/upload?base64=true: one bucket of files of a session.

    Checks, all before anything is stored (a refused request stores nothing; the real API's
    partial behaviour is unverified):
    * `base64=true` ("Must be `true`", cloudflare-python types/workers/assets/upload_create_params.py);
    * the session belongs to the account in the path (unverified: refused as unauthorized);
    * multipart, at least one part, part name = hash (research A4 step 4), filename = name when
      given (wrangler sends both; SDKs may send plain fields), no hash twice;
    * each hash is one the session asked for: a hash the store already held, or one outside the
      manifest, is refused (no evidence: the less forgiving choice);
    * the content is strict base64 whose decoded length is the manifest size. The hash itself is
      not recomputed: the server cannot know the recipe (wrangler's is blake3(base64 + extension),
      research A1, while the direct-upload docs' example and third-party clients use sha256): it is
      a content key chosen by the client.
    A hash sent again (wrangler retries a bucket on any error, up to 5 attempts, assets.ts; a retry
    after a lost answer resends files already stored) is accepted again. When the session has all
    its files the answer is 201 with the completion jwt ("Once every file in the manifest has been
    uploaded, a status code of 201 will be returned, with the jwt field present", direct-upload
    docs); a bucket resent after that gets the same jwt again, else wrangler's retry of a lost last
    answer would end in "Failed to complete asset upload". Otherwise 202 with `{}` (research A4,
    wrangler's test mocks).
    """
    state = ctx.state
    auth = ctx.req.headers.get("authorization", "")
    session = state.asset_sessions[auth.partition(" ")[2]]  # authenticate_upload has checked it
    if session.account_id != ctx.account_id:
        raise Fail("assets_upload_unauthorized", detail="the session jwt belongs to another account")
    if ctx.req.q("base64") != "true":
        raise Fail("assets_upload_invalid", detail="the base64 query parameter must be true")
    try:
        parts = multipart.parse(ctx.req.headers.get("content-type", ""), ctx.req.body)
    except multipart.MultipartError as exc:
        raise Fail("assets_upload_invalid", detail=f"the body must be multipart/form-data: {exc}") from None
    if not parts:
        raise Fail("assets_upload_invalid", detail="no files in the upload")
    requested = session.requested
    staged: list[tuple[str, StoredAsset]] = []
    for part in parts:
        h = part.name
        if h in (s[0] for s in staged):
            raise Fail("assets_upload_invalid", detail=f"file {h} is sent twice")
        if part.filename is not None and part.filename != h:
            raise Fail("assets_upload_invalid", detail=f"part {h}: filename {part.filename!r} is not the hash")
        if h not in requested:
            raise Fail("asset_not_requested", hash=h)
        try:
            data = base64.b64decode(part.data, validate=True)
        except (binascii.Error, ValueError):
            raise Fail("assets_upload_invalid", detail=f"file {h} is not base64 text (the query says base64=true)"
                       ) from None
        expected = session.sizes[h]
        if len(data) != expected:
            raise Fail("asset_size_mismatch", hash=h, size=len(data), expected=expected)
        # The hash must be the service's of these bytes at one of the manifest paths that name it:
        # blake3(base64(content) + extension)[:32] (research-16 A1, checked against wrangler's test
        # vectors). Less forgiving than unverified server behaviour: a client hashing differently
        # fails here instead of serving files under the wrong key.
        if not any(_service_hash(part.data, path) == h for path, e in session.manifest.items() if e["hash"] == h):
            raise Fail("asset_hash_mismatch", hash=h)
        raw_type = part.headers.get("content-type")
        ctype = None if raw_type is None or raw_type.split(";")[0].strip().lower() == "application/null" else raw_type
        staged.append((h, StoredAsset(data, ctype)))
    store = account_store(state, session.account_id)
    for h, asset in staged:
        store[h] = asset
        session.missing.discard(h)
    state.asset_uploads.append((session.jwt, [h for h, _ in staged]))
    if session.missing:
        return Reply({}, status=202)
    if session.completion_jwt is None:
        claims, exp = _claims(state, session.account_id, session.script_name, "completion")
        session.completion_jwt = make_jwt(claims)
        state.asset_completions[session.completion_jwt] = CompletionToken(
            session.completion_jwt, session.account_id, session.script_name, dict(session.manifest), exp)
    return Reply({"jwt": session.completion_jwt}, status=201)


# -- script / version uploads ---------------------------------------------------------------------

def _check_config(config: Any) -> dict[str, Any]:
    if not isinstance(config, dict):
        raise Fail("script_invalid", detail="metadata.assets.config must be an object")
    unknown = sorted(set(config) - set(CONFIG_KEYS))
    if unknown:
        raise Fail("script_invalid", detail=f"metadata.assets.config: unknown key(s) {', '.join(unknown)}")
    if "html_handling" in config and config["html_handling"] not in HTML_HANDLING:
        raise Fail("script_invalid", detail=f"assets.config.html_handling must be one of {', '.join(HTML_HANDLING)}")
    if "not_found_handling" in config and config["not_found_handling"] not in NOT_FOUND_HANDLING:
        raise Fail("script_invalid",
                   detail=f"assets.config.not_found_handling must be one of {', '.join(NOT_FOUND_HANDLING)}")
    rwf = config.get("run_worker_first")
    # wrangler sends the raw config value: a boolean or a list of rules (research A5, B9)
    if rwf is not None and not isinstance(rwf, bool) and not (isinstance(rwf, list)
                                                                and all(isinstance(r, str) for r in rwf)):
        raise Fail("script_invalid", detail="assets.config.run_worker_first must be a boolean or a list of strings")
    for key in ("_redirects", "_headers"):
        if key in config and not isinstance(config[key], str):
            raise Fail("script_invalid", detail=f"assets.config.{key} must be the file's text")
    return dict(config)


def assets_of_upload(ctx: Ctx, script: Script | None, metadata: dict[str, Any]
                     ) -> tuple[VersionAssets | None, str | None]:
    """The assets an upload gives its version, and the completion token to redeem on commit.

    * `metadata.assets = {jwt, config?}` (research A5): `jwt` must be a completion token of this
      account issued for this script (the session URL names the script; that the server ties the
      token to it is unverified: the less forgiving reading), not expired ("valid for 1 hour",
      direct-upload docs) and not redeemed before. Whether a token may be redeemed twice is
      unverified: once only, the less forgiving choice. Consequence for retries: wrangler resends
      the same form when a script upload fails with a 5xx or a network error (retryOnAPIFailure in
      deploy-helpers deploy.ts / versions-upload.ts). A refused or 5xx-faulted upload does not redeem
      the token, so that retry passes; an upload that was applied but whose answer was lost did,
      and its retry is refused (assets_jwt_used, a 4xx wrangler does not retry). A client that
      retries must open a new session first: the files are stored, so it asks for nothing and its
      jwt is a fresh completion token.
    * `keep_assets: true` without a jwt keeps the previous version's assets ("If this is a Worker
      which already has assets, and you wish to just re-use the existing set of assets ... pass the
      boolean keep_assets option", direct-upload docs); `assets.config`, if sent, replaces the config
      (the fake's choice). With no previous assets, or together with a jwt: refused (unverified).
    * Neither: the version has no assets (the docs make keep_assets the way to keep them).
    """
    keep = metadata.get("keep_assets")
    if keep is not None and not isinstance(keep, bool):
        raise Fail("script_invalid", detail="metadata.keep_assets must be a boolean")
    assets = metadata.get("assets")
    prev = script.current.assets if script is not None and script.versions else None
    if assets is None:
        if not keep:
            return None, None
        if prev is None:
            raise Fail("assets_keep_without_assets")
        return VersionAssets(dict(prev.manifest), dict(prev.config)), None
    if not isinstance(assets, dict) or set(assets) - {"jwt", "config"}:
        raise Fail("script_invalid", detail="metadata.assets must be an object with 'jwt' and 'config'")
    config = _check_config(assets.get("config", {}))
    jwt = assets.get("jwt")
    if keep:
        if jwt is not None:
            raise Fail("script_invalid", detail="send either keep_assets or assets.jwt, not both")
        if prev is None:
            raise Fail("assets_keep_without_assets")
        return VersionAssets(dict(prev.manifest), config if "config" in assets else dict(prev.config)), None
    if not isinstance(jwt, str) or not jwt:
        raise Fail("assets_jwt_invalid", detail="metadata.assets.jwt is missing")
    tok = ctx.state.asset_completions.get(jwt)
    if tok is None:
        if jwt in ctx.state.asset_sessions:
            raise Fail("assets_jwt_invalid", detail="this is an upload session jwt whose files are not all uploaded "
                                                    "yet; use the jwt of the last upload answer")
        raise Fail("assets_jwt_invalid", detail="not a completion token")
    if tok.account_id != ctx.account_id or tok.script_name != ctx.p.get("script_name"):
        raise Fail("assets_jwt_invalid", detail="the completion token was issued for another Worker")
    if time.time() >= tok.expires_at:
        raise Fail("assets_jwt_expired")
    if tok.used_by is not None:
        raise Fail("assets_jwt_used")
    return VersionAssets(dict(tok.manifest), config), jwt


def redeem(state: State, version: Version) -> None:
    """Mark the completion token of a committed version as used (see assets_of_upload)."""
    if version.assets_token is not None:
        state.asset_completions[version.assets_token].used_by = version.id


def expire(state: State, *, completion_tokens: bool = False) -> int:
    """Expire every live upload session (and with `completion_tokens` every unredeemed completion
    token); returns how many. Their jwts' `exp` claims stay as issued."""
    past = time.time() - 1
    n = 0
    for s in state.asset_sessions.values():
        if s.expires_at > past:
            s.expires_at, n = past, n + 1
    if completion_tokens:
        for t in state.asset_completions.values():
            if t.used_by is None and t.expires_at > past:
                t.expires_at, n = past, n + 1
    return n


_S = "/accounts/{account_id}/workers/scripts/{script_name}"
ROUTES = [
    # Scope: the session is part of a script upload (Workers Scripts write; the real permission is unverified).
    Route("POST", _S + "/assets-upload-session", create_session, "workers_scripts:write"),
    # Authenticated by the session jwt, not by a token (auth="assets_jwt": authenticate_upload), so no scope.
    # `base64`: research A4 step 4 and cloudflare-python upload_create_params; the path is outside the
    # OpenAPI subset (research A4: no assets endpoints in the snapshot), so it is listed here.
    Route("POST", "/accounts/{account_id}/workers/assets/upload", upload_files, None, extra_params=("base64",),
          auth="assets_jwt"),
]


def _service_hash(base64_text: bytes, path: str) -> str:
    import blake3

    extension = path.rsplit("/", 1)[-1].rpartition(".")[2] if "." in path.rsplit("/", 1)[-1].lstrip(".") else ""
    return blake3.blake3(base64_text.strip() + extension.encode()).hexdigest()[:32]
