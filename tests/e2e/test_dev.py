"""`cfworker dev` on the real workerd: examples, bindings, KV persistence, saves, errors, shutdown.

workerd comes from the `dev_cache` session fixture (tests/e2e/conftest.py). Where workerd
cannot run (musl, Windows) every test here is skipped with the reason.

To cover the templates too: render each into tmp with `run_cli(["init", str(dest), "--template",
NAME])` (tests/e2e/cli.py), then reuse the loop of `test_project_serves_its_expected_responses`
with that template's requests; `dev_cache` gives any e2e module the same session copy of workerd.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.e2e.devserver import DevServer, dev_env

pytestmark = pytest.mark.needs_esbuild

# A save must reach the response well within this bound. It is a hang detector, not a speed
# target: bench/dev.py measures save -> response (about 80 ms); tests never assert timings.
SAVE_DEADLINE_S = 10.0

CASES: dict[str, list[tuple[str, int, str]]] = {
    "examples/hello": [
        ("/", 200, "Hello World!"),
        ("/api/hello", 200, '{"message":"Hello, World!"}'),
    ],
    "examples/router-ts": [
        ("/", 200, "router-ts: try /api/hello/<name> or /api/health\n"),
        ("/api/hello/world", 200, '{"message":"Hello, world!","version":"v1"}'),
        ("/api/health", 200, '{"ok":true}'),
        ("/api/nope", 404, "no such API route"),
    ],
    "examples/kv-cache": [
        ("/", 200, "kv-cache: pages under kv.example.com are cached in Workers KV for 5 minutes."),
        ("/__scheduled?cron=*/30+*+*+*+*", 200, 'Ran scheduled event (cron "*/30 * * * *")'),
    ],
}

FEATURES_TOML = """\
name = "features"
main = "src/index.js"
compatibility_date = "2025-06-01"

[vars]
GREETING = "Hello"
LIMITS = { max = 3 }

