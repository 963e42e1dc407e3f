"""Workers script settings and secrets (api-notes §1.3 step 3, §4.1, §6.5).

`/settings` shows bindings with secrets by name and type only and can change bindings or
compatibility settings (a new deployed version); `/script-settings` holds the non-versioned
settings. Putting or deleting a secret makes and deploys a new version, as the real API does.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from tests.fakes import multipart
from tests.fakes.routing import Ctx, Route
from tests.fakes.state_workers import (Script, apply_secrets, build_version, deploy, get_script,
                                       redeploy_current)
from tests.fakes.wire import Fail

_SCRIPT_SETTINGS = ("logpush", "observability", "tags", "tail_consumers")


def _settings(script: Script) -> dict[str, Any]:
    v = script.current
    return {"bindings": script.public_bindings(), "compatibility_date": v.compatibility_date,
            "compatibility_flags": v.compatibility_flags, "logpush": script.logpush,
            "observability": script.observability, "placement": script.placement or {}, "tags": list(script.tags),
            "tail_consumers": script.tail_consumers, "usage_model": script.usage_model, "limits": {}}


def get_settings(ctx: Ctx) -> dict[str, Any]:
    """GET .../settings: bindings (secrets without values) and runtime settings."""
    return _settings(get_script(ctx))


def patch_settings(ctx: Ctx) -> dict[str, Any]:
    """PATCH .../settings (multipart `settings` part): bindings/compat changes make a new version."""
    script = get_script(ctx)
    try:
        parts = multipart.parse(ctx.req.headers.get("content-type", ""), ctx.req.body)
        settings = json.loads(next(p.data for p in parts if p.name == "settings"))
    except (multipart.MultipartError, StopIteration, ValueError) as exc:
        raise Fail("script_invalid", detail=f"expected a multipart 'settings' JSON part: {exc}") from None
    for key in ("logpush", "observability", "tags", "tail_consumers", "placement", "usage_model"):
        if key in settings:
            setattr(script, key, settings[key])
    if any(k in settings for k in ("bindings", "compatibility_date", "compatibility_flags")):
        cur = script.current
        meta = {**cur.metadata, **{k: settings[k] for k in ("bindings", "compatibility_date", "compatibility_flags")
                                   if k in settings}}
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
    """PATCH .../script-settings: merge the given keys."""
    script = get_script(ctx)
    body = ctx.body()
    for key in _SCRIPT_SETTINGS:
        if key in body:
            setattr(script, key, body[key] if key != "tags" else list(body[key] or []))
    return {k: getattr(script, k) for k in _SCRIPT_SETTINGS}


def put_secret(ctx: Ctx) -> dict[str, Any]:
    """PUT .../secrets: set one secret; makes and deploys a new version (api-notes §4.1)."""
    script = get_script(ctx)
    body = ctx.body()
    script.secrets[body["name"]] = dict(body)
    redeploy_current(script, "secret")
    return {"name": body["name"], "type": body["type"]}


def list_secrets(ctx: Ctx) -> list[dict[str, Any]]:
    """GET .../secrets: names and types, never values."""
    return [{"name": n, "type": s["type"]} for n, s in sorted(get_script(ctx).secrets.items())]


def _secret_name(ctx: Ctx) -> str:
    name = ctx.p["secret_name"]
    return unquote(name) if ctx.req.q("url_encoded") == "true" else name


def get_secret(ctx: Ctx) -> dict[str, Any]:
    """GET .../secrets/{name}: name and type only."""
    name = _secret_name(ctx)
    s = get_script(ctx).secrets.get(name)
    if s is None:
        raise Fail("secret_not_found", name=name)
    return {"name": name, "type": s["type"]}


def delete_secret(ctx: Ctx) -> None:
    """DELETE .../secrets/{name}: removing a secret also makes a new version."""
    script = get_script(ctx)
    name = _secret_name(ctx)
    if script.secrets.pop(name, None) is None:
        raise Fail("secret_not_found", name=name)
    redeploy_current(script, "secret")
    return None


_S = "/accounts/{account_id}/workers/scripts/{script_name}"
_W, _R = "workers_scripts:write", "workers_scripts:read"
ROUTES = [
    Route("GET", _S + "/settings", get_settings, _R),
    Route("PATCH", _S + "/settings", patch_settings, _W),
    Route("GET", _S + "/script-settings", get_script_settings, _R),
    Route("PATCH", _S + "/script-settings", patch_script_settings, _W),
    Route("PUT", _S + "/secrets", put_secret, _W),
    Route("GET", _S + "/secrets", list_secrets, _R),
    Route("GET", _S + "/secrets/{secret_name}", get_secret, _R),
    Route("DELETE", _S + "/secrets/{secret_name}", delete_secret, _W),
]
