"""DNS records: list with filters and pagination, create/PUT/PATCH/DELETE, and the batch endpoint.

Conflicts follow api-notes §5: an identical record (type + name + content) is 81058 (the older
81057 is one `fake.errors` entry away); a CNAME where other records exist is 81053; any other
record where a CNAME exists is 81054 ("A CNAME record with that host already exists", as the
notes quote it). The batch (`POST .../dns_records/batch`) runs deletes -> patches -> puts ->
posts on a copy of the zone and commits only if every operation succeeds (§6.2; research notes
12-13 §1.3: "no changes are applied and the API returns the first error it encountered").
Invalid records answer 1004 "DNS Validation Error" with a 9xxx `error_chain` (research notes
§1.2; 9005 for bad content as quoted real answers show; other chain codes are unverified).
"""

from __future__ import annotations

import copy
import ipaddress
import re
from collections.abc import Callable
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import Zone
from tests.fakes.wire import Fail, new_id, now_iso, paginate

PROXIABLE = frozenset({"A", "AAAA", "CNAME"})  # the record types Cloudflare's proxy serves (DNS docs; unverified here)
_WRITABLE = ("type", "name", "content", "ttl", "proxied", "comment", "tags", "priority", "data", "settings")
Records = dict[str, dict[str, Any]]


def normalize_name(name: str, zone: Zone) -> str:
    """Fully qualify a record name (`@` and relative names are placed under the zone).

    `@` is the apex (schema: dns-records_name); completing a relative name the way the dashboard
    does is unverified for the API. Names compare case-insensitively, as DNS names do.
    """
    n = (name or "").strip().rstrip(".").lower()
    if n in ("", "@"):
        return zone.name
    if n == zone.name or n.endswith("." + zone.name):
        return n
    return f"{n}.{zone.name}"


def _invalid(message: str) -> Fail:
    return Fail("dns_validation", chain=[{"code": 9005, "message": message}])


_TAG_NAME = re.compile(r"^[A-Za-z0-9_-]+$")


def _check_content(rec: dict[str, Any], zone: Zone) -> None:
    kind, content = rec["type"], rec.get("content")
    try:
        if kind == "A":
            ipaddress.IPv4Address(content)
        elif kind == "AAAA":
            ipaddress.IPv6Address(content)
    except (ipaddress.AddressValueError, ValueError):
        raise _invalid(f"Content for {kind} record must be a valid IPv{4 if kind == 'A' else 6} address.") from None
    if kind in ("CNAME", "MX", "NS", "PTR") and not content:  # hostname content (schema record types; text unverified)
        raise _invalid(f"Content for {kind} record must be a hostname.")
    if kind in ("MX", "URI") and "priority" not in rec:  # schema: dns-records_priority "Required for MX, SRV and URI"
        raise _invalid(f"{kind} records require a priority.")  # (SRV carries it in `data`, not checked)
    if rec.get("proxied") and kind not in PROXIABLE:  # text unverified
        raise _invalid(f"{kind} records cannot be proxied.")
    # ttl: 1 (automatic) or 60-86400, the minimum reduced to 30 on Enterprise (schema: dns-records_ttl
    # description; its numeric range allows 30 everywhere, so the fake applies the description). Text unverified.
    ttl = rec.get("ttl")
    low = 30 if zone.plan == "enterprise" else 60
    if isinstance(ttl, (int, float)) and ttl != 1 and not low <= ttl <= 86400:
        raise _invalid(f"TTL must be between {low} and 86400 seconds, or 1 for Automatic.")


# Per zone plan: comment length and tags per record (developers.cloudflare.com/dns/manage-dns-records/
# reference/record-attributes/). The errors are the ones users quote: 1004 with 9300 for tags over the
# quota (terraform-provider-cloudflare#3217), 9313 for a long comment (research notes §1.2).
_ATTRIBUTE_LIMITS = {"free": (100, 0)}
_PAID_LIMITS = (500, 20)


