"""DNS records: list with filters and pagination, create/PUT/PATCH/DELETE, and the batch endpoint.

Conflicts follow api-notes §5: an identical record (type + name + content) is 81058 (the older
81057 is one `fake.errors` entry away); a CNAME where other records exist is 81053; any other
record where a CNAME exists is 81054 ("A CNAME record with that host already exists", as the
notes quote it). The batch (`POST .../dns_records/batch`) runs deletes -> patches -> puts ->
posts on a copy of the zone and commits only if every operation succeeds (§6.2).
"""

from __future__ import annotations

import copy
import ipaddress
from typing import Any, Callable

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import Zone
from tests.fakes.wire import Fail, new_id, now_iso, paginate

PROXIABLE = frozenset({"A", "AAAA", "CNAME"})
_WRITABLE = ("type", "name", "content", "ttl", "proxied", "comment", "tags", "priority", "data", "settings")
Records = dict[str, dict[str, Any]]


def normalize_name(name: str, zone: Zone) -> str:
    """Fully qualify a record name (`@` and relative names are placed under the zone)."""
    n = (name or "").strip().rstrip(".").lower()
    if n in ("", "@"):
        return zone.name
    if n == zone.name or n.endswith("." + zone.name):
        return n
    return f"{n}.{zone.name}"


def _invalid(message: str) -> Fail:
    return Fail("dns_validation", chain=[{"code": 9005, "message": message}])


def _check_content(rec: dict[str, Any]) -> None:
    kind, content = rec["type"], rec.get("content")
    try:
        if kind == "A":
            ipaddress.IPv4Address(content)
        elif kind == "AAAA":
            ipaddress.IPv6Address(content)
    except (ipaddress.AddressValueError, ValueError):
        raise _invalid(f"Content for {kind} record must be a valid IPv{4 if kind == 'A' else 6} address.") from None
    if kind in ("CNAME", "MX", "NS", "PTR") and not content:
        raise _invalid(f"Content for {kind} record must be a hostname.")
    if kind == "MX" and "priority" not in rec:
        raise _invalid("MX records require a priority.")
    if rec.get("proxied") and kind not in PROXIABLE:
        raise _invalid(f"{kind} records cannot be proxied.")


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
    comment = rec.get("comment") or ""
    if len(comment) > comment_limit:
        raise Fail("dns_validation", chain=[{"code": 9313, "message": "DNS record comment exceeds the maximum "
                                                                      f"length of {comment_limit} characters."}])


def _check_conflicts(records: Records, rec: dict[str, Any], exclude_id: str | None) -> None:
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
    rec.setdefault("content", "")
    rec.setdefault("ttl", 1)
    rec.setdefault("proxied", False)
    rec.setdefault("comment", None)
    rec.setdefault("tags", [])
    rec.setdefault("settings", {})
    _check_content(rec)
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
    """PATCH semantics: merge `fields` into the record."""
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
    """Filters `field`, `field.exact|contains|startswith|endswith` (case-insensitive), `.present`, `.absent`."""
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
    return [(t.partition(":")[0], t.partition(":")[2]) for t in r.get("tags") or []]


def _tag_preds(ctx: Ctx) -> list[Pred]:
    """Filters `tag=name[:value]`, `tag.exact|contains|startswith|endswith=name:value`, `.present`, `.absent`."""
    preds: list[Pred] = []

    def has(name: str, op: Callable[[str, str], bool] | None = None, wanted: str = "") -> Pred:
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
        preds.append(lambda r: all(tn != absent for tn, _ in _tags(r)))
    return preds


def list_records(ctx: Ctx) -> Any:
    """GET /zones/{z}/dns_records: type/name/content/comment/tag/proxied/search filters, match any|all."""
    q = ctx.req.q
    preds: list[Pred] = []
    if q("type"):
        preds.append(lambda r: r["type"] == (q("type") or "").upper())
    preds += _text_preds(ctx, "name", lambda r: r["name"])
    preds += _text_preds(ctx, "content", lambda r: r.get("content"))
    preds += _text_preds(ctx, "comment", lambda r: r.get("comment"))
    preds += _tag_preds(ctx)
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
    """POST /zones/{z}/dns_records/batch: deletes, patches, puts, posts; all or nothing."""
    body = ctx.body()
    zone = ctx.zone
    ops = {k: body.get(k) or [] for k in ("deletes", "patches", "puts", "posts")}
    count = sum(len(v) for v in ops.values())
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
