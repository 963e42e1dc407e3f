"""Validators for the Worker's identity, routes, triggers and script settings (pure).

name, main, compatibility_date/flags, account_id, route/routes, [triggers] crons,
observability, placement and usage_model. Each `check_*` reports into Diagnostics and
returns the validated value, or None when the value is absent or invalid.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

from cfworker.config.checks import (
    describe,
    expect_bool,
    expect_hex32,
    expect_int,
    expect_list,
    expect_one_of,
    expect_str,
    expect_str_list,
    expect_table,
    expect_tables,
)
from cfworker.config.cron import check_cron
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.model import RouteSpec

# The API accepts underscores (its path pattern is ^[a-z0-9_][a-z0-9-_]*$); they only break
# the workers.dev hostname, so they get a warning rather than an error.
WORKER_NAME = re.compile(r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?")
NAME_RULE = ("a Worker name uses lowercase letters, digits and dashes (underscores are allowed but break "
             "workers.dev), at most 63 characters, not starting or ending with a dash")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ENTRY_SUFFIXES = (".js", ".mjs", ".cjs", ".ts", ".mts", ".cts", ".jsx", ".tsx")
_ACCOUNT_WHERE = "copy it from the dashboard URL, dash.cloudflare.com/<account id>, or from `cfworker whoami`"


def check_name(d: Diagnostics, path: str, value: Any, *, derived: str | None = None) -> str | None:
    """A Worker name; `derived` explains where a computed name came from (`<name>-<env>`)."""
    text = expect_str(d, path, value, hint='set name = "my-worker"')
    if text is None:
        return None
    if not WORKER_NAME.fullmatch(text):
        fixed = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")[:63].strip("-")
        origin = f" ({derived})" if derived else ""
        suggestion = f'e.g. "{fixed}"' if fixed and WORKER_NAME.fullmatch(fixed) else 'e.g. "my-worker"'
        where = f"; set name = {suggestion[5:]} in [{path}] to choose it" if derived else ""
        d.error(path, f"{describe(text)}{origin} is not a valid Worker name", f"{NAME_RULE}; {suggestion}{where}")
        return None
    if "_" in text:
        d.warn(path, f"{describe(text)} contains an underscore, which a *.workers.dev hostname cannot carry",
               f'use dashes instead (e.g. "{text.replace("_", "-")}") if the Worker should answer on workers.dev')
    return text


def check_main(d: Diagnostics, path: str, value: Any, root: Path) -> Path | None:
    """The entry module, relative to the folder of worker.toml, as an absolute path."""
    text = expect_str(d, path, value, hint='set main = "src/index.ts" (relative to worker.toml)')
    if text is None:
        return None
    suffix = Path(text).suffix.lower()
    if suffix == ".py":
        d.error(path, f"{describe(text)} is a Python Worker, which cfworker cannot build",
                "deploy Python Workers with wrangler")
        return None
    if suffix not in _ENTRY_SUFFIXES:
        d.error(path, f"{describe(text)} is not a JavaScript or TypeScript module",
                f"point main at the entry module ({', '.join(_ENTRY_SUFFIXES)})")
        return None
    return Path(os.path.normpath(root / text))


def check_compatibility_date(d: Diagnostics, path: str, value: Any, today: datetime.date) -> str | None:
    """YYYY-MM-DD, a real date, not after today."""
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        value = value.isoformat()  # an unquoted TOML date means the same thing
    hint = f'write compatibility_date = "{today.isoformat()}", which is today, or an earlier date'
    text = expect_str(d, path, value, hint=hint)
    if text is None:
        return None
    try:
        parsed = datetime.date.fromisoformat(text) if _DATE.fullmatch(text) else None
    except ValueError:
        parsed = None
    if parsed is None:
        d.error(path, f"{describe(text)} is not a date in the form YYYY-MM-DD", hint)
        return None
    if parsed > today:
        d.error(path, f"{text} is in the future (today is {today.isoformat()})", hint)
        return None
    return text


def check_account_id(d: Diagnostics, path: str, value: Any) -> str | None:
    """32 lowercase hex; `account_id = ""` (common in wrangler templates) counts as absent."""
    if value == "":
        d.warn(path, "is empty, so it is treated as absent",
               'remove account_id = ""; the account comes from CLOUDFLARE_ACCOUNT_ID or your token')
        return None
    return expect_hex32(d, path, value, what="account id", where=_ACCOUNT_WHERE)


def check_routes(d: Diagnostics, layer: dict[str, Any], prefix: str) -> tuple[RouteSpec, ...] | None:
    """`route` (one) or `routes` (a list), never both; None when neither is set."""
    route_path, routes_path = key_path(prefix, "route"), key_path(prefix, "routes")
    if "route" in layer and "routes" in layer:
        d.error(route_path, "route and routes are both set", "keep only routes = [...], which can hold every pattern")
        return None
    if "route" in layer:
        if layer["route"] == "":
            d.warn(route_path, "is empty, so it is ignored", 'remove route = ""')
            return ()
        one = _route(d, route_path, layer["route"])
        return (one,) if one else None
    if "routes" not in layer:
        return None
    items = expect_list(d, routes_path, layer["routes"],
                        hint='write routes = ["example.com/*", { pattern = "api.example.com", custom_domain = true }]')
    if items is None:
        return None
    out: list[RouteSpec] = []
    for i, item in enumerate(items):
        spec = _route(d, index_path(routes_path, i), item)
        if spec and any(r.pattern == spec.pattern for r in out):
            d.error(index_path(routes_path, i), f"pattern {describe(spec.pattern)} is listed twice", "remove the duplicate")
        elif spec:
            out.append(spec)
    return tuple(out)


def _route(d: Diagnostics, path: str, value: Any) -> RouteSpec | None:
    if isinstance(value, str):
        pattern = _pattern(d, path, value)
        return RouteSpec(pattern) if pattern else None
    table = expect_table(d, path, value, hint='write a pattern string "example.com/*" or { pattern = "...", zone_name = "..." }')
    if table is None:
        return None
    if "pattern" not in table:
        d.error(key_path(path, "pattern"), "is required", 'add pattern = "example.com/*"')
        return None
    pattern = _pattern(d, key_path(path, "pattern"), table["pattern"])
    ok = pattern is not None
    zone_name = zone_id = None
    if "zone_name" in table and "zone_id" in table:
        d.error(key_path(path, "zone_id"), "zone_name and zone_id are both set", "keep one of them (zone_name is easier to read)")
        ok = False
    if "zone_name" in table:
        zone_name = expect_str(d, key_path(path, "zone_name"), table["zone_name"])
        ok = ok and zone_name is not None
    if "zone_id" in table:
        zone_id = expect_hex32(d, key_path(path, "zone_id"), table["zone_id"], what="zone id",
                               where="copy it from the zone's overview page, or use zone_name instead")
        ok = ok and zone_id is not None
    custom = False
    if "custom_domain" in table:
        custom = bool(expect_bool(d, key_path(path, "custom_domain"), table["custom_domain"]))
        ok = ok and isinstance(table["custom_domain"], bool)
    if custom and pattern and ("*" in pattern or "/" in pattern):
        d.error(key_path(path, "pattern"), f"{describe(pattern)} is not a bare hostname, which a custom domain needs",
                'write pattern = "api.example.com" with no path and no *, or drop custom_domain to use a route')
        ok = False
    return RouteSpec(pattern, zone_name, zone_id, custom) if ok and pattern else None


def _pattern(d: Diagnostics, path: str, value: Any) -> str | None:
    text = expect_str(d, path, value, hint='write a pattern like "example.com/*"')
    if text is not None and (text != text.strip() or " " in text):
        d.error(path, f"{describe(text)} contains spaces", "remove the spaces from the pattern")
        return None
    return text


def check_crons(d: Diagnostics, path: str, value: Any) -> tuple[str, ...] | None:
    """[triggers] crons: each a Cloudflare cron expression; [] clears the schedules."""
    table = expect_table(d, path, value, hint='write [triggers] with crons = ["*/15 * * * *"]')
    if table is None or "crons" not in table:
        return None
    crons_path = key_path(path, "crons")
    crons = expect_str_list(d, crons_path, table["crons"], hint='write crons = ["0 * * * *", ...]')
    if crons is None:
        return None
    ok = True
    for i, cron in enumerate(crons):
        problem = check_cron(cron)
        if problem:
            d.error(index_path(crons_path, i), f"{describe(cron)}: {problem[0]}", problem[1])
            ok = False
    return crons if ok else None


def check_observability(d: Diagnostics, path: str, value: Any) -> dict[str, Any] | None:
    """[observability]: `enabled` a boolean, `head_sampling_rate` 0..1; other keys are sent as they are."""
    table = expect_table(d, path, value, hint="write [observability] with enabled = true")
    if table is None:
        return None
    ok = "enabled" not in table or expect_bool(d, key_path(path, "enabled"), table["enabled"]) is not None
    rate = table.get("head_sampling_rate")
    if "head_sampling_rate" in table and (isinstance(rate, bool) or not isinstance(rate, (int, float))
                                          or not 0 <= rate <= 1):
        d.error(key_path(path, "head_sampling_rate"), f"expected a number from 0 to 1 but got {describe(rate)}",
                "write e.g. head_sampling_rate = 0.1 to keep 10% of requests")
        ok = False
    return dict(table) if ok else None


def check_placement(d: Diagnostics, path: str, value: Any) -> dict[str, Any] | None:
    """[placement]: a table with `mode` ("smart" or "off"); sent as it is."""
    table = expect_table(d, path, value, hint='write [placement] with mode = "smart"')
    if table is None:
        return None
    if "mode" not in table:
        d.error(key_path(path, "mode"), "is required", 'add mode = "smart" (or "off")')
        return None
    mode = expect_str(d, key_path(path, "mode"), table["mode"])
    if mode is None:
        return None
    if mode not in ("smart", "off"):
        d.warn(key_path(path, "mode"), f"{describe(mode)} is not a mode cfworker knows; it is sent as written",
               'Smart Placement uses mode = "smart"')
    return dict(table)


def check_usage_model(d: Diagnostics, path: str, value: Any) -> str | None:
    """standard, bundled or unbound."""
    return expect_one_of(d, path, value, ("standard", "bundled", "unbound"))



# Script tags: at most 8 per script, none with ',' or '&' (Workers for Platforms tags docs,
# real-api-quirks #5). cfworker writes no tags of its own; tags set elsewhere count too and
# are checked against the live script at deploy time.
MAX_SCRIPT_TAGS = 8
_TAG_FORBIDDEN = (",", "&")


def check_tags(d: Diagnostics, path: str, value: Any) -> tuple[str, ...] | None:
    """tags: a list of strings, 8 at most, no ',' or '&', no duplicates."""
    tags = expect_str_list(d, path, value, hint='write tags = ["team:web"]')
    if tags is None:
        return None
    ok = True
    for i, tag in enumerate(tags):
        if not tag.strip():
            d.error(index_path(path, i), "is empty", "remove it")
            ok = False
        elif any(c in tag for c in _TAG_FORBIDDEN):
            d.error(index_path(path, i), f"{describe(tag)} contains ',' or '&', which Cloudflare refuses in a tag",
                    'use ":" or "=" to separate parts, e.g. "team:web"')
            ok = False
        elif tag in tags[:i]:
            d.warn(index_path(path, i), f"{describe(tag)} is listed twice", "remove the duplicate")
    if len(set(tags)) > MAX_SCRIPT_TAGS:
        d.error(path, f"has {len(set(tags))} tags; a Worker can carry at most {MAX_SCRIPT_TAGS}, and tags set in the "
                "dashboard or by other tools count too", f"keep at most {MAX_SCRIPT_TAGS}")
        ok = False
    return tuple(dict.fromkeys(tags)) if ok else None


def check_limits(d: Diagnostics, path: str, value: Any) -> dict[str, Any] | None:
    """limits = { cpu_ms?, subrequests? }: sent in the upload metadata as written (api-notes §2.2)."""
    table = expect_table(d, path, value, hint="write limits = { cpu_ms = 50 }")
    if table is None:
        return None
    out: dict[str, Any] = {}
    ok = True
    for key, low, high in (("cpu_ms", 1, 300_000), ("subrequests", 1, 10_000_000)):
        if key in table:
            found = expect_int(d, key_path(path, key), table[key], low=low, high=high)
            ok = ok and found is not None
            if found is not None:
                out[key] = found
    for key in table:
        if key not in ("cpu_ms", "subrequests"):
            d.error(key_path(path, key), "unknown key", "limits takes cpu_ms and subrequests")
            ok = False
    return out if ok else None


def check_tail_consumers(d: Diagnostics, path: str, value: Any, *, environment: bool) -> tuple[dict[str, Any], ...] | None:
    """tail_consumers = [{ service, environment? }] (streaming_tail_consumers: [{ service }])."""
    out = []
    ok = True
    for item_path, table in expect_tables(d, path, value):
        if "service" not in table:
            d.error(key_path(item_path, "service"), "is required", 'add service = "my-tail-worker"')
            ok = False
            continue
        service = expect_str(d, key_path(item_path, "service"), table["service"])
        entry: dict[str, Any] = {"service": service}
        if environment and "environment" in table:
            entry["environment"] = expect_str(d, key_path(item_path, "environment"), table["environment"])
        if any(v is None for v in entry.values()):
            ok = False
            continue
        out.append(entry)
    return tuple(out) if ok and isinstance(value, list) else None