def _check_attributes(rec: dict[str, Any], zone: Zone) -> None:
    comment_limit, tag_quota = _ATTRIBUTE_LIMITS.get(zone.plan, _PAID_LIMITS)
    tags = rec.get("tags") or []
    if len(tags) > tag_quota:
        raise Fail("dns_validation", chain=[{"code": 9300, "message": f"DNS record has {len(tags)} tags, exceeding "
                                                                      f"the quota of {tag_quota}."}])
    # Tag form `name:value`, the name only letters, digits, `_` and `-` (schema: dns-records_tags items;
    # record-attributes page), name at most 32 and value at most 100 characters (research notes §1.1).
    # Whether a value-less `name` may be written is unverified: refused, the less forgiving choice.
    # Chain code and texts unverified.
    for tag in tags:
        name, sep, value = str(tag).partition(":")
        if not sep or not _TAG_NAME.match(name) or len(name) > 32 or len(value) > 100 or "\n" in value or "\r" in value:
            raise _invalid(f"Tag {str(tag)[:140]!r} must be name:value; the name of at most 32 letters, digits, "
                           "'_' or '-', the value at most 100 characters.")
    comment = rec.get("comment") or ""
    if len(comment) > comment_limit:
        raise Fail("dns_validation", chain=[{"code": 9313, "message": "DNS record comment exceeds the maximum "
                                                                      f"length of {comment_limit} characters."}])
    if "\n" in comment or "\r" in comment:  # "no \n or \r" (record-attributes page, research notes §1.1); text unverified
        raise _invalid("DNS record comment must not contain line breaks.")


def _check_conflicts(records: Records, rec: dict[str, Any], exclude_id: str | None) -> None:
    # api-notes §5. Identical = same type, name and content, content compared case-insensitively
    # (no evidence found; the less forgiving choice).
    same_name = [r for r in records.values() if r["name"] == rec["name"] and r["id"] != exclude_id]
    for r in same_name:
        if r["type"] == rec["type"] and str(r.get("content", "")).lower() == str(rec.get("content", "")).lower():
            raise Fail("dns_identical_record")
    if rec["type"] == "CNAME" and same_name:
        raise Fail("dns_cname_conflict")
    if any(r["type"] == "CNAME" for r in same_name):
        raise Fail("dns_has_cname")


def _build(zone: Zone, fields: dict[str, Any], old: dict[str, Any] | None) -> dict[str, Any]:
    ts = now_iso()
    rec = {k: copy.deepcopy(v) for k, v in fields.items() if k in _WRITABLE}
    if "name" not in rec or "type" not in rec:
        raise _invalid("A record needs a type and a name.")
    rec["type"] = str(rec["type"]).upper()
    rec["name"] = normalize_name(str(rec["name"]), zone)
    # Defaults for omitted fields (schema: ttl 1, proxied false, tags []); a PUT resets what it omits
    # (research notes 12-13 §1.3, batch `puts`).
    rec.setdefault("content", "")
    rec.setdefault("ttl", 1)
    rec.setdefault("proxied", False)
    rec.setdefault("comment", None)
    rec.setdefault("tags", [])
    rec.setdefault("settings", {})
    _check_content(rec, zone)
    _check_attributes(rec, zone)
    out = {"id": old["id"] if old else new_id(), "zone_id": zone.id, "zone_name": zone.name, **rec,
           "proxiable": rec["type"] in PROXIABLE,
           "meta": {"auto_added": False, "managed_by_apps": False, "managed_by_argo_tunnel": False},
           "created_on": old["created_on"] if old else ts, "modified_on": ts}
    return out


def create_in(records: Records, zone: Zone, fields: dict[str, Any]) -> dict[str, Any]:
    """Validate and add a record to `records`; returns it."""
    rec = _build(zone, fields, None)
    _check_conflicts(records, rec, None)
    records[rec["id"]] = rec
    return rec


def _existing(records: Records, record_id: Any) -> dict[str, Any]:
    rec = records.get(record_id) if isinstance(record_id, str) else None
    if rec is None:
        raise Fail("dns_record_not_found")
    return rec


