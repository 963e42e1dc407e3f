"""[assets] for `cfworker dev`: `_redirects`/`_headers` parsed, and the config the assets service reads (pure).

Cloudflare parses the two rule files on its side (the deploy sends them as text); locally they
are parsed here, as wrangler's dev server does (workers-shared utils/configuration
parseRedirects.ts, parseHeaders.ts, constructConfiguration.ts; research-16 B10). An invalid
line is a warning and is skipped, never an error. `assets_config()` is everything the JS
service (`cfworker.dev.assets_js`) needs: the files with their ETag and Content-Type, the
compiled rules, html_handling / not_found_handling, and how requests are split between the
assets and the Worker (run_worker_first, research-16 B9).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cfworker.errors import UserError

if TYPE_CHECKING:
    from cfworker.assets.manifest import AssetManifest
    from cfworker.config.model import AssetsSpec

REDIRECTS_VERSION = 1
HEADERS_VERSION = 2
PERMITTED_STATUS_CODES = frozenset({200, 301, 302, 303, 307, 308})
MAX_LINE_LENGTH = 2000
MAX_HEADER_RULES = 100
MAX_DYNAMIC_REDIRECT_RULES = 100
MAX_STATIC_REDIRECT_RULES = 2000
MAX_ROUTES_RULES = 100
MAX_ROUTES_RULE_LENGTH = 100
UNSET_OPERATOR = "! "
# On by default from this date unless `assets_navigation_has_no_effect` is set (compatibility-flags.ts).
NAVIGATION_FLAG, NAVIGATION_OFF_FLAG, NAVIGATION_DATE = (
    "assets_navigation_prefers_asset_serving", "assets_navigation_has_no_effect", "2025-04-01")
ASSET_FLAGS = frozenset({NAVIGATION_FLAG, NAVIGATION_OFF_FLAG})  # read by the assets service, not by workerd

_SPLAT = re.compile(r"\*")
_PLACEHOLDER = re.compile(r":[A-Za-z]\w*")
_URL = re.compile(r"^https://+(?P<host>[^/]+)/?(?P<path>.*)", re.DOTALL)
_HOST_WITH_PORT = re.compile(r".*:\d+$", re.DOTALL)
_PATH_LINE = re.compile(r"^(\S+://|/)")
_TO_INDEX = re.compile(r"/index(\.html)?$")
_JS_WHITESPACE = re.compile(r"\s+")  # Python's \s (str) covers JS's \s for the characters that matter here

# WHATWG percent-encode sets (https://url.spec.whatwg.org/#percent-encoded-bytes), beyond C0 controls and > 0x7E.
_QUERY_SET = frozenset(' "#<>')
_PATH_SET = _QUERY_SET | frozenset("?`{}")
_FRAGMENT_SET = frozenset(' "<>`')


@dataclass(frozen=True, slots=True)
class Invalid:
    """One skipped line (or limit reached) and why; `line`/`line_number` are absent for limit messages."""

    message: str
    line: str | None = None
    line_number: int | None = None


@dataclass(frozen=True, slots=True)
class RedirectRule:
    source: str  # `from`, normalised
    to: str
    status: int
    line_number: int


@dataclass(frozen=True, slots=True)
class HeadersRule:
    path: str
    headers: dict[str, str]
    unset: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Parsed:
    """What a rule file held: the valid rules in file order, and the lines that were skipped."""

    rules: tuple[Any, ...] = ()
    invalid: tuple[Invalid, ...] = ()


# -- URL helpers (validateURL.ts) -------------------------------------------------------------
def _percent_encode(text: str, extra: frozenset[str]) -> str:
    out = []
    for ch in text:
        if ord(ch) < 0x20 or ord(ch) > 0x7E or ch in extra:
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8", "surrogatepass")))
        else:
            out.append(ch)
    return "".join(out)


def _dot_segment(segment: str) -> int:
    """2 for `..` (any %2e spelling), 1 for `.`, else 0."""
    lowered = segment.lower().replace("%2e", ".")
    return {".": 1, "..": 2}.get(lowered, 0)


def extract_pathname(path: str, include_search: bool = False, include_hash: bool = False) -> str:
    """`new URL("//" + path, "relative://")`'s pathname (+ search, + hash), as extractPathname does:
    non-ASCII and unsafe characters percent-encoded, `.`/`..` segments resolved."""
    if not path.startswith("/"):
        path = "/" + path
    path = path.replace("\t", "").replace("\n", "").replace("\r", "")
    fragment: str | None = None
    query: str | None = None
    if "#" in path:
        path, fragment = path.split("#", 1)
    if "?" in path:
        path, query = path.split("?", 1)
    segments: list[str] = []
    parts = path.split("/")[1:]
    for i, segment in enumerate(parts):
        last = i == len(parts) - 1
        kind = _dot_segment(segment)
        if kind == 2:
            if segments:
                segments.pop()
            if last:
                segments.append("")
        elif kind == 1:
            if last:
                segments.append("")
        else:
            segments.append(_percent_encode(segment, _PATH_SET))
    out = "/" + "/".join(segments)
    if include_search and query:
        out += "?" + _percent_encode(query, _QUERY_SET)
    if include_hash and fragment:
        out += "#" + _percent_encode(fragment, _FRAGMENT_SET)
    return out


def validate_url(token: str, only_relative: bool = False, disallow_ports: bool = False,
                 include_search: bool = False, include_hash: bool = False) -> tuple[str | None, str | None]:
    """(normalised URL, None) or (None, why it is not accepted)."""
    host = _URL.match(token)
    if host and host["host"]:
        if only_relative:
            return None, f"Only relative URLs are allowed. Skipping absolute URL {token}."
        if disallow_ports and _HOST_WITH_PORT.match(host["host"]):
            return None, f"Specifying ports is not supported. Skipping absolute URL {token}."
        return f"https://{host['host']}{extract_pathname(host['path'], include_search, include_hash)}", None
    if not token.startswith("/") and only_relative:
        token = "/" + token
    if token.startswith("/"):
        return extract_pathname(token, include_search, include_hash), None
    if only_relative:
        return None, "URLs should begin with a forward-slash."
    return None, ('URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS '
                  '(e.g. begin with "https://").')


def url_has_host(token: str) -> bool:
    match = _URL.match(token)
    return bool(match and match["host"])


# -- _redirects ---------------------------------------------------------------------------------
def _rule_lines(lines: Sequence[str], max_line: int, invalid: list[Invalid]) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of a rules file, blanks and comments skipped; an over-long line is
    reported in `invalid` and skipped (the same loop in parseRedirects and parseHeaders)."""
    for i, raw in enumerate(lines):
        line, number = raw.strip(), i + 1
        if not line or line.startswith("#"):
            continue
        if len(line) > max_line:
            invalid.append(Invalid(f"Ignoring line {number} as it exceeds the maximum allowed length of {max_line}."))
            continue
        yield number, line