[[kv_namespaces]]
binding = "KV"
"""
FEATURES_JS = """\
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/env") {
      return Response.json({ greeting: env.GREETING, limits: env.LIMITS, secret: env.API_KEY });
    }
    if (url.pathname === "/throw") throw new Error("kaboom from the worker");
    if (url.pathname.startsWith("/kv/")) {
      const key = decodeURIComponent(url.pathname.slice(4));
      if (request.method === "PUT") {
        await env.KV.put(key, await request.text(), { metadata: { by: "test" } });
        return new Response("stored");
      }
      const { value, metadata } = await env.KV.getWithMetadata(key);
      return value === null ? new Response("missing", { status: 404 }) : Response.json({ value, metadata });
    }
    if (url.pathname === "/list") {
      const listed = await env.KV.list({ prefix: url.searchParams.get("prefix") ?? "" });
      return Response.json(listed.keys.map((k) => k.name));
    }
    console.log("console.log from the worker:", url.pathname);
    return new Response("version 1");
  },
  async scheduled(controller, env, ctx) {
    ctx.waitUntil(env.KV.put("last-cron", controller.cron));
  },
};
"""


@pytest.fixture
def project_copy(tmp_path: Path, router_ts_deps: None) -> Callable[[str], Path]:
    """Copy a repository project (examples/NAME) into a tmp dir, node_modules linked, not copied."""
    repo = Path(__file__).resolve().parents[2]

    def copy(relative: str) -> Path:
        source = repo / relative
        dest = tmp_path / source.name
        shutil.copytree(source, dest, ignore=shutil.ignore_patterns("node_modules", "dist", ".cfworker"))
        if (source / "node_modules").is_dir():
            (dest / "node_modules").symlink_to(source / "node_modules", target_is_directory=True)
        return dest

    return copy


@pytest.fixture
def features(tmp_path: Path) -> Path:
    """A project with text and json vars, a .dev.vars secret, a KV namespace and a cron handler."""
    root = tmp_path / "features"
    (root / "src").mkdir(parents=True)
    (root / "worker.toml").write_text(FEATURES_TOML)
    (root / "src" / "index.js").write_text(FEATURES_JS)
    (root / ".dev.vars").write_text('# local only\nAPI_KEY="s3cret value"\n')
    return root


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
    except OSError:
        return True
    return False


@pytest.mark.parametrize("project", sorted(CASES))
def test_project_serves_its_expected_responses(project: str, project_copy: Callable[[str], Path],
                                               dev_cache: Path) -> None:
    """Each example answers its documented requests through `cfworker dev`, and each is logged."""
    with DevServer(project_copy(project), dev_env(dev_cache)) as server:
        server.ready()
        for path, status, expected in CASES[project]:
            got_status, body = server.request(path)
            assert (got_status, expected in body) == (status, True), f"GET {path}: {got_status} {body!r}"
        for path, status, _ in CASES[project]:
            server.wait_for(rf"^GET {re.escape(path)} {status} .*\(\d+ ms\)$", timeout=5)
        assert server.stop() == 0


def test_bindings_kv_logs_errors_and_shutdown(features: Path, dev_cache: Path) -> None:
    """vars, .dev.vars and KV work; logs and exceptions show up; KV outlives a restart; stop frees the port."""
    env = dev_env(dev_cache)
    with DevServer(features, env) as server:
        server.ready()
        assert "API_KEY: secret from .dev.vars" in server.output and "s3cret" not in server.output
        status, body = server.request("/env")
        assert (status, json.loads(body)) == (200, {"greeting": "Hello", "limits": {"max": 3},
                                                    "secret": "s3cret value"})
        assert server.request("/kv/a%2Fb%20c", method="PUT", body=b"first value") == (200, "stored")
        assert json.loads(server.request("/kv/a%2Fb%20c")[1]) == {"value": "first value", "metadata": {"by": "test"}}
        assert server.request("/list?prefix=a/")[1] == '["a/b c"]'
        assert server.request("/__scheduled?cron=0+*+*+*+*")[0] == 200
        assert json.loads(server.request("/kv/last-cron")[1])["value"] == "0 * * * *"

        assert server.request("/hello") == (200, "version 1")
        server.wait_for(r"^console\.log from the worker: /hello$", timeout=5)
        server.wait_for(r"^GET /hello 200 OK \(\d+ ms\)$", timeout=5)
        status, body = server.request("/throw")
        assert status == 500 and body.startswith("Error: kaboom from the worker\n    at ")
        assert "index.js:" in body and "__cfworker_facade" not in body
        server.wait_for(r"^uncaught exception in GET /throw:$", timeout=5)
        port = server.port
        assert server.stop() == 0
    assert port_is_closed(port), "workerd is still serving after cfworker dev stopped"
    assert "Stopped." in server.output

    with DevServer(features, env) as again:  # the KV store is on disk: a new process sees it
        again.ready()
        assert json.loads(again.request("/kv/a%2Fb%20c")[1])["value"] == "first value"
        assert json.loads(again.request("/kv/last-cron")[1])["value"] == "0 * * * *"
        assert again.stop() == 0


def test_saves_reload_and_errors_keep_the_last_good_version(features: Path, dev_cache: Path) -> None:
    """Each save changes the response; build, start-up and config errors keep the old Worker."""
    index = features / "src" / "index.js"
    toml = features / "worker.toml"
    with DevServer(features, dev_env(dev_cache)) as server:
        server.ready()
        for version in (2, 3, 4):
            index.write_text(FEATURES_JS.replace("version 1", f"version {version}"))
            server.poll("/", lambda status, body, v=version: body == f"version {v}",  # type: ignore[misc]
                        timeout=SAVE_DEADLINE_S)

        mark = server.mark()
        index.write_text(FEATURES_JS.replace('return new Response("version 1");', 'return new Response("x";'))
        server.wait_for(r"the last good version keeps serving", after=mark)
        assert server.request("/") == (200, "version 4")
        assert "esbuild could not bundle src/index.js" in server.output

        mark = server.mark()  # bundles fine, but workerd refuses to start it
        index.write_text('throw new Error("fails at start-up");\n' + FEATURES_JS.replace("version 1", "version 9"))
        server.wait_for(r"workerd refused the new version; the last good one keeps serving", after=mark)
        assert server.request("/") == (200, "version 4")
        assert "fails at start-up" in server.output

        mark = server.mark()
        toml.write_text(FEATURES_TOML.replace('main = "src/index.js"', "main = 42"))
        server.wait_for(r"the last good version keeps serving", after=mark)
        assert server.request("/") == (200, "version 4")

        toml.write_text(FEATURES_TOML.replace('GREETING = "Hello"', 'GREETING = "Howdy"'))
        index.write_text(FEATURES_JS.replace("version 1", "version 5"))
        server.poll("/", lambda status, body: body == "version 5")
        assert json.loads(server.request("/env")[1])["greeting"] == "Howdy"
        assert server.stop() == 0


def test_workerd_that_dies_is_started_again(project_copy: Callable[[str], Path], dev_cache: Path) -> None:
    """If workerd is killed behind cfworker's back, the session says so and serves again."""
    with DevServer(project_copy("examples/hello"), dev_env(dev_cache)) as server:
        server.ready()
        children = Path(f"/proc/{server.proc.pid}/task/{server.proc.pid}/children")
        if not children.exists():
            pytest.skip("needs /proc/<pid>/task/<tid>/children (Linux) to find workerd's pid")
        (workerd_pid,) = map(int, children.read_text().split())
        os.kill(workerd_pid, signal.SIGKILL)
        server.wait_for(r"^warning: workerd exited unexpectedly \(code -9\); starting it again$", timeout=10)
        assert server.poll("/", lambda status, body: status == 200) == (200, "Hello World!")
        assert server.stop() == 0