def replace_in(records: Records, zone: Zone, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """PUT semantics: the record's writable fields become exactly `fields`."""
    old = _existing(records, record_id)
    rec = _build(zone, fields, old)
    _check_conflicts(records, rec, record_id)
    records[record_id] = rec
    return rec


def patch_in(records: Records, zone: Zone, record_id: str, fields: dict[str, Any]) -> dict[str, Any]:
    """PATCH semantics: merge `fields` into the record (SDK records.edit; api-notes §6.2)."""
    old = _existing(records, record_id)
    merged = {k: old[k] for k in _WRITABLE if k in old}
    merged.update({k: v for k, v in fields.items() if k in _WRITABLE})
    rec = _build(zone, merged, old)
    _check_conflicts(records, rec, record_id)
    records[record_id] = rec
    return rec


# -- listing ------------------------------------------------------------------------------------

Pred = Callable[[dict[str, Any]], bool]
_TEXT_OPS: dict[str, Callable[[str, str], bool]] = {
    "": lambda a, b: a == b, ".exact": lambda a, b: a == b, ".contains": lambda a, b: b in a,
    ".startswith": lambda a, b: a.startswith(b), ".endswith": lambda a, b: a.endswith(b)}


def _text_preds(ctx: Ctx, field: str, get: Callable[[dict[str, Any]], Any]) -> list[Pred]:
    """Filters `field`, `field.exact|contains|startswith|endswith` (case-insensitive), `.present`, `.absent`.

    Schema: comment filters are case-insensitive; for name and content the same is assumed
    (unverified; DNS names are case-insensitive).
    """
    preds: list[Pred] = []

    def matcher(op: Callable[[str, str], bool], wanted: str) -> Pred:
        return lambda r: get(r) is not None and op(str(get(r)).lower(), wanted)
    for suffix, op in _TEXT_OPS.items():
        value = ctx.req.q(field + suffix)
        if value is not None:
            preds.append(matcher(op, value.lower()))
    if ctx.req.q(field + ".present") is not None:
        preds.append(lambda r: bool(get(r)))
    if ctx.req.q(field + ".absent") is not None:
        preds.append(lambda r: not get(r))
    return preds


def _tags(r: dict[str, Any]) -> list[tuple[str, str]]:
    return [(t.partition(":")[0].lower(), t.partition(":")[2].lower()) for t in r.get("tags") or []]


def _tag_preds(ctx: Ctx) -> list[Pred]:
    """Filters `tag=name[:value]`, `tag.exact|contains|startswith|endswith=name:value`, `.present`, `.absent`.

    Schema: each parameter's description, and "Tag filters are case-insensitive".
    """
    preds: list[Pred] = []

    def has(name: str, op: Callable[[str, str], bool] | None = None, wanted: str = "") -> Pred:
        name, wanted = name.lower(), wanted.lower()
        return lambda r: any(tn == name and (op is None or op(tv, wanted)) for tn, tv in _tags(r))
    for tag in ctx.req.query.get("tag", []):
        name, sep, value = tag.partition(":")
        preds.append(has(name, _TEXT_OPS[""] if sep else None, value))
    for suffix, op in _TEXT_OPS.items():
        raw = ctx.req.q("tag" + suffix) if suffix else None
        if raw is not None:
            name, _, value = raw.partition(":")
            preds.append(has(name, op, value))
    present, absent = ctx.req.q("tag.present"), ctx.req.q("tag.absent")
    if present is not None:
        preds.append(has(present))
    if absent is not None:
        preds.append(lambda r: all(tn != absent.lower() for tn, _ in _tags(r)))
    return preds


def list_records(ctx: Ctx) -> Any:
    """GET /zones/{z}/dns_records: type/name/content/comment/tag/proxied/search filters, match any|all.

    Schema: tag filters combine by `tag_match` (default all) and that result combines with the
    other filters by `match` (default all). `search` is "intentionally left unspecified" (schema):
    here a substring of name, content or comment. Order: `order` (default type) and `direction`
    (default asc), ties by name then content (unverified). Page size: default 100, max 5,000,000.
    """
    q = ctx.req.q
    preds: list[Pred] = []
    if q("type"):
        preds.append(lambda r: r["type"] == (q("type") or "").upper())
    preds += _text_preds(ctx, "name", lambda r: r["name"])
    preds += _text_preds(ctx, "content", lambda r: r.get("content"))
    preds += _text_preds(ctx, "comment", lambda r: r.get("comment"))
    tag_preds = _tag_preds(ctx)
    if tag_preds:
        tag_combine = any if q("tag_match") == "any" else all
        preds.append(lambda r: tag_combine(p(r) for p in tag_preds))
    if q("proxied") is not None:
        preds.append(lambda r: bool(r.get("proxied")) == (q("proxied") == "true"))
    if q("search"):
        s = (q("search") or "").lower()
        preds.append(lambda r: any(s in str(r.get(k) or "").lower() for k in ("name", "content", "comment")))
    combine = any if q("match") == "any" else all
    recs = [r for r in ctx.state.dns.get(ctx.zone.id, {}).values() if not preds or combine(p(r) for p in preds)]
    order = q("order") or "type"
    recs.sort(key=lambda r: (str(r.get(order, "")), r["name"], str(r.get("content", ""))),
              reverse=q("direction") == "desc")
    return paginate(copy.deepcopy(recs), ctx.req, default_per_page=100, max_per_page=5_000_000)


# -- single-record handlers ---------------------------------------------------------------------

def _records(ctx: Ctx) -> Records:
    return ctx.state.dns.setdefault(ctx.zone.id, {})


def create_record(ctx: Ctx) -> dict[str, Any]:
    """POST /zones/{z}/dns_records."""
    return copy.deepcopy(create_in(_records(ctx), ctx.zone, ctx.body()))


def get_record(ctx: Ctx) -> dict[str, Any]:
    """GET /zones/{z}/dns_records/{id}."""
    return copy.deepcopy(_existing(_records(ctx), ctx.p["dns_record_id"]))


def put_record(ctx: Ctx) -> dict[str, Any]:
    """PUT /zones/{z}/dns_records/{id}."""
    return copy.deepcopy(replace_in(_records(ctx), ctx.zone, ctx.p["dns_record_id"], ctx.body()))


def patch_record(ctx: Ctx) -> dict[str, Any]:
    """PATCH /zones/{z}/dns_records/{id}."""
    return copy.deepcopy(patch_in(_records(ctx), ctx.zone, ctx.p["dns_record_id"], ctx.body()))


def delete_record(ctx: Ctx) -> dict[str, Any]:
    """DELETE /zones/{z}/dns_records/{id} -> {id}."""
    records = _records(ctx)
    rec = _existing(records, ctx.p["dns_record_id"])
    del records[rec["id"]]
    return {"id": rec["id"]}


def batch(ctx: Ctx) -> dict[str, Any]:
    """POST /zones/{z}/dns_records/batch: deletes, patches, puts, posts; all or nothing.

    The failing operation is named in the error's `meta` ({"operation": "posts[0]"}): the real
    API is documented only to return "the first error it encountered" (research notes §1.3), so
    this `meta` is unverified; tests/fakes pins it.
    """
    body = ctx.body()
    zone = ctx.zone
    ops = {k: body.get(k) or [] for k in ("deletes", "patches", "puts", "posts")}
    count = sum(len(v) for v in ops.values())  # every operation counts toward the plan's limit (quirks #10)
    limit = ctx.state.config.dns_batch_limits.get(zone.plan, 200)
    if count > limit:
        raise Fail("dns_batch_too_large", count=count, limit=limit)
    work = copy.deepcopy(_records(ctx))
    out: dict[str, list[dict[str, Any]]] = {k: [] for k in ops}
    for section, items in ops.items():
        for i, item in enumerate(items):
            try:
                if section == "deletes":
                    rec = _existing(work, item.get("id"))
                    del work[rec["id"]]
                elif section == "patches":
                    rec = patch_in(work, zone, str(item.get("id")), item)
                elif section == "puts":
                    rec = replace_in(work, zone, str(item.get("id")), item)
                else:
                    rec = create_in(work, zone, item)
            except Fail as exc:
                exc.meta = {"operation": f"{section}[{i}]"}
                raise
            out[section].append(copy.deepcopy(rec))
    ctx.state.dns[zone.id] = work
    return out


_Z = "/zones/{zone_id}/dns_records"
# Scopes: schema x-cfPermissionsRequired #dns_records:read / #dns_records:edit; batch: "DNS Write".
ROUTES = [
    # name.*/content.* operators: SDK record_list_params (api-notes §6.2); the subset lists only name/content.
    Route("GET", _Z, list_records, "dns:read", extra_params=tuple(
        f"{f}{op}" for f in ("name", "content") for op in (".exact", ".contains", ".startswith", ".endswith"))),
    Route("POST", _Z, create_record, "dns:write"),
    Route("POST", _Z + "/batch", batch, "dns:write"),
    Route("GET", _Z + "/{dns_record_id}", get_record, "dns:read"),
    Route("PUT", _Z + "/{dns_record_id}", put_record, "dns:write"),
    Route("PATCH", _Z + "/{dns_record_id}", patch_record, "dns:write"),
    Route("DELETE", _Z + "/{dns_record_id}", delete_record, "dns:write"),
]