def parse_redirects(text: str, *, html_handling: str | None = None, max_static: int = MAX_STATIC_REDIRECT_RULES,
                    max_dynamic: int = MAX_DYNAMIC_REDIRECT_RULES, max_line: int = MAX_LINE_LENGTH) -> Parsed:
    """The rules of a `_redirects` file (`from to [status]` per line, status 302 by default)."""
    lines = text.split("\n")
    rules: list[RedirectRule] = []
    invalid: list[Invalid] = []
    seen: set[str] = set()
    static = dynamic = 0
    can_be_static = True
    for number, line in _rule_lines(lines, max_line, invalid):
        tokens = _JS_WHITESPACE.split(re.sub(r"\s+#.*$", "", line, flags=re.DOTALL))
        if not 2 <= len(tokens) <= 3:
            invalid.append(Invalid(f"Expected exactly 2 or 3 whitespace-separated tokens. Got {len(tokens)}.",
                                   line, number))
            continue
        str_from, str_to, str_status = tokens[0], tokens[1], tokens[2] if len(tokens) == 3 else "302"
        source, why = validate_url(str_from, True, True, False, False)
        if source is None:
            invalid.append(Invalid(why or "", line, number))
            continue
        if can_be_static and not _SPLAT.search(source) and not _PLACEHOLDER.search(source):
            static += 1
            if static > max_static:
                invalid.append(Invalid(f"Maximum number of static rules supported is {max_static}. Skipping line."))
                continue
        else:
            dynamic += 1
            can_be_static = False
            if dynamic > max_dynamic:
                invalid.append(Invalid(f"Maximum number of dynamic rules supported is {max_dynamic}. "
                                       f"Skipping remaining {len(lines) - number + 1} lines of file."))
                break
        to, why = validate_url(str_to, False, False, True, True)
        if to is None:
            invalid.append(Invalid(why or "", line, number))
            continue
        status = int(str_status) if re.fullmatch(r"\s*[+-]?\d+\s*", str_status) else -1
        if status not in PERMITTED_STATUS_CODES:
            invalid.append(Invalid(f"Valid status codes are 200, 301, 302 (default), 303, 307, or 308. "
                                   f"Got {str_status}.", line, number))
            continue
        relative = not url_has_host(to)
        wildcard_to_index = source.endswith("/*") and bool(_TO_INDEX.search(to))
        root_to_index = source.endswith("/") and bool(_TO_INDEX.search(to))
        if relative and (wildcard_to_index or (root_to_index and html_handling != "none")):
            invalid.append(Invalid(
                "Infinite loop detected in this rule and has been ignored. This will cause a redirect to strip "
                "`.html` or `/index` and end up triggering this rule again. Please fix or remove this rule to "
                "silence this warning.", line, number))
            continue
        if source in seen:
            invalid.append(Invalid(f"Ignoring duplicate rule for path {source}.", line, number))
            continue
        seen.add(source)
        if status == 200 and url_has_host(to):
            invalid.append(Invalid(f"Proxy (200) redirects can only point to relative paths. Got {to}", line, number))
            continue
        rules.append(RedirectRule(source, to, status, number))
    return Parsed(tuple(rules), tuple(invalid))


