"""Validators for the post-deploy hooks: [[dns]] records and [purge] (pure).

DNS records follow the Cloudflare API's rules: A content is IPv4, AAAA is IPv6, ttl is 1
(automatic) or 60-86400, `proxied` exists only for A/AAAA/CNAME and `priority` only (and
always) for MX. A purge is either `everything = true` or lists of files/tags/hosts/
prefixes; file URLs may use the `{routes}` and `{host}` placeholders the planner expands.
Comments are one line; tags are `name:value` with a name of letters, digits, `-` and `_`
(at most 32) and a value of at most 100 characters (Cloudflare's DNS record-attributes
page). How long a comment and how many tags a record may have depends on the zone's plan,
which only the deploy knows: deploy.dns checks that. `dns_batch_size` lowers the records per
DNS batch request below the zone plan's limit.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Any

from cfworker.config.checks import (
    describe,
    expect_bool,
    expect_int,
    expect_str,
    expect_str_list,
    expect_table,
    expect_tables,
)
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.model import DnsRecordSpec, DnsType, PurgeSpec

DNS_TYPES: tuple[DnsType, ...] = ("A", "AAAA", "CNAME", "MX", "TXT", "NS")
PROXIABLE = ("A", "AAAA", "CNAME")
_HOSTNAME = re.compile(r"(?=.{1,253}$)(\*\.)?([A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.)*"
                       r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9])?\.?")
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
# developers.cloudflare.com/dns/manage-dns-records/reference/record-attributes/ (research notes §1.1)
_TAG_NAME = re.compile(r"[A-Za-z0-9_-]{1,32}")
TAG_VALUE_LIMIT = 100
PLACEHOLDERS = ("routes", "host")


def check_dns(d: Diagnostics, path: str, value: Any) -> tuple[DnsRecordSpec, ...]:
    """[[dns]] records; duplicates and CNAMEs sharing a name with other records are errors."""
    out: list[DnsRecordSpec] = []
    seen: set[tuple[str, str, str]] = set()
    types_at: dict[str, dict[str, None]] = {}  # name -> record types there, in order (linear for big lists)
    for item_path, table in expect_tables(d, path, value):
        record = _record(d, item_path, table)
        if record is None:
            continue
        clash = next((t for t in types_at.get(record.name, {}) if t != record.type and "CNAME" in (t, record.type)),
                     None)
        if (record.type, record.name, record.content) in seen:
            d.error(item_path, f"duplicates another {record.type} record for {record.name}", "remove one of them")
        elif clash is not None:
            d.error(item_path, f"{record.name} has a CNAME and a {clash if record.type == 'CNAME' else record.type}"
                    " record; a CNAME cannot share its name", "use a different name, or drop one record")
        else:
            out.append(record)
            seen.add((record.type, record.name, record.content))
            types_at.setdefault(record.name, {})[record.type] = None
    return tuple(out)


def check_dns_batch_size(d: Diagnostics, path: str, value: Any) -> int | None:
    """dns_batch_size: at most this many records per DNS batch request (the zone plan's limit applies too)."""
    return expect_int(d, path, value, low=1, high=3500,
                      hint="remove it to use each zone plan's limit (200 Free, 3,500 paid), or set a lower cap")


def _record(d: Diagnostics, path: str, t: dict[str, Any]) -> DnsRecordSpec | None:
    errors_before = len(d.errors)
    for key, example in (("type", '"A"'), ("name", '"www"'), ("content", '"192.0.2.1"')):
        if key not in t:
            d.error(key_path(path, key), "is required", f"add {key} = {example}")
    rtype = _dns_type(d, key_path(path, "type"), t["type"]) if "type" in t else None
    name = _dns_name(d, key_path(path, "name"), t["name"]) if "name" in t else None
    content = _content(d, key_path(path, "content"), rtype, t["content"]) if "content" in t and rtype else None
    ttl = _ttl(d, key_path(path, "ttl"), t["ttl"]) if "ttl" in t else 1
    proxied = None
    if _only_for(d, t, path, "proxied", rtype, PROXIABLE):
        proxied = expect_bool(d, key_path(path, "proxied"), t["proxied"])
    priority = None
    if rtype == "MX" and "priority" not in t:
        d.error(key_path(path, "priority"), "is required for MX records", "add priority = 10; lower is preferred")
    elif _only_for(d, t, path, "priority", rtype, ("MX",)):
        priority = expect_int(d, key_path(path, "priority"), t["priority"], low=0, high=65535)
    comment = expect_str(d, key_path(path, "comment"), t["comment"], allow_empty=True) if "comment" in t else None
    if comment is not None and ("\n" in comment or "\r" in comment):
        d.error(key_path(path, "comment"), "spans several lines; a DNS record comment is one line", "join the lines")
    tags = _tags(d, key_path(path, "tags"), t["tags"]) if "tags" in t else ()
    zone = expect_str(d, key_path(path, "zone"), t["zone"], hint='write zone = "example.com"') if "zone" in t else None
    if len(d.errors) > errors_before or rtype is None or name is None or content is None or tags is None:
        return None
    return DnsRecordSpec(rtype, name, content, ttl or 1, proxied, priority, comment, tags, zone)


def _tags(d: Diagnostics, path: str, value: Any) -> tuple[str, ...] | None:
    """DNS record tags: `name:value`, name letters/digits/-/_ up to 32, value up to 100 characters."""
    tags = expect_str_list(d, path, value, hint='write tags = ["name:value"]')
    if tags is None:
        return None
    ok = True
    for i, tag in enumerate(tags):
        name, _, tag_value = tag.partition(":")
        if not _TAG_NAME.fullmatch(name):
            d.error(index_path(path, i), f"tag name {describe(name)} is not 1-32 letters, digits, '-' or '_'",
                    'write tags as "name:value", e.g. "owner:web-team"')
            ok = False
        elif len(tag_value) > TAG_VALUE_LIMIT:
            d.error(index_path(path, i), f"the value of tag {name!r} has {len(tag_value)} characters; "
                    f"at most {TAG_VALUE_LIMIT} are allowed", "shorten it")
            ok = False
    return tags if ok else None


def _dns_name(d: Diagnostics, path: str, value: Any) -> str | None:
    name = expect_str(d, path, value, hint='write name = "www", or "@" for the zone apex')
    if name is not None and name != "@" and not _HOSTNAME.fullmatch(name):
        d.error(path, f"{describe(name)} is not a DNS name", 'write a name like "www", "@" or "api.example.com"')
        return None
    return name


def _ttl(d: Diagnostics, path: str, value: Any) -> int | None:
    hint = "use ttl = 1 for automatic, or 60-86400 seconds"
    ttl = expect_int(d, path, value, hint=hint)
    if ttl is not None and ttl != 1 and not 60 <= ttl <= 86400:
        d.error(path, f"{ttl} is not a valid TTL", hint)
        return None
    return ttl


def _dns_type(d: Diagnostics, path: str, value: Any) -> DnsType | None:
    text = expect_str(d, path, value, hint=f"use one of: {', '.join(DNS_TYPES)}")
    for known in DNS_TYPES:
        if text is not None and text.upper() == known:
            return known
    if text is not None:
        d.error(path, f"{describe(text)} is not a record type cfworker manages", f"use one of: {', '.join(DNS_TYPES)}")
    return None


def _only_for(d: Diagnostics, t: dict[str, Any], path: str, key: str, rtype: str | None,
              allowed: tuple[str, ...]) -> bool:
    """True when the key is set and allowed for this record type; an error when set for another type."""
    if key not in t:
        return False
    if rtype is not None and rtype not in allowed:
        d.error(key_path(path, key), f"only applies to {'/'.join(allowed)} records, not {rtype}", f"remove {key}")
        return False
    return True


def _content(d: Diagnostics, path: str, rtype: str, value: Any) -> str | None:
    text = expect_str(d, path, value)
    if text is None:
        return None
    try:
        if rtype == "A":
            ipaddress.IPv4Address(text)
        elif rtype == "AAAA":
            ipaddress.IPv6Address(text)
    except ValueError:
        version = "IPv4" if rtype == "A" else "IPv6"
        d.error(path, f"{describe(text)} is not an {version} address, which an {rtype} record needs",
                "use an AAAA record for IPv6 addresses" if rtype == "A" and ":" in text else
                "use an A record for IPv4 addresses" if rtype == "AAAA" and "." in text else
                f"write the record's {version} address")
        return None
    if rtype in ("CNAME", "NS", "MX") and not _HOSTNAME.fullmatch(text):
        d.error(path, f"{describe(text)} is not a hostname, which a {rtype} record points to",
                'write a hostname like "target.example.com", without scheme or path')
        return None
    return text


def check_purge(d: Diagnostics, path: str, value: Any) -> PurgeSpec | None:
    """[purge]: everything = true, or lists of files/tags/hosts/prefixes; chunk_size 1-500."""
    table = expect_table(d, path, value, hint='write [purge] with everything = true or files = ["https://..."]')
    if table is None:
        return None
    errors_before = len(d.errors)
    everything = expect_bool(d, key_path(path, "everything"), table["everything"]) if "everything" in table else False
    lists: dict[str, tuple[str, ...]] = {}
    for key in ("files", "tags", "hosts", "prefixes"):
        if key in table:
            items = expect_str_list(d, key_path(path, key), table[key], hint=f'write {key} = ["..."]')
            if items is not None and _purge_items(d, key_path(path, key), key, items):
                lists[key] = items
    listed = [k for k, v in lists.items() if v]
    if everything and listed:
        d.error(key_path(path, "everything"), f"everything = true purges the whole zone, so {', '.join(listed)} "
                "would be ignored", "remove everything = true, or remove the lists")
    elif not everything and not listed and len(d.errors) == errors_before:
        d.error(path, "purges nothing", 'set everything = true, or list files = ["https://example.com/app.js"]')
    chunk_size = 100
    if "chunk_size" in table:
        chunk_size = expect_int(d, key_path(path, "chunk_size"), table["chunk_size"], low=1, high=500) or 100
        if chunk_size > 100:
            d.warn(key_path(path, "chunk_size"), f"{chunk_size} items per request needs an Enterprise plan (URLs only)",
                   "use chunk_size = 100 or less unless the zone is on Enterprise")
    zone = expect_str(d, key_path(path, "zone"), table["zone"]) if "zone" in table else None
    if len(d.errors) > errors_before:
        return None
    return PurgeSpec(bool(everything), lists.get("files", ()), lists.get("tags", ()), lists.get("hosts", ()),
                     lists.get("prefixes", ()), zone, chunk_size)


def _purge_items(d: Diagnostics, path: str, key: str, items: tuple[str, ...]) -> bool:
    ok = True
    for i, item in enumerate(items):
        item_path = index_path(path, i)
        unknown = [p for p in _PLACEHOLDER.findall(item) if p not in PLACEHOLDERS]
        if key == "files" and unknown:
            d.error(item_path, f"unknown placeholder {{{unknown[0]}}}", "use {routes} or {host}")
            ok = False
        elif key == "files" and not item.startswith(("http://", "https://")) and not _PLACEHOLDER.search(item):
            d.error(item_path, f"{describe(item)} is not a full URL",
                    'write "https://example.com/app.js", or "https://{host}/app.js" for each route host')
            ok = False
        elif key in ("hosts", "prefixes") and "://" in item:
            d.error(item_path, f"{describe(item)} starts with a scheme", f"drop the scheme: {item.split('://', 1)[1]!r}")
            ok = False
        elif key == "hosts" and ("/" in item or not _HOSTNAME.fullmatch(item)):
            d.error(item_path, f"{describe(item)} is not a hostname", 'write hosts = ["www.example.com"]')
            ok = False
    return ok
