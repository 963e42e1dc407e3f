"""The assets service's JavaScript, run on Node with a fake disk: html_handling tables (research-16 B7),
not_found_handling (B8), the router (B9), _redirects/_headers at request time (B10), response headers (B11).

Node stands in for workerd (both have fetch's Request/Response); the e2e tests run the same module
on workerd. Skipped where there is no `node`.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cfworker.assets.manifest import AssetFile, AssetManifest
from cfworker.config.model import AssetsSpec
from cfworker.dev.assets import assets_config
from cfworker.dev.assets_js import ASSETS_MODULE, assets_source

NODE = shutil.which("node")
pytestmark = pytest.mark.skipif(NODE is None, reason="no node to run the assets service's JavaScript")
PUBLIC = Path("/site")

HARNESS = r"""
import service from "./__MODULE__";
const { config, role, hasWorker, requests } = JSON.parse(await new Promise((ok) => {
  let s = ""; process.stdin.on("data", (d) => (s += d)); process.stdin.on("end", () => ok(s));
}));
const env = {
  CONFIG: config, ROLE: role,
  FILES: { fetch: async (url) => new Response("file " + decodeURIComponent(new URL(url).pathname)) },
};
const worker = async (r) => new Response("worker " + new URL(r.url).pathname, { headers: { "x-worker": "1" } });
if (hasWorker) env.USER_WORKER = { fetch: worker };
const out = [];
for (const { path, method = "GET", headers = {} } of requests) {
  const response = await service.fetch(new Request("http://localhost" + path, { method, headers }), env);
  out.push({ status: response.status, headers: Object.fromEntries(response.headers), body: await response.text() });
}
process.stdout.write("\nRESULT " + JSON.stringify(out) + "\n");
"""


def site(*paths: str, headers: str | None = None, redirects: str | None = None) -> AssetManifest:
    """A manifest whose hash of each file is its path (distinct content per file, as in research-16 B7)."""
    files = tuple(AssetFile(p, PUBLIC / p[1:], "e" + p.replace("/", "_"), 1) for p in paths)
    return AssetManifest(PUBLIC, files, headers=headers, redirects=redirects)


def run(tmp_path: Path, manifest: AssetManifest, requests: list[Any], *, role: str = "binding",
        has_worker: bool = False, date: str = "2025-06-01", **spec: Any) -> list[dict[str, Any]]:
    data = assets_config(AssetsSpec(PUBLIC, **spec), manifest, has_worker=has_worker, compatibility_date=date,
                         compatibility_flags=()).data
    (tmp_path / ASSETS_MODULE.replace(".js", ".mjs")).write_text(assets_source())
    harness = tmp_path / "harness.mjs"
    harness.write_text(HARNESS.replace("__MODULE__", ASSETS_MODULE.replace(".js", ".mjs")))
    reqs = [r if isinstance(r, dict) else {"path": r} for r in requests]
    assert NODE is not None
    done = subprocess.run([NODE, str(harness)], input=json.dumps({"config": data, "role": role, "hasWorker": has_worker,
                          "requests": reqs}), capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    line = next(x for x in done.stdout.splitlines() if x.startswith("RESULT "))
    results: list[dict[str, Any]] = json.loads(line[len("RESULT "):])
    return results


def outcome(result: dict[str, Any]) -> str:
    """`200 /about.html`, `307 /about`, `404` (served file's path from the fake disk's body)."""
    if result["status"] in (301, 302, 303, 307, 308):
        return f"{result['status']} {result['headers']['location']}"
    if result["body"].startswith("file "):
        return f"{result['status']} {result['body'][5:]}"
    return str(result["status"])


TREE_A = ("/index.html", "/about.html", "/blog/index.html")
TABLE_A = {  # research-16 B7, Tree A: auto, force, drop, none
    "/": ("200 /index.html", "200 /index.html", "200 /index.html", "404"),
    "/index": ("307 /", "307 /", "307 /", "404"),
    "/index.html": ("307 /", "307 /", "307 /", "200 /index.html"),
    "/about": ("200 /about.html", "307 /about/", "200 /about.html", "404"),
    "/about/": ("307 /about", "200 /about.html", "307 /about", "404"),
    "/about.html": ("307 /about", "307 /about/", "307 /about", "200 /about.html"),
    "/about/index.html": ("307 /about", "307 /about/", "307 /about", "404"),
    "/blog": ("307 /blog/", "307 /blog/", "200 /blog/index.html", "404"),
    "/blog/": ("200 /blog/index.html", "200 /blog/index.html", "307 /blog", "404"),
    "/blog/index.html": ("307 /blog/", "307 /blog/", "307 /blog", "200 /blog/index.html"),
    "/blog/index": ("307 /blog/", "307 /blog/", "307 /blog", "404"),
    "/blog.html": ("307 /blog/", "307 /blog/", "307 /blog", "404"),
    "/missing": ("404", "404", "404", "404"),
}
TREE_B = ("/x.html", "/x/index.html")
TABLE_B = {
    "/x": ("200 /x.html", "307 /x/", "200 /x.html", "404"),
    "/x/": ("200 /x/index.html", "200 /x/index.html", "307 /x", "404"),
    "/x.html": ("307 /x", "200 /x.html", "307 /x", "200 /x.html"),
    "/x/index.html": ("307 /x/", "307 /x/", "200 /x/index.html", "200 /x/index.html"),
}
MODES = ("auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none")


@pytest.mark.parametrize("column", range(4), ids=MODES)
def test_html_handling_matches_the_research_tables(tmp_path: Path, column: int) -> None:
    """Every cell of research-16 B7's two tables, per html_handling mode."""
    for tree, table in ((TREE_A, TABLE_A), (TREE_B, TABLE_B)):
        results = run(tmp_path, site(*tree), list(table), html_handling=MODES[column])
        got = {path: outcome(r) for path, r in zip(table, results, strict=True)}
        assert got == {path: row[column] for path, row in table.items()}, tree


