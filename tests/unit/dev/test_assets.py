"""[assets] in dev, Python side: _redirects/_headers parsing (research-16 B10), run_worker_first routing
(B9), the assets service's JSON config and its place in the workerd config."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cfworker.assets.manifest import AssetFile, AssetManifest
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import AssetsSpec
from cfworker.dev.assets import (
    Invalid,
    assets_config,
    extract_pathname,
    glob_matches,
    headers_config,
    navigation_prefers_assets,
    parse_headers,
    parse_redirects,
    redirects_config,
    static_routing,
    validate_url,
)
from cfworker.dev.config import ASSETS_CONFIG_NAME, capnp_config, run_files
from cfworker.errors import UserError
from tests.unit.bundle.helpers import make_project

ROOT = Path("/p")
PUBLIC = ROOT / "public"


def manifest(*paths: str, headers: str | None = None, redirects: str | None = None) -> AssetManifest:
    files = tuple(AssetFile(p, PUBLIC / p[1:], f"h{i:031d}", 1) for i, p in enumerate(paths))
    return AssetManifest(PUBLIC, files, headers=headers, redirects=redirects)


def messages(invalid: tuple[Invalid, ...]) -> list[str]:
    return [i.message for i in invalid]


# -- URL normalisation ---------------------------------------------------------------------------
@pytest.mark.parametrize(("path", "search", "hash_", "want"), [
    ("/a/b", False, False, "/a/b"),
    ("a/b", False, False, "/a/b"),
    ("/a b/ü", False, False, "/a%20b/%C3%BC"),
    ("/a/./b/../c", False, False, "/a/c"),
    ("/a/..", False, False, "/"),
    ("/a/%2e%2E/b", False, False, "/b"),
    ("/x?q=1#frag", False, False, "/x"),
    ("/x?q=1 2#fr ag", True, True, "/x?q=1%202#fr%20ag"),
    ("/x?#", True, True, "/x"),
    ("/%5Bx%5D", False, False, "/%5Bx%5D"),
    ("/{x}`", False, False, "/%7Bx%7D%60"),
])
def test_extract_pathname_follows_the_url_parser(path: str, search: bool, hash_: bool, want: str) -> None:
    """Paths are normalised as `new URL("//" + path, "relative://")` would: encoded, dot segments resolved."""
    assert extract_pathname(path, search, hash_) == want


def test_validate_url_accepts_relative_and_https_and_rejects_the_rest() -> None:
    assert validate_url("https://example.com/a?b", False, True, True) == ("https://example.com/a?b", None)
    assert validate_url("https://example.com:8443/a", False, True)[1] == (
        "Specifying ports is not supported. Skipping absolute URL https://example.com:8443/a.")
    assert validate_url("https://example.com/a", True)[1] == (
        "Only relative URLs are allowed. Skipping absolute URL https://example.com/a.")
    assert validate_url("http://example.com/a")[1] == (
        'URLs should either be relative (e.g. begin with a forward-slash), or use HTTPS (e.g. begin with "https://").')
    assert validate_url("nothing/here", True) == ("/nothing/here", None)


# -- _redirects ------------------------------------------------------------------------------------
def test_redirects_rules_static_then_dynamic_with_defaults_and_comments() -> None:
    text = ("# comment\n\n/old /new\n/gone /away 301  # why\n/frag /page#top\n"
            "/blog/* /posts/:splat 308\n/late /static-after-dynamic 307\n/api/:id https://api.example.com/:id\n")
    parsed = parse_redirects(text)
    assert parsed.invalid == ()
    assert [(r.source, r.to, r.status, r.line_number) for r in parsed.rules] == [
        ("/old", "/new", 302, 3), ("/gone", "/away", 301, 4), ("/frag", "/page#top", 302, 5),
        ("/blog/*", "/posts/:splat", 308, 6), ("/late", "/static-after-dynamic", 307, 7),
        ("/api/:id", "https://api.example.com/:id", 302, 8),
    ]
    config = redirects_config(parsed)
    assert list(config["staticRules"]) == ["/old", "/gone", "/frag"]
    assert config["staticRules"]["/gone"] == {"status": 301, "to": "/away", "lineNumber": 4}
    assert list(config["rules"]) == ["/blog/*", "/late", "/api/:id"]  # a static rule after a dynamic one is dynamic
    assert config["version"] == 1


def test_invalid_redirect_lines_are_skipped_with_wranglers_messages() -> None:
    text = "\n".join([
        "/one",  # 1 token
        "/a /b 302 extra",  # 4 tokens
        "https://example.com/x /y",  # absolute from
        "/c ftp://x",  # bad to
        "/d /e 404",  # bad status
        "/* /index.html",  # loop
        "/ /index",  # loop (html handling on)
        "/f /g", "/f /h",  # duplicate
        "/p https://example.com/p 200",  # proxy to absolute
        "x" * 2001,
    ])
    parsed = parse_redirects(text)
    assert [r.source for r in parsed.rules] == ["/f"]
    got = messages(parsed.invalid)
    assert got[0] == "Expected exactly 2 or 3 whitespace-separated tokens. Got 1."
    assert got[1] == "Expected exactly 2 or 3 whitespace-separated tokens. Got 4."
    assert got[2] == "Only relative URLs are allowed. Skipping absolute URL https://example.com/x."
    assert got[3].startswith("URLs should either be relative")
    assert got[4] == "Valid status codes are 200, 301, 302 (default), 303, 307, or 308. Got 404."
    assert got[5].startswith("Infinite loop detected") and got[6].startswith("Infinite loop detected")
    assert got[7] == "Ignoring duplicate rule for path /f."
    assert got[8] == "Proxy (200) redirects can only point to relative paths. Got https://example.com/p"
    assert got[9] == "Ignoring line 11 as it exceeds the maximum allowed length of 2000."
    assert parsed.invalid[4].line_number == 5 and parsed.invalid[4].line == "/d /e 404"
    # With html_handling = "none" a `/` -> /index rule is no loop.
    assert [r.source for r in parse_redirects("/ /index", html_handling="none").rules] == ["/"]


def test_redirect_limits_skip_lines_and_stop_after_too_many_dynamic_rules() -> None:
    text = "/a /x\n/b /x\n/c /x\n/d/* /x\n/e/* /x\n/f/* /x\n"
    parsed = parse_redirects(text, max_static=2, max_dynamic=2)
    assert [r.source for r in parsed.rules] == ["/a", "/b", "/d/*", "/e/*"]
    assert messages(parsed.invalid) == [
        "Maximum number of static rules supported is 2. Skipping line.",
        "Maximum number of dynamic rules supported is 2. Skipping remaining 2 lines of file.",
    ]


# -- _headers --------------------------------------------------------------------------------------
def test_headers_rules_set_join_and_unset() -> None:
    text = ("# top\n/secure/*\n  X-Frame-Options: DENY\n  Link: </a.css>; rel=preload\n  link: </b.js>\n"
            "  ! X-Powered-By\n  !Odd: kept\nhttps://:sub.example.com/*\n  X-Host: :sub\n")
    parsed = parse_headers(text)
    assert parsed.invalid == ()
    assert parsed.rules[0].path == "/secure/*"
    assert parsed.rules[0].headers == {"x-frame-options": "DENY", "link": "</a.css>; rel=preload, </b.js>",
                                       "!odd": "kept"}
    assert parsed.rules[0].unset == ("X-Powered-By",)
    assert parsed.rules[1].path == "https://:sub.example.com/*"
    assert headers_config(parsed) == {"version": 2, "rules": {
        "/secure/*": {"set": parsed.rules[0].headers, "unset": ["X-Powered-By"]},
        "https://:sub.example.com/*": {"set": {"x-host": ":sub"}},
    }}


def test_invalid_header_lines_are_skipped_with_wranglers_messages() -> None:
    text = "\n".join([
        "X-Early: 1",  # before any path
        "/a",
        "no colon here",
        "Bad Name: x",
        ": novalue-name",
        "X-Empty:",
        "/b/*/*",  # two wildcards: rule and its lines skipped
        "X-Skipped: 1",
        "/c/*/:splat",
        "/d",  # no headers
        "/e",
        "X-Ok: yes",
    ])
    parsed = parse_headers(text)
    assert [r.path for r in parsed.rules] == ["/e"]
    assert messages(parsed.invalid) == [
        "Path should come before header (x-early: 1)",
        "Expected a colon-separated header pair (e.g. name: value)",
        "Header name cannot include spaces",
        "No header name specified",
        "No header value specified",
        "No headers specified",  # /a ended with nothing valid
        "Only one wildcard is allowed per rule. Use a named placeholder (e.g. :project) instead. Skipping /b/*/*.",
        "Cannot combine a wildcard * with a :splat placeholder because wildcards are converted to :splat at "
        "runtime. Skipping /c/*/:splat.",
        "No headers specified",
    ]


def test_header_rule_limit_stops_reading() -> None:
    """As in wrangler, the limit is checked before the rule being read is stored, so one more gets in."""
    parsed = parse_headers("/a\nX: 1\n/b\nX: 2\n/c\nX: 3\n/d\nX: 4\n", max_rules=2)
    assert [r.path for r in parsed.rules] == ["/a", "/b", "/c"]
    assert messages(parsed.invalid) == ["Maximum number of rules supported is 2. Skipping remaining 3 lines of file."]


# -- run_worker_first ------------------------------------------------------------------------------
def test_static_routing_splits_exclusions_and_validates_like_wrangler() -> None:
    assert static_routing(("/api/*", "!/api/docs/*")) == {"user_worker": ["/api/*"], "asset_worker": ["/api/docs/*"]}
    with pytest.raises(UserError, match="Only negative"):
        static_routing(("!/a",))
    with pytest.raises(UserError) as caught:
        static_routing(("/api/*", "/api/x", "/api/*", "x"))
    assert caught.value.message == (
        "Invalid routes in `run_worker_first`:\n'x': rules must start with '/' or '!/'\n"
        "'/api/x': rule '/api/*' makes it redundant\n'/api/*': rule is a duplicate; rules must be unique\n"
        "'/api/x': rule '/api/*' makes it redundant")  # once per copy of the duplicate, as wrangler says it


@pytest.mark.parametrize(("rule", "path", "hit"), [
    ("/api/*", "/api/", True), ("/api/*", "/api/x/y", True), ("/api/*", "/api", False),
    ("/a.b", "/aXb", False), ("/exact", "/exact", True), ("/*.json", "/x/y.json", True),
])
def test_run_worker_first_patterns_only_know_the_star(rule: str, path: str, hit: bool) -> None:
    assert glob_matches(rule, path) is hit


@pytest.mark.parametrize(("date", "flags", "want"), [
    ("2025-03-31", (), False), ("2025-04-01", (), True),
    ("2025-06-01", ("assets_navigation_has_no_effect",), False),
    ("2024-01-01", ("assets_navigation_prefers_asset_serving",), True),
])
def test_navigation_requests_prefer_assets_from_2025_04_01(date: str, flags: tuple[str, ...], want: bool) -> None:
    assert navigation_prefers_assets(date, flags) is want


# -- the service's config --------------------------------------------------------------------------
def test_assets_config_lists_files_types_and_rules() -> None:
    spec = AssetsSpec(PUBLIC, binding="ASSETS", not_found_handling="404-page", run_worker_first=("/api/*",))
    m = manifest("/index.html", "/app.js", "/LICENSE", redirects="/a /b\n/bad\n", headers="/x\n  A: 1\n")
    config = assets_config(spec, m, has_worker=True, compatibility_date="2025-06-01", compatibility_flags=(),
                           relpath="public")
    data = config.data
    assert data["files"] == {"/index.html": ["h" + "0" * 31, "text/html; charset=utf-8"],
                             "/app.js": ["h" + "0" * 30 + "1", "text/javascript; charset=utf-8"],
                             "/LICENSE": ["h" + "0" * 30 + "2", None]}
    assert data["static_routing"] == {"asset_worker": [], "user_worker": ["/api/*"]}
    assert data["invoke_user_worker_ahead_of_assets"] is False
    assert data["navigation_prefers_asset_serving"] is True
    assert data["redirects"]["staticRules"] == {"/a": {"status": 302, "to": "/b", "lineNumber": 1}}
    assert data["headers"]["rules"] == {"/x": {"set": {"a": "1"}}}
    assert config.notes == ("Parsed 1 valid redirect rule.", "Parsed 1 valid header rule.")
    assert len(config.warnings) == 1 and "public/_redirects:2 | /bad" in config.warnings[0]


def test_workerd_config_puts_the_assets_service_in_front_of_the_worker() -> None:
    spec = AssetsSpec(PUBLIC, binding="ASSETS", run_worker_first=True)
    project = make_project(ROOT, assets=spec, compatibility_flags=("nodejs_compat", "assets_navigation_has_no_effect"))
    b = Bundle("index.js", (Module("index.js", b"export default {}", "esm"),), None, ROOT / "dist",
               assets=manifest("/index.html"))
    config = capnp_config(project, b, secrets={}, kv_dir=ROOT / "kv", supported_date="2026-11-17")
    text = config.text
    assert 'service = "cfworker-assets")]' in text  # the socket's entry
    assert '(name = "cfworker-assets-files", disk = (path = "/p/public", writable = false, allowDotfiles = true))' in text
    assert '(name = "ASSETS", service = "cfworker-assets-binding")' in text
    assert '(name = "USER_WORKER", service = "worker")' in text
    assert 'compatibilityFlags = ["nodejs_compat"]' in text  # the assets flag is not workerd's
    data = json.loads(config.files[ASSETS_CONFIG_NAME])
    assert data["invoke_user_worker_ahead_of_assets"] is True and data["has_user_worker"] is True
    files = run_files(b, config)
    assert {"cfworker-assets.js", ASSETS_CONFIG_NAME, "__cfworker_facade.js", "index.js"} <= set(files)


def test_an_assets_only_worker_runs_just_the_assets_service() -> None:
    project = make_project(ROOT, main=None, assets=AssetsSpec(PUBLIC, not_found_handling="single-page-application"))
    b = Bundle("", (), None, ROOT / "dist", assets=manifest("/index.html"))
    config = capnp_config(project, b, secrets={}, kv_dir=ROOT / "kv", supported_date="2026-11-17")
    assert "const worker" not in config.text and '(name = "worker"' not in config.text
    assert "USER_WORKER" not in config.text and "cfworker-assets-binding" not in config.text
    assert json.loads(config.files[ASSETS_CONFIG_NAME])["has_user_worker"] is False
    assert set(run_files(b, config)) == {"workerd.capnp", "cfworker-assets.js", ASSETS_CONFIG_NAME}