def redirects_config(parsed: Parsed) -> dict[str, Any]:
    """The compiled form the assets service matches: static rules by exact path, then dynamic ones in order."""
    static: dict[str, dict[str, Any]] = {}
    dynamic: dict[str, dict[str, Any]] = {}
    can_be_static = True
    for rule in parsed.rules:
        if not _SPLAT.search(rule.source) and not _PLACEHOLDER.search(rule.source) and can_be_static:
            static[rule.source] = {"status": rule.status, "to": rule.to, "lineNumber": rule.line_number}
            continue
        dynamic[rule.source] = {"status": rule.status, "to": rule.to}
        can_be_static = False
    return {"version": REDIRECTS_VERSION, "staticRules": static, "rules": dynamic}


# -- _headers -----------------------------------------------------------------------------------
def parse_headers(text: str, *, max_rules: int = MAX_HEADER_RULES, max_line: int = MAX_LINE_LENGTH) -> Parsed:
    """The rules of a `_headers` file: a path line, then `Name: value` lines (and `! Name` to remove one)."""
    lines = text.split("\n")
    rules: list[HeadersRule] = []
    invalid: list[Invalid] = []
    current: tuple[str, str, dict[str, str], list[str]] | None = None  # path, line, set, unset
    skipping = False

    def close(number: int | None) -> None:
        if current is None:
            return
        path, line, headers, unset = current
        if headers or unset:
            rules.append(HeadersRule(path, headers, tuple(unset)))
        else:
            invalid.append(Invalid("No headers specified", line, number))

    for number, line in _rule_lines(lines, max_line, invalid):
        if _PATH_LINE.match(line):
            skipping = False
            if len(rules) >= max_rules:
                invalid.append(Invalid(f"Maximum number of rules supported is {max_rules}. "
                                       f"Skipping remaining {len(lines) - number + 1} lines of file."))
                break  # the rule being read still counts (as in wrangler: one more than max_rules)
            close(number)
            current = None
            path, why = validate_url(line, False, True)
            if path is None:
                invalid.append(Invalid(why or "", line, number))
                skipping = True
                continue
            wildcards = len(_SPLAT.findall(path))
            if wildcards > 1:
                why = (f"Only one wildcard is allowed per rule. Use a named placeholder (e.g. :project) instead. "
                       f"Skipping {path}.")
            elif wildcards and re.search(r":splat(?!\w)", path):
                why = (f"Cannot combine a wildcard * with a :splat placeholder because wildcards are converted to "
                       f":splat at runtime. Skipping {path}.")
            if why:
                invalid.append(Invalid(why, line, number))
                skipping = True
                continue
            current = (path, line, {}, [])
            continue
        if skipping:
            continue
        if ":" not in line:
            if current is None:
                invalid.append(Invalid("Expected a path beginning with at least one forward-slash", line, number))
            elif line.startswith(UNSET_OPERATOR):
                current[3].append(line.replace(UNSET_OPERATOR, "", 1))
            else:
                invalid.append(Invalid("Expected a colon-separated header pair (e.g. name: value)", line, number))
            continue
        raw_name, value = line.split(":", 1)
        name = raw_name.strip().lower()
        value = value.strip()
        if " " in name:
            invalid.append(Invalid("Header name cannot include spaces", line, number))
        elif not name:
            invalid.append(Invalid("No header name specified", line, number))
        elif not value:
            invalid.append(Invalid("No header value specified", line, number))
        elif current is None:
            invalid.append(Invalid(f"Path should come before header ({name}: {value})", line, number))
        else:
            headers = current[2]
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
    close(None)
    return Parsed(tuple(rules), tuple(invalid))


