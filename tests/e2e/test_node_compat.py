"""Node.js-compat bundling on real esbuild and workerd (issue 15), with local fixture packages only.

A CommonJS dependency that calls `require("events")` / `require("node:buffer")` (as pg and
mysql2 do) must start in workerd: esbuild leaves those calls as `__require(...)`, which
throws "Dynamic require of ... is not supported" unless the bundle resolves them to imports.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli
from tests.e2e.devserver import DevServer, dev_env

pytestmark = pytest.mark.needs_esbuild

LEGACY = '''const EventEmitter = require("events");
const { Buffer } = require("node:buffer");
const util = require("util");
class Thing extends EventEmitter {}
module.exports = {
  make: () => new Thing(),
  b64: (s) => Buffer.from(s).toString("base64"),
  fmt: (x) => util.format("%s!", x),
};
'''
WORKER = '''import legacy from "legacy";
export default {
  fetch() {
    const t = legacy.make();
    let heard = "";
    t.on("ping", (v) => { heard = v; });
    t.emit("ping", "pong");
    return new Response([legacy.b64("hi"), heard, legacy.fmt("ok")].join(" "));
  },
};
'''


def cjs_project(root: Path, *, flags: str = '["nodejs_compat"]', minify: bool = False, date: str = "2025-06-01") -> Path:
    pkg = root / "node_modules" / "legacy"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "legacy", "version": "1.0.0", "main": "index.js"}')
    (pkg / "index.js").write_text(LEGACY)
    (root / "src").mkdir()
    (root / "src" / "index.js").write_text(WORKER)
    build = "\n[build]\nminify = true\n" if minify else ""
    (root / "worker.toml").write_text(f'name = "cjs"\nmain = "src/index.js"\ncompatibility_date = "{date}"\n'
                                      f"compatibility_flags = {flags}\nworkers_dev = false\n{build}")
    return root


@pytest.mark.parametrize("minify", [False, True], ids=["plain", "minified"])
def test_cjs_require_of_node_builtins_starts_in_workerd(tmp_path: Path, dev_cache: Path, minify: bool) -> None:
    """require("events"), require("node:buffer") and require("util") of a CommonJS package work in workerd."""
    project = cjs_project(tmp_path, minify=minify)
    r = run_cli(["build"], cwd=project)
    assert r.code == 0, r
    code = (project / "dist" / "index.js").read_text()
    assert code.startswith('import __cfw_node_0 from "node:events";')
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert server.request("/") == (200, "aGk= pong ok!")
        assert server.stop() == 0


def test_source_map_stays_aligned_after_the_require_prelude(tmp_path: Path) -> None:
    """The prelude is one line; the map gets one empty line first, so `new Thing()` in the bundle still
    maps to its line in node_modules/legacy/index.js."""
    project = cjs_project(tmp_path)
    assert run_cli(["build"], cwd=project).code == 0
    smap = json.loads((project / "dist" / "index.js.map").read_text())
    lines = (project / "dist" / "index.js").read_text().splitlines()
    at = next(i for i, text in enumerate(lines) if "new Thing()" in text)
    from cfworker.bundle.sourcemap import original_position

    want = next(i for i, text in enumerate(LEGACY.splitlines()) if "new Thing()" in text) + 1
    found = original_position(json.dumps(smap), at + 1, lines[at].index("new Thing()") + 1)
    assert found is not None and found[0].endswith("legacy/index.js")
    assert found[1] == want  # without the shift the position would land one line off


def test_no_prelude_without_require_of_builtins(tmp_path: Path) -> None:
    """An ES-module-only Worker gets no prelude (its bundle is exactly esbuild's)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('import { Buffer } from "node:buffer";\n'
                                               'export default { fetch() { return new Response(Buffer.from("x")) } }\n')
    (tmp_path / "worker.toml").write_text('name = "esm"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
                                          'compatibility_flags = ["nodejs_compat"]\n')
    assert run_cli(["build"], cwd=tmp_path).code == 0
    assert "__cfw_node_" not in (tmp_path / "dist" / "index.js").read_text()


