"""`cfworker watch` end to end: real watchfiles, real esbuild, the fake Cloudflare API.

The session runs in a thread (in-process, stopped through its stop event) or as a subprocess
(stopped with SIGINT/SIGTERM). Tests never sleep for a fixed time: they poll the fake's state
or the output until a deadline.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from cfworker.cli import run
from cfworker.cli.context import AppContext
from cfworker.ui import UI
from cfworker.watch import WatchOptions
from tests.fakes import Slow, Status

pytestmark = pytest.mark.needs_esbuild

UPLOAD = "/accounts/*/workers/scripts/*"  # the PUT that creates a Worker
VERSION = "/accounts/*/workers/scripts/*/versions"  # the POST that uploads each later version
DEADLINE = 15.0


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    """Credentials for the fake, the session's esbuild, a workers.dev subdomain and example.com."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE) -> None:
    """Poll until `condition()` is true, or fail after `timeout` seconds."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.005)


class Watching:
    """A running in-process watch session."""

    def __init__(self, fake, project: Path, options: WatchOptions, out: io.StringIO, err: io.StringIO) -> None:
        self.fake, self.project, self.options, self._out, self._err = fake, project, options, out, err

    @property
    def output(self) -> str:
        return self._out.getvalue() + self._err.getvalue()

    def script(self, name: str) -> bytes:
        found = self.fake.scripts.get(name)
        return found.modules["index.js"].content if found else b""

    def uploads(self) -> int:
        return self.fake.count("PUT", UPLOAD) + self.fake.count("POST", VERSION)

    def idle(self) -> bool:
        return not self.options.busy.is_set()

    def edit(self, rel: str, old: str, new: str) -> None:
        path = self.project / rel
        text = path.read_text()
        assert old in text, f"{old!r} not in {rel}"
        path.write_text(text.replace(old, new))


@contextmanager
def watching(fake, project: Path, env: dict[str, str], *args: str) -> Iterator[Watching]:
    """Run `cfworker watch ARGS` in a thread until the block ends; waits for the first deploy."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_", "CFWORKER_"))}
    environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    options = WatchOptions(retry_delays=(0.05, 0.1))
    app = AppContext(environ=environ, cwd=project, ui=UI(out=out, err=err, color=False), sleep=lambda s: None,
                     watch_options=options)
    result: dict[str, int] = {}
    thread = threading.Thread(target=lambda: result.update(code=run(["watch", *args], app=app)), daemon=True)
    thread.start()
    session = Watching(fake, project, options, out, err)
    try:
        # (with --json the human lines are on stderr)
        wait_for(lambda: "Watching " in out.getvalue() + err.getvalue() or not thread.is_alive(), "the first deploy")
        assert thread.is_alive(), session.output
        yield session
    finally:
        options.stop.set()
        thread.join(DEADLINE)
    assert not thread.is_alive(), "the session did not stop"
    assert result.get("code") == 0, session.output
    assert "Traceback" not in session.output


def test_edit_reaches_the_fake_with_one_line(example, env, fake_cf) -> None:
    """Saving src/index.js uploads the new script; the redeploy prints one line with size, time and URL."""
    with watching(fake_cf, example("hello"), env) as w:
        assert b"Hello World!" in w.script("hello")
        w.edit("src/index.js", "Hello World!", "Hello, watch!")
        wait_for(lambda: b"Hello, watch!" in w.script("hello"), "the new script")
        wait_for(lambda: "src/index.js changed: deployed" in w.output, "the redeploy line")
        line = next(line for line in w.output.splitlines() if "src/index.js changed:" in line)
        assert "upload " in line and line.endswith("-> https://hello.acme.workers.dev")


def test_ten_rapid_saves_make_at_most_two_uploads(example, env, fake_cf) -> None:
    """A burst of 10 saves is debounced and coalesced: the last content lands, with at most 2 uploads."""
    with watching(fake_cf, example("hello"), env) as w:
        before = w.uploads()
        for n in range(10):
            w.edit("src/index.js", "Hello World!" if n == 0 else f"save {n - 1}!", f"save {n}!")
        wait_for(lambda: b"save 9!" in w.script("hello"), "the last save")
        wait_for(w.idle, "the loop to settle")
        assert 1 <= w.uploads() - before <= 2


def test_syntax_error_uploads_nothing_and_the_next_good_save_deploys(example, env, fake_cf) -> None:
    """A save that does not build is reported (no upload, session alive); the fix deploys."""
    with watching(fake_cf, example("hello"), env) as w:
        before = w.uploads()
        w.edit("src/index.js", "Hello World!", 'Broken" ++ {')
        wait_for(lambda: "build failed" in w.output, "the build error")
        assert w.uploads() == before
        assert "error: esbuild could not bundle src/index.js" in w.output
        w.edit("src/index.js", 'Broken" ++ {', "Fixed!")
        wait_for(lambda: b"Fixed!" in w.script("hello"), "the fixed script")