def headers_config(parsed: Parsed) -> dict[str, Any]:
    """The compiled form: {path: {set?, unset?}} in file order (a repeated path: the later one wins)."""
    rules: dict[str, dict[str, Any]] = {}
    for rule in parsed.rules:
        entry: dict[str, Any] = {}
        if rule.headers:
            entry["set"] = dict(rule.headers)
        if rule.unset:
            entry["unset"] = list(rule.unset)
        rules[rule.path] = entry
    return {"version": HEADERS_VERSION, "rules": rules}


def describe_invalid(kind: str, parsed: Parsed, relpath: str) -> str | None:
    """The warning wrangler prints for skipped lines (None when every line was valid)."""
    if not parsed.invalid:
        return None
    n = len(parsed.invalid)
    lines = [f"Found {n} invalid {kind} rule{'' if n == 1 else 's'} in {relpath}:"]
    for item in parsed.invalid:
        lines.append(f"  ▶︎ {item.message}")
        if item.line:
            at = f":{item.line_number}" if item.line_number else ""
            lines.append(f"      at {relpath}{at} | {item.line}")
    return "\n".join(lines)


# -- run_worker_first ---------------------------------------------------------------------------
def static_routing(patterns: Sequence[str]) -> dict[str, list[str]]:
    """run_worker_first patterns split as the router wants them (parseStaticRouting.ts); UserError
    with wrangler's message when they are not valid."""
    where = "Invalid routes in `run_worker_first`:\n"
    if not patterns:
        raise UserError("No `run_worker_first` rules were provided; must provide at least 1 rule.")
    if len(patterns) > MAX_ROUTES_RULES:
        raise UserError(f"Too many `run_worker_first` rules were provided; {len(patterns)} rules provided exceeds "
                        f"max of {MAX_ROUTES_RULES}.")
    raw_assets: list[str] = []
    assets: list[str] = []
    worker: list[str] = []
    problems: list[str] = []
    for rule in patterns:
        if rule.startswith("!/"):
            assets.append(rule[1:])
            raw_assets.append(rule)
        elif rule.startswith("/"):
            worker.append(rule)
        elif rule.startswith("!"):
            problems.append(f"'{rule}': negative rules must start with '!/'")
        else:
            problems.append(f"'{rule}': rules must start with '/' or '!/'")
    if assets and not worker:
        raise UserError("Only negative `run_worker_first` rules were provided; must provide at least 1 "
                        "non-negative rule")
    problems += _check_routes(worker) + _check_routes(raw_assets)
    if problems:
        raise UserError(where + "\n".join(problems))
    return {"asset_worker": assets, "user_worker": worker}