def test_nodejs_als_allows_async_hooks_only(tmp_path: Path, dev_cache: Path) -> None:
    """nodejs_als turns on node:async_hooks (AsyncLocalStorage) and nothing else, as in workerd."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text(
        'import { AsyncLocalStorage } from "node:async_hooks";\n'
        "const als = new AsyncLocalStorage();\n"
        'export default { fetch() { return als.run("inside", () => new Response(als.getStore())) } }\n')
    (tmp_path / "worker.toml").write_text('name = "als"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
                                          'compatibility_flags = ["nodejs_als"]\n')
    assert run_cli(["build"], cwd=tmp_path).code == 0
    with DevServer(tmp_path, dev_env(dev_cache)) as server:
        server.ready()
        assert server.request("/") == (200, "inside")
        assert server.stop() == 0
    (tmp_path / "src" / "index.js").write_text('import os from "node:os";\nexport default { fetch() { '
                                               "return new Response(os.platform()) } }\n")
    r = run_cli(["build"], cwd=tmp_path)
    assert r.code != 0 and "node:os" in r.err and "nodejs_compat" in r.err, r


def test_nodejs_compat_by_date_aliases_bare_builtins(tmp_path: Path) -> None:
    """From 2026-08-04 nodejs_compat is the default: bare `require("events")` is aliased without a flag."""
    project = cjs_project(tmp_path, flags="[]", date="2026-09-01")
    r = run_cli(["build"], cwd=project)
    assert r.code == 0, r
    assert '"events":__cfw_node_0' in (project / "dist" / "index.js").read_text()


# -- polyfills for what the runtime lacks at the project's date (unenv, as wrangler bundles) -------

OS_WORKER = '''import os from "node:os";
import { EOL } from "os";
const legacy = require("legacy-os");
export default {
  fetch() {
    return new Response([os.platform(), JSON.stringify(EOL), legacy.kind(), typeof process.nextTick,
                         typeof performance.now].join(" "));
  },
};
'''


def os_project(root: Path, date: str) -> Path:
    pkg = root / "node_modules" / "legacy-os"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "legacy-os", "version": "1.0.0", "main": "index.js"}')
    (pkg / "index.js").write_text('const os = require("os");\nmodule.exports = { kind: () => typeof os.cpus };\n')
    (root / "src").mkdir()
    (root / "src" / "index.js").write_text(OS_WORKER)
    (root / "worker.toml").write_text(f'name = "os"\nmain = "src/index.js"\ncompatibility_date = "{date}"\n'
                                      'compatibility_flags = ["nodejs_compat"]\nworkers_dev = false\n')
    return root


def test_node_os_at_a_2025_date_is_bundled_from_unenv_and_starts(tmp_path: Path, dev_cache: Path) -> None:
    """At 2025-03-10 workerd has no node:os: the import (and a CommonJS require("os")) is bundled from
    unenv, as wrangler does, and the Worker starts and answers; left external it would fail with
    `No such module "node:os"` (real-api-quirks #13)."""
    project = os_project(tmp_path, "2025-03-10")
    r = run_cli(["build"], cwd=project, env={"CFWORKER_CACHE_DIR": str(dev_cache)})
    assert r.code == 0, r
    code = (project / "dist" / "index.js").read_text()
    assert 'from "node:os"' not in code and "cfworker-polyfills/node_modules/unenv/dist/runtime/node/os.mjs" in code
    assert "globalThis.process = " in code  # process v2 is not native at this date: the preset's is injected
    with DevServer(project, dev_env(dev_cache)) as server:
        server.ready()
        assert server.request("/") == (200, 'linux "\\n" function function function')
        assert server.stop() == 0


def test_node_os_from_its_native_date_stays_for_the_runtime(tmp_path: Path, dev_cache: Path) -> None:
    """From 2025-09-15 workerd provides node:os: the bundle imports it and carries no unenv copy of it."""
    project = os_project(tmp_path, "2025-09-15")
    r = run_cli(["build"], cwd=project, env={"CFWORKER_CACHE_DIR": str(dev_cache)})
    assert r.code == 0, r
    code = (project / "dist" / "index.js").read_text()
    assert 'from "node:os"' in code and "unenv/dist/runtime/node/os.mjs" not in code


def test_require_of_an_npm_shim_returns_the_function(tmp_path: Path, dev_cache: Path) -> None:
    """`require("node-fetch")` gets unenv's shim through a CommonJS wrapper, so the call form
    `require("node-fetch")(url)` works as in wrangler; the real package (here one that throws at load)
    is never bundled."""
    pkg = tmp_path / "node_modules" / "node-fetch"
    pkg.mkdir(parents=True)
    (pkg / "package.json").write_text('{"name": "node-fetch", "version": "2.7.0", "main": "index.js"}')
    (pkg / "index.js").write_text('throw new Error("the real node-fetch was bundled");\n')
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text(
        'const fetchLike = require("node-fetch");\n'
        'export default { fetch() { return new Response(typeof fetchLike + " " + typeof fetchLike.Headers) } }\n')
    (tmp_path / "worker.toml").write_text('name = "shim"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
                                          'compatibility_flags = ["nodejs_compat"]\n')
    assert run_cli(["build"], cwd=tmp_path, env={"CFWORKER_CACHE_DIR": str(dev_cache)}).code == 0
    with DevServer(tmp_path, dev_env(dev_cache)) as server:
        server.ready()
        assert server.request("/") == (200, "function function")
        assert server.stop() == 0


# -- the start-up check before upload ----------------------------------------------------------

THROWS = 'throw new Error("boom at load");\nexport default { fetch() { return new Response("x") } }\n'


def _throwing(root: Path) -> Path:
    (root / "src").mkdir()
    (root / "src" / "index.js").write_text(THROWS)
    (root / "worker.toml").write_text('name = "throws"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
                                      "workers_dev = false\n")
    return root


def test_startup_check_refuses_a_bundle_that_throws_with_zero_writes(tmp_path: Path, fake_cf, dev_cache: Path) -> None:
    """With workerd installed the check is on by default: exit 1, workerd's error shown, nothing written."""
    project = _throwing(tmp_path)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(dev_cache)}
    r = run_cli(["deploy", "--yes"], cwd=project, env=env)
    assert r.code == 1, r
    assert "error: the bundle does not start in workerd" in r.err and "boom at load" in r.err
    assert "(src/index.js:1:7)" in r.err  # the bundle's position mapped back through the source map
    assert "--no-check" in r.err
    assert fake_cf.writes() == []
    skipped = run_cli(["deploy", "--yes", "--no-check"], cwd=project, env=env)
    assert skipped.code == 0, skipped  # the user's call: uploaded as it is
    assert fake_cf.writes()