def test_save_that_throws_at_start_up_is_not_deployed(example, env, fake_cf, dev_cache: Path) -> None:
    """With workerd installed, each rebuild is booted before upload: a save that throws at the top level
    is reported like a build error (no upload, the live deployment stays); the fix deploys."""
    with watching(fake_cf, example("hello"), {**env, "CFWORKER_CACHE_DIR": str(dev_cache)}) as w:
        before = w.uploads()
        w.edit("src/index.js", "export default", 'throw new Error("boom at load");\nexport default')
        wait_for(lambda: "does not start in workerd" in w.output, "the start-up check's error")
        assert "boom at load" in w.output and w.uploads() == before
        assert b"Hello World!" in w.script("hello")
        w.edit("src/index.js", 'throw new Error("boom at load");\n', "")
        w.edit("src/index.js", "Hello World!", "Fixed!")
        wait_for(lambda: b"Fixed!" in w.script("hello"), "the fixed script")


def test_atomic_save_is_not_reported_as_an_error(example, env, fake_cf) -> None:
    """A save that writes a temporary file and renames it over the source deploys without errors."""
    with watching(fake_cf, example("hello"), env) as w:
        index = w.project / "src" / "index.js"
        for n in range(3):
            tmp = index.with_name(".index.js.tmp")
            tmp.write_text(index.read_text().replace("Hello World!" if n == 0 else f"atomic {n - 1}", f"atomic {n}"))
            os.replace(tmp, index)
            wait_for(lambda n=n: f"atomic {n}".encode() in w.script("hello"), f"atomic save {n}")
        assert "error" not in w.output


def test_storm_of_503s_is_ridden_out_and_the_next_save_lands(example, env, fake_cf) -> None:
    """Uploads answered 503 are retried by the loop without a save (one warning line); later saves land."""
    with watching(fake_cf, example("hello"), env) as w:
        storm = fake_cf.inject("POST", VERSION, Status(503), times=10)
        w.edit("src/index.js", "Hello World!", "during the storm")
        wait_for(lambda: b"during the storm" in w.script("hello"), "the retried upload")
        assert storm.fired == 10
        # The fake shows the new code when the deployment lands; the line follows once the deploy ends.
        wait_for(lambda: "Cloudflare answers again" in w.output, "the recovery line")
        assert w.output.count("Cloudflare is unavailable") == 1
        w.edit("src/index.js", "during the storm", "after the storm")
        wait_for(lambda: b"after the storm" in w.script("hello"), "the next save")


def test_var_change_in_worker_toml_updates_the_binding(example, env, fake_cf) -> None:
    """Changing a [vars] value replans and uploads with the new binding; our KV id write-back is no change."""
    with watching(fake_cf, example("kv-cache"), env) as w:
        assert 'id = "' in (w.project / "worker.toml").read_text()  # written back by the first deploy
        wait_for(w.idle, "the loop to settle")
        uploads = w.uploads()
        w.edit("worker.toml", 'CACHE_TTL = "300"', 'CACHE_TTL = "60"')

        def binding() -> object:
            return next((b for b in fake_cf.scripts["kv-cache"].metadata["bindings"] if b["name"] == "CACHE_TTL"), None)
        wait_for(lambda: binding() == {"type": "plain_text", "name": "CACHE_TTL", "text": "60"}, "the new binding")
        wait_for(lambda: "worker.toml changed:" in w.output, "the redeploy line")
        assert w.uploads() == uploads + 1
        assert w.output.count("worker.toml changed:") == 1


def test_new_module_in_a_new_folder_is_watched(example, env, fake_cf) -> None:
    """A new folder and module imported by the entry deploy, and edits to that module redeploy."""
    with watching(fake_cf, example("hello"), env) as w:
        lib = w.project / "src" / "lib"
        lib.mkdir()
        (lib / "greeting.js").write_text('export const greeting = "from lib 1";\n')
        w.edit("src/index.js", "export default {", 'import { greeting } from "./lib/greeting.js";\nexport default {')
        w.edit("src/index.js", '"Hello World!"', "greeting")
        wait_for(lambda: b"from lib 1" in w.script("hello"), "the imported module")
        (lib / "greeting.js").write_text('export const greeting = "from lib 2";\n')
        wait_for(lambda: b"from lib 2" in w.script("hello"), "the edited module")