def test_redirects_keep_the_query_and_paths_are_canonicalised(tmp_path: Path) -> None:
    results = run(tmp_path, site("/about.html", "/[boop].html", "/é.txt", "/index"),
                  ["/about.html?x=1", "/[boop]", "/%5Bboop%5D", "/%C3%A9.txt", "//about", "/index"])
    assert [outcome(r) for r in results] == ["307 /about?x=1", "307 /%5Bboop%5D", "200 /[boop].html",
                                             "200 /é.txt", "307 /about", "200 /index"]


def test_not_found_handling_404_page_walks_up_and_spa_serves_index(tmp_path: Path) -> None:
    tree = site("/index.html", "/404.html", "/blog/404.html")
    results = run(tmp_path, tree, ["/nope", "/blog/nope", "/blog/a/b", "/index.html"], not_found_handling="404-page")
    assert [outcome(r) for r in results] == ["404 /404.html", "404 /blog/404.html", "404 /blog/404.html", "307 /"]
    results = run(tmp_path, tree, ["/a/b/c", {"path": "/a", "method": "HEAD"}],
                  not_found_handling="single-page-application")
    assert [outcome(r) for r in results] == ["200 /index.html", "200"]
    assert results[1]["body"] == "" and results[1]["headers"]["etag"] == '"e_index.html"'


def test_asset_response_headers_etag_304_head_and_405(tmp_path: Path) -> None:
    tree = site("/app.js", "/LICENSE")
    results = run(tmp_path, tree, [
        "/app.js", {"path": "/app.js", "headers": {"If-None-Match": '"e_app.js"'}},
        {"path": "/app.js", "headers": {"If-None-Match": 'W/"e_app.js"'}},
        {"path": "/app.js", "headers": {"If-None-Match": '"other", "e_app.js"'}},
        {"path": "/app.js", "method": "HEAD"}, {"path": "/app.js", "method": "POST"},
        {"path": "/nothing", "method": "POST"}, {"path": "/LICENSE", "headers": {"Authorization": "x"}},
    ])
    first = results[0]
    assert first["status"] == 200 and first["body"] == "file /app.js"
    assert first["headers"] == {"etag": '"e_app.js"', "content-type": "text/javascript; charset=utf-8",
                                "cache-control": "public, max-age=0, must-revalidate", "cf-cache-status": "HIT"}
    assert [r["status"] for r in results[1:]] == [304, 304, 200, 200, 405, 404, 200]
    assert results[1]["body"] == "" and results[1]["headers"]["etag"] == '"e_app.js"'
    assert results[4]["body"] == "" and results[4]["headers"]["content-type"].startswith("text/javascript")
    assert "content-type" not in results[7]["headers"] and "cache-control" not in results[7]["headers"]