def test_startup_check_passes_and_is_timed_in_json(tmp_path: Path, fake_cf, dev_cache: Path) -> None:
    """A healthy bundle: the deploy goes on; the plan's notes say the check ran, --json has its time."""
    project = cjs_project(tmp_path)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(dev_cache)}
    r = run_cli(["deploy", "--yes", "--json"], cwd=project, env=env)
    assert r.code == 0, r.out[-3000:]
    doc = json.loads(r.out)
    assert doc["timings_ms"]["startup_check"] > 0
    assert any(n.startswith("Start-up check: the bundle started in workerd in") for n in doc["notes"])


def test_startup_check_without_workerd_is_skipped_with_a_note(tmp_path: Path, fake_cf, esbuild_cache: Path) -> None:
    """auto mode never downloads workerd: a cache without it means a note and a normal deploy."""
    from cfworker.bundle.tool import current_platform, managed_path

    project = _throwing(tmp_path)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(tmp_path / "empty-cache"),
           "CFWORKER_ESBUILD": str(managed_path(esbuild_cache, current_platform()))}
    r = run_cli(["deploy", "--yes", "--dry-run"], cwd=project, env=env)
    assert r.code == 0, r
    assert "Start-up check skipped: workerd is not installed" in r.out


def test_build_check_reports_the_error(tmp_path: Path, dev_cache: Path) -> None:
    project = _throwing(tmp_path)
    r = run_cli(["build", "--check"], cwd=project, env={"CFWORKER_CACHE_DIR": str(dev_cache)})
    assert r.code == 1 and "boom at load" in r.err, r