def test_deploy_watch_flag_runs_the_same_session(example, env, fake_cf) -> None:
    """`cfworker deploy --watch` deploys, then watches like `cfworker watch`."""
    project = example("hello")
    environ = {**{k: v for k, v in os.environ.items() if not k.startswith("CLOUDFLARE_")}, **env}
    options = WatchOptions()
    out = io.StringIO()
    app = AppContext(environ=environ, cwd=project, ui=UI(out=out, err=out, color=False), watch_options=options)
    thread = threading.Thread(target=run, args=(["deploy", "--watch"],), kwargs={"app": app}, daemon=True)
    thread.start()
    try:
        wait_for(lambda: "Watching src/, worker.toml" in out.getvalue(), "the watch line")
        assert "hello" in fake_cf.scripts
    finally:
        options.stop.set()
        thread.join(DEADLINE)
    assert "Stopped watching" in out.getvalue()


def test_watch_refuses_dry_run(example, env) -> None:
    """--watch with --dry-run is a usage error (exit 2) before anything runs."""
    from tests.e2e.cli import run_cli

    project = example("hello")
    assert run_cli(["deploy", "--watch", "--dry-run"], env=env, cwd=project).code == 2


def test_watch_json_is_one_json_line_per_event(example, env, fake_cf) -> None:
    """watch --json: stdout is a stream of JSON lines (watching, deployed, build_failed, ..., stopped);
    the human lines go to stderr."""
    import json

    out_lines: list[str] = []
    with watching(fake_cf, example("hello"), env, "--json") as w:
        w.edit("src/index.js", "Hello World!", "Hello, JSON!")
        wait_for(lambda: w._out.getvalue().count('"event":"deployed"') >= 2, "the second deploy event")
        w.edit("src/index.js", "Hello, JSON!", 'Broken" ++ {')
        wait_for(lambda: '"event":"build_failed"' in w._out.getvalue(), "the build failure event")
        out = w._out
    out_lines = out.getvalue().splitlines()
    events = [json.loads(line) for line in out_lines]  # every line of stdout is one JSON document
    kinds = [e["event"] for e in events]
    assert kinds[0] in ("watching", "deployed") and kinds[-1] == "stopped"
    assert kinds.count("deployed") >= 2 and "build_failed" in kinds
    second = [e for e in events if e["event"] == "deployed"][1]
    assert second["uploaded"] is True and second["change"].startswith("src/index.js changed")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signal_stops_a_subprocess_session_cleanly(example, env, fake_cf, sig: signal.Signals) -> None:
    """Ctrl-C or SIGTERM while watching: exit 0, a closing line, no traceback."""
    proc = _start(example("hello"), env)
    wait_for(lambda: "hello" in fake_cf.scripts, "the first deploy")
    out, err = _stop(proc, sig)
    assert proc.returncode == 0, err
    assert "Stopped watching" in out and "Traceback" not in out + err


def test_second_ctrl_c_abandons_a_deploy_in_flight(example, env, fake_cf) -> None:
    """Ctrl-C during a stuck upload waits for it; a second Ctrl-C abandons it: exit 130, no traceback."""
    project = example("hello")
    proc = _start(project, env)
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True)  # type: ignore[union-attr]
    reader.start()
    try:
        wait_for(lambda: any("Watching" in line for line in lines), "the first deploy")
        stuck = fake_cf.inject("POST", VERSION, Slow(1.5))
        index = project / "src" / "index.js"
        index.write_text(index.read_text().replace("Hello World!", "slow"))
        wait_for(lambda: stuck.fired == 1, "the stuck upload")
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: any("press Ctrl-C again" in line for line in lines), "the first Ctrl-C to be handled")
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=DEADLINE)
        reader.join(DEADLINE)
        err = proc.stderr.read()  # type: ignore[union-attr]
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()

    def stuck_done() -> bool:
        return any(r.fault == "slow" for r in fake_cf.requests)
    out = "".join(lines)
    assert not stuck_done(), "the stuck upload was waited for instead of abandoned"
    assert proc.returncode == 130, out + err
    assert "interrupted" in err and "Traceback" not in out + err
    wait_for(stuck_done, "the fake to finish the abandoned request")  # so it cannot leak into another test


def _start(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CF_"))}
    environ.update(env, NO_COLOR="1")
    return subprocess.Popen([sys.executable, "-m", "cfworker", "watch"], cwd=project, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _stop(proc: subprocess.Popen[str], sig: signal.Signals) -> tuple[str, str]:
    try:
        proc.send_signal(sig)
        return proc.communicate(timeout=DEADLINE)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
