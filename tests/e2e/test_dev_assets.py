"""`cfworker dev` with [assets] on the real workerd: the folder served in front of the Worker with
Cloudflare's rules, the ASSETS binding, and reloads when a file in the folder changes."""

from __future__ import annotations

import http.client
import re
from pathlib import Path

import pytest

from tests.e2e.devserver import DevServer, dev_env

pytestmark = pytest.mark.needs_esbuild

WORKER = '''export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/api/asset") {
      const r = await env.ASSETS.fetch(new URL("/about", request.url));
      return new Response(`binding ${r.status} ${r.headers.get("etag")} ${await r.text()}`);
    }
    return new Response(`worker ${request.method} ${url.pathname}`);
  },
};
'''
NAVIGATE = {"Sec-Fetch-Mode": "navigate"}


def write_site(root: Path, assets: str, *, main: bool = True) -> Path:
    public = root / "public"
    (public / "sub").mkdir(parents=True)
    for name, text in {"index.html": "<h1>home</h1>", "about.html": "<h1>about</h1>", "sub/index.html": "<h1>sub</h1>",
                       "404.html": "<h1>not found</h1>", "secret.txt": "private", ".assetsignore": "secret.txt\n",
                       "_redirects": "/old /about 301\n/blog/:slug /sub/ 200\n",
                       "_headers": "/about\n  X-Page: about\n/*\n  X-Site: demo\n"}.items():
        (public / name).write_text(text)
    entry = ""
    if main:
        (root / "src").mkdir()
        (root / "src" / "index.js").write_text(WORKER)
        entry = 'main = "src/index.js"\n'
    (root / "worker.toml").write_text(f'name = "site"\n{entry}compatibility_date = "2025-06-01"\n'
                                      f'workers_dev = false\n\n[assets]\ndirectory = "public"\n{assets}')
    return root


def get(server: DevServer, path: str, headers: dict[str, str] | None = None,
        method: str = "GET") -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        conn.request(method, path, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode()
    finally:
        conn.close()


def test_assets_in_front_of_the_worker_with_rules_binding_and_reload(tmp_path: Path, dev_cache: Path) -> None:
    """index/about/sub pages with html_handling, the Worker for the rest, 404-page for navigations,
    _redirects, _headers, ETag/304, env.ASSETS, .assetsignore, and an edited file served after the reload."""
    project = write_site(tmp_path, 'binding = "ASSETS"\nnot_found_handling = "404-page"\n')
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert "ASSETS: assets (4 file(s) from public/)" in server.output
        status, headers, body = get(server, "/")
        assert (status, body) == (200, "<h1>home</h1>")
        assert headers["content-type"] == "text/html; charset=utf-8"
        assert headers["cache-control"] == "public, max-age=0, must-revalidate"
        assert re.fullmatch(r'"[0-9a-f]{32}"', headers["etag"]) and headers["x-site"] == "demo"
        status, headers, body = get(server, "/about")
        assert (status, body, headers["x-page"], headers["x-site"]) == (200, "<h1>about</h1>", "about", "demo")
        etag = headers["etag"]
        assert get(server, "/about", {"If-None-Match": etag})[0] == 304
        assert get(server, "/about", method="HEAD")[::2] == (200, "")
        assert get(server, "/about", method="POST")[0] == 405
        status, headers, _ = get(server, "/about.html?x=1")
        assert (status, headers["location"]) == (307, "/about?x=1")
        assert get(server, "/sub")[1]["location"] == "/sub/" and get(server, "/sub/")[2] == "<h1>sub</h1>"
        assert get(server, "/old")[:2][0] == 301 and get(server, "/old")[1]["location"] == "/about"
        assert get(server, "/blog/hello")[::2] == (200, "<h1>sub</h1>")  # a 200 rule rewrites
        status, headers, body = get(server, "/api/x", method="POST")
        assert (status, body) == (200, "worker POST /api/x") and "x-site" not in headers  # no _headers on the Worker
        assert get(server, "/missing")[2] == "worker GET /missing"  # fetch(): the Worker has it
        assert get(server, "/missing", NAVIGATE)[::2] == (404, "<h1>not found</h1>")  # navigation: the 404 page
        assert get(server, "/secret.txt")[2] == "worker GET /secret.txt"  # .assetsignore'd: not an asset
        assert get(server, "/api/asset")[2] == f"binding 200 {etag} <h1>about</h1>"
        assert server.wait_for(r"GET /about 304 Not Modified")

        mark = server.mark()
        (project / "public" / "about.html").write_text("<h1>about, edited</h1>")
        (project / "public" / "new.txt").write_text("fresh")
        server.poll("/about", lambda s, b: b == "<h1>about, edited</h1>", timeout=15)
        server.wait_for(r"changed: reloaded in", after=mark)
        status, headers, body = get(server, "/new.txt")
        assert (status, body, headers["content-type"]) == (200, "fresh", "text/plain; charset=utf-8")
        assert get(server, "/about", {"If-None-Match": etag})[0] == 200  # new content, new ETag
        assert server.stop() == 0


def test_spa_fallback_is_for_navigations_when_there_is_a_worker(tmp_path: Path, dev_cache: Path) -> None:
    """single-page-application: a browser navigation to an unknown path gets index.html; fetch() gets the
    Worker; run_worker_first patterns send matching paths to the Worker first."""
    project = write_site(tmp_path, 'binding = "ASSETS"\nnot_found_handling = "single-page-application"\n'
                                   'run_worker_first = ["/api/*", "!/api/docs/*"]\n')
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert get(server, "/app/route", NAVIGATE)[::2] == (200, "<h1>home</h1>")
        assert get(server, "/app/route", {"Sec-Fetch-Mode": "cors"})[2] == "<h1>home</h1>"  # array form keeps it
        assert get(server, "/api/about")[2] == "worker GET /api/about"
        assert get(server, "/api/docs/x")[::2] == (200, "<h1>home</h1>")  # excluded: assets, then the SPA
        assert get(server, "/about")[2] == "<h1>about</h1>"
        assert server.stop() == 0


def test_an_assets_only_worker_serves_just_the_folder(tmp_path: Path, dev_cache: Path) -> None:
    """No main: the folder alone; not_found_handling always applies; a new file appears after the reload."""
    project = write_site(tmp_path, 'not_found_handling = "404-page"\n', main=False)
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert get(server, "/")[::2] == (200, "<h1>home</h1>")
        assert get(server, "/nowhere")[::2] == (404, "<h1>not found</h1>")
        assert get(server, "/about", method="POST")[0] == 405
        assert get(server, "/nowhere", method="POST")[::2] == (405, "")  # the 404 page is an intent too
        assert server.wait_for(r"GET /nowhere 404 Not Found")
        (project / "public" / "sub" / "late.html").write_text("late")
        server.poll("/sub/late", lambda s, b: (s, b) == (200, "late"), timeout=15)
        assert server.stop() == 0