def test_uploaded_source_map_names_the_module_and_sources_from_the_entry_folder(tmp_path: Path, fake_cf,
                                                                                esbuild_cache: Path) -> None:
    """As wrangler uploads it: `file` is the main module, sources are relative to src/ (not dist/);
    the map on disk stays as esbuild wrote it, for local tools."""
    from tests.fakes import multipart

    project = cjs_project(tmp_path)
    with (project / "worker.toml").open("a") as f:
        f.write("[build]\nsourcemap = true\n")
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    r = run_cli(["deploy", "--yes", "--no-check"], cwd=project, env=env)
    assert r.code == 0, r
    upload = next(q for q in fake_cf.requests if q.method == "PUT" and q.path.endswith("/workers/scripts/cjs"))
    parts = {p.name: p for p in multipart.parse(upload.headers["content-type"], upload.body)}
    uploaded = json.loads(parts["index.js.map"].data)
    assert uploaded["file"] == "index.js"
    own = sorted(s for s in uploaded["sources"] if not s.startswith("cfworker-polyfills/"))
    assert own == ["../node_modules/legacy/index.js", "index.js"]
    # the polyfills a 2025 nodejs_compat build carries are named by the copy, not the user's cache path
    assert "cfworker-polyfills/node_modules/@cloudflare/unenv-preset/dist/runtime/node/process.mjs" in uploaded["sources"]
    on_disk = json.loads((project / "dist" / "index.js.map").read_text())
    assert sorted(s for s in on_disk["sources"] if "node-polyfills" not in s) == [
        "../node_modules/legacy/index.js", "../src/index.js"]
    assert uploaded["mappings"] == on_disk["mappings"]


def test_source_map_is_not_uploaded_unless_asked(tmp_path: Path, fake_cf, esbuild_cache: Path) -> None:
    """wrangler uploads a map only with upload_source_maps (it holds the sources): by default the upload
    has the module alone, and the map stays in dist/ for local tools."""
    from tests.fakes import multipart

    project = cjs_project(tmp_path)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    assert run_cli(["deploy", "--yes", "--no-check"], cwd=project, env=env).code == 0
    upload = next(q for q in fake_cf.requests if q.method == "PUT" and q.path.endswith("/workers/scripts/cjs"))
    names = [p.name for p in multipart.parse(upload.headers["content-type"], upload.body)]
    assert names == ["metadata", "index.js"]
    assert (project / "dist" / "index.js.map").is_file()


def test_startup_check_is_inconclusive_for_modules_only_cloudflare_has(tmp_path: Path, fake_cf,
                                                                     dev_cache: Path) -> None:
    """`cloudflare:email` needs `cloudflare-internal:email`, which open-source workerd lacks (nlweb-template):
    the check must not refuse a Worker that starts on Cloudflare; it warns and the deploy goes on."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text('import { EmailMessage } from "cloudflare:email";\n'
                                               "export default { fetch() { return new Response(typeof EmailMessage) } }\n")
    (tmp_path / "worker.toml").write_text('name = "mail"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
                                          "workers_dev = false\n")
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(dev_cache)}
    r = run_cli(["deploy", "--yes"], cwd=tmp_path, env=env)
    assert r.code == 0, r
    assert "start-up check inconclusive" in r.err and "cloudflare-internal:email" in r.err
    assert fake_cf.writes()


def test_polyfill_files_are_not_watched_as_project_inputs(tmp_path: Path, dev_cache: Path) -> None:
    """The polyfill copy is read by esbuild, but watch mode and dev observe only the project's files."""
    from cfworker.bundle import build_project
    from cfworker.bundle.polyfills import managed_tree
    from cfworker.bundle.runner import SubprocessRunner
    from cfworker.bundle.tool import current_platform, managed_path
    from cfworker.config.loader import load_project

    project_dir = os_project(tmp_path, "2025-03-10")
    project, _ = load_project(None, env=None, cwd=project_dir)
    tree = managed_tree(dev_cache)
    bundle = build_project(project, runner=SubprocessRunner(), esbuild_path=managed_path(dev_cache, current_platform()),
                           polyfills=tree)
    assert bundle.inputs and all(not p.is_relative_to(tree) for p in bundle.inputs)
    assert any(p.name == "index.js" and p.parent.name == "src" for p in bundle.inputs)