def _check_routes(rules: Sequence[str]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for rule in rules:
        if len(rule) > MAX_ROUTES_RULE_LENGTH:
            problems.append(f"'{rule}': all rules must be less than {MAX_ROUTES_RULE_LENGTH} characters in length")
        if rule in seen:
            problems.append(f"'{rule}': rule is a duplicate; rules must be unique")
        if rule.endswith("*"):
            problems += [f"'{other}': rule '{rule}' makes it redundant" for other in rules
                         if other != rule and other.startswith(rule[:-1])]
        seen.add(rule)
    return problems


def glob_matches(rule: str, pathname: str) -> bool:
    """Whether a run_worker_first pattern matches a raw pathname (only `*` is special; it crosses `/`)."""
    return re.fullmatch(".*".join(map(re.escape, rule.split("*"))), pathname, re.DOTALL) is not None


# -- everything the assets service reads ----------------------------------------------------------
def navigation_prefers_assets(compatibility_date: str, flags: Sequence[str]) -> bool:
    """Whether `Sec-Fetch-Mode: navigate` requests keep not_found_handling with a Worker present."""
    if NAVIGATION_FLAG in flags:
        return True
    return compatibility_date >= NAVIGATION_DATE and NAVIGATION_OFF_FLAG not in flags


@dataclass(frozen=True, slots=True)
class AssetsConfig:
    """The JSON the assets service gets, and what to tell the user about the rule files."""

    data: dict[str, Any]
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


def assets_config(spec: AssetsSpec, manifest: AssetManifest, *, has_worker: bool, compatibility_date: str,
                  compatibility_flags: Sequence[str], content_type: Callable[[str], str] | None = None,
                  relpath: str = "") -> AssetsConfig:
    """The config of the assets service for this manifest (`content_type(path)` as uploads label files;
    "application/null" means none)."""
    kind_of = content_type or _content_type
    files: dict[str, list[Any]] = {}
    for f in manifest.files:
        found = kind_of(f.path)
        files[f.path] = [f.hash, None if found == "application/null" else found]
    warnings: list[str] = []
    notes: list[str] = []
    redirects: dict[str, Any] = {"version": REDIRECTS_VERSION, "staticRules": {}, "rules": {}}
    headers: dict[str, Any] = {"version": HEADERS_VERSION, "rules": {}}
    prefix = f"{relpath}/" if relpath else ""
    if manifest.redirects is not None:
        parsed = parse_redirects(manifest.redirects, html_handling=spec.html_handling)
        redirects = redirects_config(parsed)
        notes.append(f"Parsed {len(parsed.rules)} valid redirect rule{'' if len(parsed.rules) == 1 else 's'}.")
        if warning := describe_invalid("redirect", parsed, prefix + "_redirects"):
            warnings.append(warning)
    if manifest.headers is not None:
        parsed = parse_headers(manifest.headers)
        headers = headers_config(parsed)
        notes.append(f"Parsed {len(parsed.rules)} valid header rule{'' if len(parsed.rules) == 1 else 's'}.")
        if warning := describe_invalid("header", parsed, prefix + "_headers"):
            warnings.append(warning)
    first = spec.run_worker_first
    routing = static_routing(first) if isinstance(first, tuple) and has_worker else None
    data = {
        "html_handling": spec.html_handling,
        "not_found_handling": spec.not_found_handling,
        "redirects": redirects,
        "headers": headers,
        "has_user_worker": has_worker,
        "invoke_user_worker_ahead_of_assets": has_worker and first is True,
        "static_routing": routing,
        "navigation_prefers_asset_serving": navigation_prefers_assets(compatibility_date, compatibility_flags),
        "files": files,
    }
    return AssetsConfig(data, tuple(warnings), tuple(notes))


def _content_type(path: str) -> str:
    from cfworker.assets.upload import content_type  # the table uploads label files with

    return content_type(path)


def worker_flags(flags: Sequence[str]) -> tuple[str, ...]:
    """The Worker's compatibility flags without the ones only the assets service reads."""
    return tuple(f for f in flags if f not in ASSET_FLAGS)
