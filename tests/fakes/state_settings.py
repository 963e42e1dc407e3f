"""Workers script settings and secrets (api-notes §1.3 step 3, §4.1, §6.5).

`/settings` shows bindings with secrets by name and type only (§4.1: values are never returned)
and can change bindings or compatibility settings (a new deployed version); `/script-settings`
holds the non-versioned settings (§1.3). Putting a secret makes and deploys a new version and is
refused with 10215 while the latest version is not the deployed one (§4.1); the fake does the
same for a secret delete and a bulk patch (undocumented for those: the less forgiving choice).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tests.fakes import multipart
from tests.fakes.routing import Ctx, Route
from tests.fakes.state_workers import (Script, apply_secrets, build_version, check_latest_deployed, check_tags, deploy,
                                       get_script, redeploy_current)
from tests.fakes.wire import Fail

# The non-versioned settings (api-notes §1.3 step 3: wrangler PATCHes these; api-notes §4.4 adds
# streaming_tail_consumers to the keys wrangler PATCHes after a versions deploy; research notes §3:
# the 2024 schema lists only logpush and tail_consumers, the current docs more).
_SCRIPT_SETTINGS = ("logpush", "observability", "tags", "tail_consumers", "streaming_tail_consumers")


def _settings(script: Script) -> dict[str, Any]:
    v = script.current
    return {"bindings": script.public_bindings(), "compatibility_date": v.compatibility_date,
            "compatibility_flags": v.compatibility_flags, "logpush": script.logpush,
            "observability": script.observability, "placement": script.placement or {}, "tags": list(script.tags),
            "tail_consumers": script.tail_consumers,
            "streaming_tail_consumers": script.streaming_tail_consumers, "usage_model": script.usage_model, "limits": {}}


def get_settings(ctx: Ctx) -> dict[str, Any]:
    """GET .../settings: bindings (secrets without values) and runtime settings."""
    return _settings(get_script(ctx))


def patch_settings(ctx: Ctx) -> dict[str, Any]:
    """PATCH .../settings (multipart `settings` part): bindings/compat changes make a new version.

    Multipart with a `settings` JSON part (SDK script_and_version_settings; wrangler's secret bulk
    used it before workers-sdk PR #13964, research notes 12-13 §8). The new version is deployed
    at once, as that secret bulk relied on (not documented otherwise). "Annotations are not
    inherited across settings updates" (settings docs, research notes §9): the new version has
    only the annotations the PATCH sends. Migrations are not replayed.
    """
    script = get_script(ctx)
    try:
        parts = multipart.parse(ctx.req.headers.get("content-type", ""), ctx.req.body)
        settings = json.loads(next(p.data for p in parts if p.name == "settings"))
    except (multipart.MultipartError, StopIteration, ValueError) as exc:
        raise Fail("script_invalid", detail=f"expected a multipart 'settings' JSON part: {exc}") from None
    if "tags" in settings:
        check_tags(settings["tags"] or [])
    for key in ("logpush", "observability", "tags", "tail_consumers", "streaming_tail_consumers", "placement",
                "usage_model"):
        if key in settings:
            setattr(script, key, settings[key])
    if any(k in settings for k in ("bindings", "compatibility_date", "compatibility_flags")):
        cur = script.current
        meta = {k: v for k, v in cur.metadata.items() if k not in ("annotations", "migrations", "assets", "keep_assets")}
        if cur.assets is not None:  # a settings change keeps the assets (its completion token is spent)
            meta["keep_assets"] = True
        meta.update({k: settings[k] for k in ("bindings", "compatibility_date", "compatibility_flags", "annotations")
                     if k in settings})
        if "bindings" not in settings:
            meta["bindings"] = [{"type": "inherit", "name": b["name"]} for b in cur.bindings]
        fake_parts = [multipart.Part("metadata", None, "application/json", json.dumps(meta).encode())]
        fake_parts += [multipart.Part(m.name, m.name, m.content_type, m.content) for m in cur.modules.values()]
        version, secret_set, removed = build_version(ctx, script, fake_parts, strict_inherit=True)
        script.versions.append(version)
        apply_secrets(script, secret_set, removed)
        deploy(script, version)
    return _settings(script)


def get_script_settings(ctx: Ctx) -> dict[str, Any]:
    """GET .../script-settings: the non-versioned settings."""
    script = get_script(ctx)
    return {k: getattr(script, k) for k in _SCRIPT_SETTINGS}


def patch_script_settings(ctx: Ctx) -> dict[str, Any]:
    """PATCH .../script-settings: merge the given keys (keys left out keep their values, api-notes §1.3)."""
    script = get_script(ctx)
    body = ctx.body()
    if "tags" in body:
        check_tags(body["tags"] or [])
    for key in _SCRIPT_SETTINGS:
        if key in body:
            setattr(script, key, body[key] if key != "tags" else list(body[key] or []))
    return {k: getattr(script, k) for k in _SCRIPT_SETTINGS}


def put_secret(ctx: Ctx) -> dict[str, Any]:
    """PUT .../secrets: set one secret; makes and deploys a new version (api-notes §4.1), 10215 first."""
    script = get_script(ctx)
    body = ctx.body()
    check_latest_deployed(script)
    script.secrets[body["name"]] = dict(body)
    redeploy_current(script, "secret")
    return {"name": body["name"], "type": body["type"]}


MAX_BULK_SECRETS = 100  # "up to 100 total operations" per request (Cloudflare changelog 2026-06-03 bulk secrets API)


def patch_secrets_bulk(ctx: Ctx) -> None:
    """PATCH .../secrets-bulk, a JSON merge patch {"secrets": {NAME: {type, name, text} | null}}.

    A value creates or replaces a secret, null deletes it, an absent name is left alone;
    the whole patch becomes one new version, deployed like a secret put (api-notes §4.1,
    workers-sdk WR/secret/index.ts putBulkSecrets; research notes §8). The answer's shape is
    undocumented (wrangler ignores it): the fake answers null, so callers must not rely on it.
    """
    script = get_script(ctx)
    # wrangler sends this type (api-notes §4.1); refusing others is the less forgiving choice (code unverified)
    if ctx.req.content_type != "application/merge-patch+json":
        raise Fail("script_invalid", detail="secrets-bulk takes Content-Type application/merge-patch+json")
    body = ctx.body()
    secrets = body.get("secrets") if isinstance(body, dict) else None
    if not isinstance(secrets, dict) or not secrets:  # an empty patch: refused (no evidence found; less forgiving)
        raise Fail("script_invalid", detail="body must be {\"secrets\": {NAME: {...} or null}}")
    if len(secrets) > MAX_BULK_SECRETS:
        raise Fail("script_invalid", detail=f"{len(secrets)} operations; at most {MAX_BULK_SECRETS} per request")
    for name, value in secrets.items():
        if value is not None and (not isinstance(value, dict) or value.get("type") != "secret_text"
                                  or not isinstance(value.get("text"), str)):
            raise Fail("script_invalid", detail=f"secret {name!r} must be {{type: secret_text, name, text}} or null")
    check_latest_deployed(script)  # 10215 for the bulk path too: undocumented (research notes §8), less forgiving
    for name, value in secrets.items():
        if value is None:  # deleting an absent name is a no-op, as merge-patch null is (RFC 7396)
            script.secrets.pop(name, None)
        else:
            script.secrets[name] = {**value, "name": name}
    redeploy_current(script, "secret")
    return None


def list_secrets(ctx: Ctx) -> list[dict[str, Any]]:
    """GET .../secrets: names and types, never values (api-notes §4.1), by name (unverified order)."""
    return [{"name": n, "type": s["type"]} for n, s in sorted(get_script(ctx).secrets.items())]


def _secret_name(ctx: Ctx) -> str:
    # `url_encoded=true`: the name in the path is percent-encoded once more (schema parameter; api-notes §4.1)
    name = ctx.p["secret_name"]
    return unquote(name) if ctx.req.q("url_encoded") == "true" else name


def get_secret(ctx: Ctx) -> dict[str, Any]:
    """GET .../secrets/{name}: name and type only; an unknown name is 404 (code unverified)."""
    name = _secret_name(ctx)
    s = get_script(ctx).secrets.get(name)
    if s is None:
        raise Fail("secret_not_found", name=name)
    return {"name": name, "type": s["type"]}


def delete_secret(ctx: Ctx) -> None:
    """DELETE .../secrets/{name}: removing a secret also makes a new version (like a put; unverified).

    An unknown name is refused (no evidence found; the less forgiving choice).
    """
    script = get_script(ctx)
    name = _secret_name(ctx)
    if name not in script.secrets:
        raise Fail("secret_not_found", name=name)
    check_latest_deployed(script)
    script.secrets.pop(name)
    redeploy_current(script, "secret")
    return None


_S = "/accounts/{account_id}/workers/scripts/{script_name}"
_W, _R = "workers_scripts:write", "workers_scripts:read"
# Scopes: schema x-cfPermissionsRequired worker.script.read / .create and, for secrets,
# x-api-token-group "Workers Scripts Read/Write"; secrets-bulk (not in the schema) writes like a put.
ROUTES = [
    Route("GET", _S + "/settings", get_settings, _R),
    Route("PATCH", _S + "/settings", patch_settings, _W),
    Route("GET", _S + "/script-settings", get_script_settings, _R),
    Route("PATCH", _S + "/script-settings", patch_script_settings, _W),
    Route("PUT", _S + "/secrets", put_secret, _W),
    Route("PATCH", _S + "/secrets-bulk", patch_secrets_bulk, _W),
    Route("GET", _S + "/secrets", list_secrets, _R),
    Route("GET", _S + "/secrets/{secret_name}", get_secret, _R),
    Route("DELETE", _S + "/secrets/{secret_name}", delete_secret, _W),
]