def test_redirects_file_static_dynamic_rewrites_and_external(tmp_path: Path) -> None:
    rules = ("/about.html /elsewhere 301\n/users/:id /profile 200\n/docs/* /manual/:splat 308\n"
             "/ext https://example.com/x?y=1\n/ghost /nothing.html 200\n/users/me /about.html 302\n"
             "/html/* /profile.html 200\n")
    tree = site("/about.html", "/profile.html", redirects=rules)
    results = run(tmp_path, tree, ["/about.html?q=2", "/users/42", "/docs/a/b?v=1", "/ext?z=1", "/ghost",
                                   "/users/me", {"path": "/about.html", "method": "POST"}, "/html/x"])
    # /users/me comes after a dynamic rule, so it is dynamic too and /users/:id matches first; a
    # rewrite to `/profile.html` meets html_handling, which redirects it to /profile (as on Cloudflare).
    assert [outcome(r) for r in results] == [
        "301 /elsewhere?q=2", "200 /profile.html", "308 /manual/a/b?v=1", "302 https://example.com/x?y=1",
        "404", "200 /profile.html", "301 /elsewhere", "307 /profile"]


def test_headers_file_rules_set_append_unset_and_placeholders(tmp_path: Path) -> None:
    rules = ("/*\n  X-All: 1\n  Cache-Control: no-store\n/docs/:page\n  X-Page: :page\n  X-All: 2\n"
             "  ! CF-Cache-Status\n/about\n  X-About: yes\n")
    tree = site("/about.html", "/docs/a.html", headers=rules)
    results = run(tmp_path, tree, ["/docs/a", "/about.html", "/nope"])
    docs = results[0]["headers"]
    assert docs["x-all"] == "1, 2" and docs["x-page"] == "a" and docs["cache-control"] == "no-store"
    assert "cf-cache-status" not in docs
    assert results[1]["status"] == 307 and results[1]["headers"]["x-all"] == "1"  # redirects get them too
    assert "x-about" not in results[1]["headers"]  # matched on the requested path, not the file's
    assert results[2]["status"] == 404 and results[2]["headers"]["x-all"] == "1"


def router(tmp_path: Path, manifest: AssetManifest, requests: list[Any], **spec: Any) -> list[str]:
    date = spec.pop("date", "2025-06-01")
    results = run(tmp_path, manifest, requests, role="router", has_worker=True, date=date, **spec)
    return ["worker" if r["headers"].get("x-worker") else outcome(r) for r in results]


NAV = {"Sec-Fetch-Mode": "navigate"}


def test_router_an_existing_asset_wins_otherwise_the_worker(tmp_path: Path) -> None:
    tree = site("/index.html", "/about.html", "/404.html")
    got = router(tmp_path, tree, ["/", "/about", "/about.html", "/api/x", {"path": "/about", "method": "POST"},
                                  "/__scheduled", {"path": "/nope", "headers": NAV}], not_found_handling="404-page")
    # POST to an asset is 405 (the assets answer); navigation to a missing page gets the 404 page (B8).
    assert got == ["200 /index.html", "200 /about.html", "307 /about", "worker", "405", "worker", "404 /404.html"]
    old = router(tmp_path, tree, [{"path": "/nope", "headers": NAV}], not_found_handling="404-page", date="2025-03-01")
    assert old == ["worker"]


def test_router_spa_fallback_only_for_navigations(tmp_path: Path) -> None:
    tree = site("/index.html")
    got = router(tmp_path, tree, [{"path": "/app/route", "headers": NAV},
                                  {"path": "/app/route", "headers": {"Sec-Fetch-Mode": "cors"}}, "/app/route"],
                 not_found_handling="single-page-application")
    assert got == ["200 /index.html", "worker", "worker"]


def test_router_run_worker_first(tmp_path: Path) -> None:
    tree = site("/index.html", "/api/docs/index.html", "/api/file.txt", "/404.html")
    assert router(tmp_path, tree, ["/", "/missing"], run_worker_first=True) == ["worker", "worker"]
    got = router(tmp_path, tree, ["/api/x", "/api/file.txt", "/api", "/api/docs/", "/api/docs/gone", "/", "/nope"],
                 run_worker_first=("/api/*", "!/api/docs/*"), not_found_handling="404-page")
    # `/api/*` does not match /api; exclusions go to the assets even when missing; with an array
    # not_found_handling counts when the router asks the assets (B8), so /api and /nope get the 404 page.
    assert got == ["worker", "worker", "404 /404.html", "200 /api/docs/index.html", "404 /404.html",
                   "200 /index.html", "404 /404.html"]


def test_router_rewrites_to_missing_files_stay_with_the_assets(tmp_path: Path) -> None:
    tree = site("/index.html", redirects="/ghost /nothing.html 200\n/go /api/x\n")
    assert router(tmp_path, tree, ["/ghost", "/go", "/other"]) == ["404", "302 /api/x", "worker"]
