"""Issue 13: hostile conditions. A server that trickles, stalls, pages forever, answers oddly or
floods; signals, a closed stdout, missing folders. Every command stays bounded and honest.

Each case asserts its exit code, its message and a generous time bound (a hang detector,
not a benchmark); the outcomes are printed at the end of the run (`pytest -m faults`).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import run_cli
from tests.fakes import Slow
from tests.fakes.faults import (EndlessPages, GzipBomb, OddResult, Oversize, RepeatCursor, SamePage, Trickle)

pytestmark = [pytest.mark.faults, pytest.mark.needs_esbuild]

TIMEOUT = 1.5  # CFWORKER_REQUEST_TIMEOUT in these tests: the whole deadline of one API call
HOSTILE: list[dict[str, Any]] = []  # outcomes for the end-of-run report
CODE = "export default { fetch() { return new Response('hi') } }\n"


def write_project(root: Path, toml: str = "") -> Path:
    (root / "src").mkdir(parents=True, exist_ok=True)
    (root / "src" / "index.js").write_text(CODE)
    (root / "worker.toml").write_text('name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n' + toml)
    return root


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache), "CFWORKER_REQUEST_TIMEOUT": str(TIMEOUT)}


def record(case: str, code: int, seconds: float, bound: float, note: str = "") -> None:
    HOSTILE.append({"case": case, "exit": code, "seconds": round(seconds, 2), "bound": bound, "note": note})


def hostile_report() -> list[str]:
    """Lines for the end-of-run summary."""
    if not HOSTILE:
        return []
    lines = [f"hostile conditions: {len(HOSTILE)} cases, every one ended within its bound"]
    lines += [f"  {r['case']:34} exit {r['exit']!s:>4}  {r['seconds']:>6} s (bound {r['bound']} s)  {r['note']}"
              for r in HOSTILE]
    return lines


# -- the server misbehaves: one table, one test ---------------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    args: list[str]
    faults: list[tuple[str, str, Any]]  # (method, path glob, fault), each injected for every match
    exit: int
    says: str
    toml: str = ""
    existing: bool = False  # "app" deployed before, then its code changed: the run uploads a version and deploys it
    extra_env: dict[str, str] = field(default_factory=dict)
    bound: float = 12.0


SETTINGS = "/accounts/*/workers/scripts/app/settings"
CASES = [
    # 1. deadlines: connect + send + the whole answer by CFWORKER_REQUEST_TIMEOUT
    Case("deadline: body trickles", ["deploy", "--dry-run"], [("GET", SETTINGS, Trickle(0.3))], 1,
         "no complete answer within 2 s"),
    Case("deadline: headers trickle", ["zones", "list"], [("GET", "/zones", Trickle(0.3, headers_too=True))], 1,
         "no complete answer within 2 s"),
    Case("deadline: server stalls", ["deploy", "--dry-run"], [("GET", SETTINGS, Slow(30))], 1,
         "no complete answer within 2 s"),
    Case("deadline: write answer trickles", ["deploy"],
         [("POST", "/accounts/*/workers/scripts/app/deployments", Trickle(0.3))], 3,
         "may have been applied", existing=True),
    # pages and cursors that never end
    Case("pages: endless", ["zones", "list"], [("GET", "/zones", EndlessPages())], 1, "more than 1000 pages",
         extra_env={"CFWORKER_RATE_LIMIT": "100000/300"}, bound=60.0),
    Case("pages: page ignored", ["kv", "namespace", "list"],
         [("GET", "/accounts/*/storage/kv/namespaces", SamePage())], 1, "asked for page 2, the API answered page 1"),
    Case("cursor: repeats", ["kv", "key", "list", "--namespace-id", "a" * 32],
         [("GET", "/accounts/*/storage/kv/namespaces/*/keys", RepeatCursor())], 1, "cursor it had already given"),
    # odd success bodies: after a write it is exit 3 (it may have been applied), never 1
    Case("odd: null after the upload", ["deploy", "--json"],
         [("POST", "/accounts/*/workers/scripts/app/deployments", OddResult(None))], 3,
         "the new deployment has no id", existing=True),
    Case("odd: 'ok' for a KV create", ["deploy"], [("POST", "/accounts/*/storage/kv/namespaces", OddResult("ok"))],
         3, "expected an object as result, got str", toml='[[kv_namespaces]]\nbinding = "CACHE"\n'),
    Case("odd: version without id", ["deploy"], [("POST", "/accounts/*/workers/scripts/app/versions", OddResult({}))],
         3, "the new version has no id", existing=True),
    Case("odd: a read answers 'ok'", ["deploy", "--dry-run"], [("GET", SETTINGS, OddResult("ok"))], 1,
         "unexpected answer from Cloudflare"),
    # 2. bounded memory
    Case("memory: 70 MiB answer", ["zones", "list"], [("GET", "/zones", Oversize(70 * 1024 * 1024))], 1,
         "larger than 64 MiB", bound=30.0),
    Case("memory: gzip bomb", ["zones", "list"], [("GET", "/zones", GzipBomb(1024 * 1024 * 1024))], 1,
         "decompression bomb", bound=60.0),
]


@pytest.fixture(scope="module", autouse=True)
def gzip_bomb() -> None:
    """Build the 1 GiB bomb once, before any deadline runs (it takes the fake a few seconds)."""
    from tests.fakes.faults import _bomb

    _bomb(1024 * 1024 * 1024)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_server(case: Case, tmp_path: Path, env, fake_cf) -> None:
    """Each misbehaviour ends with its exit code and a clear message, well within the bound."""
    project = write_project(tmp_path, case.toml)
    if case.existing:
        assert run_cli(["deploy"], env=env, cwd=project).code == 0
        (project / "src" / "index.js").write_text(CODE.replace("hi", "v2"))
    for method, glob, fault in case.faults:
        fake_cf.inject(method, glob, fault, times=None)
    started = time.monotonic()
    r = run_cli(case.args, env={**env, **case.extra_env}, cwd=project)
    elapsed = time.monotonic() - started
    record(case.id, r.code, elapsed, case.bound)
    assert r.code == case.exit, r
    assert case.says in r.output, r
    assert elapsed < case.bound, f"took {elapsed:.1f} s"
    assert "Traceback" not in r.output
    if "--json" in case.args:
        doc = json.loads(r.out)
        assert doc["ok"] is False and doc["exit_code"] == case.exit


# The child reports its own peak RSS at exit: VmHWM belongs to the memory of the process after
# exec, while wait4's ru_maxrss also counts the forking test process (Linux keeps the larger).
_PEAK = ("import atexit, sys\n"
         "def peak():\n"
         "    hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM:')][0].split()[1]\n"
         "    print(f'peak-rss-kib {hwm}', file=sys.stderr)\n"
         "atexit.register(peak)\n"
         "from cfworker.cli import main\n"
         "main(sys.argv[1:])\n")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="peak RSS is read from /proc")
def test_a_gzip_bomb_never_costs_more_than_100_mib(tmp_path: Path, env, fake_cf) -> None:
    """A 1 MB gzip bomb (1 GiB inflated) is refused early: the process stays under 100 MiB."""
    fake_cf.inject("GET", "/zones", GzipBomb(1024 * 1024 * 1024), times=None)
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", _PEAK, "zones", "list"], cwd=tmp_path, env={**os.environ, **env},
                          capture_output=True, text=True, timeout=60)
    peak = next(line for line in proc.stderr.splitlines() if line.startswith("peak-rss-kib"))
    rss_mib = int(peak.split()[1]) / 1024
    record("memory: gzip bomb (subprocess RSS)", proc.returncode, time.monotonic() - started, 60.0,
           f"peak RSS {rss_mib:.0f} MiB")
    assert proc.returncode == 1 and "decompression bomb" in proc.stderr, proc.stderr
    assert rss_mib < 100, f"peak RSS {rss_mib:.0f} MiB"


def test_a_rerun_after_an_odd_answer_converges(tmp_path: Path, env, fake_cf) -> None:
    """The KV namespace whose create answered 'ok' was created: the rerun finds it by title, makes no second."""
    project = write_project(tmp_path, '[[kv_namespaces]]\nbinding = "CACHE"\n')
    fake_cf.inject("POST", "/accounts/*/storage/kv/namespaces", OddResult("ok"))
    assert run_cli(["deploy"], env=env, cwd=project).code == 3
    again = run_cli(["deploy"], env=env, cwd=project)
    assert again.code == 0, again
    assert fake_cf.count("POST", "/accounts/*/storage/kv/namespaces") == 1
    assert [ns.title for ns in fake_cf.kv.values()] == ["app-cache"]


# -- 3. signals -----------------------------------------------------------------------------------

def _held(fake_cf, kind: str = "slow", n: int = 1, timeout: float = 20.0) -> None:
    end = time.monotonic() + timeout
    while fake_cf.fault_counts.get(kind, 0) < n:
        if time.monotonic() > end:
            pytest.fail(f"the fake never held a {kind} request")
        time.sleep(0.01)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_first_signal_during_parallel_reads_ends_within_a_second(sig: int, tmp_path: Path, env, fake_cf) -> None:
    """Ctrl-C or SIGTERM while the reads wait on a stalled answer: exit 130 at once, nothing written."""
    project = write_project(tmp_path)
    fake_cf.inject("GET", SETTINGS, Slow(10), times=None)
    proc = subprocess.Popen([sys.executable, "-m", "cfworker", "deploy"], cwd=project,
                            env={**os.environ, **env, "CFWORKER_REQUEST_TIMEOUT": "60"},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _held(fake_cf)
    sent = time.monotonic()
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=30)
    elapsed = time.monotonic() - sent
    record(f"signal: {signal.Signals(sig).name} during reads", proc.returncode, elapsed, 1.0)
    assert proc.returncode == 130, (out, err)
    assert elapsed < 1.0, f"took {elapsed:.2f} s after the signal"
    assert fake_cf.writes() == [] and "Traceback" not in out + err


def test_watch_stops_on_the_second_signal_during_the_reads(tmp_path: Path, env, fake_cf) -> None:
    """In watch mode the first signal during a deploy's reads asks to stop; the second ends it (130), not a third."""
    project = write_project(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cfworker", "watch"], cwd=project,
                            env={**os.environ, **env, "CFWORKER_REQUEST_TIMEOUT": "60"},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_line(proc, "Watching")
        fake_cf.inject("GET", SETTINGS, Slow(10), times=None)
        (project / "src" / "index.js").write_text(CODE.replace("hi", "v2"))
        _held(fake_cf)
        proc.send_signal(signal.SIGINT)
        _wait_line(proc, "again")
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    record("signal: watch, 2nd SIGINT during reads", proc.returncode, elapsed, 1.0)
    assert proc.returncode == 130
    assert elapsed < 1.0, f"took {elapsed:.2f} s after the second signal"


def test_watch_stops_on_the_first_signal_between_deploys(tmp_path: Path, env, fake_cf) -> None:
    """Idle watch mode ends on the first Ctrl-C with exit 0."""
    project = write_project(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "cfworker", "watch"], cwd=project, env={**os.environ, **env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_line(proc, "Watching")
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=30)
        elapsed = time.monotonic() - sent
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    record("signal: watch, 1st SIGINT when idle", proc.returncode, elapsed, 1.0)
    assert proc.returncode == 0 and elapsed < 1.0


def _wait_line(proc: subprocess.Popen[str], text: str, timeout: float = 20.0) -> str:
    """Read the merged output until a line containing `text` (the process keeps running).

    A reader thread feeds a queue: select() on the pipe plus readline() missed lines that
    readline had already buffered (the watch test then waited 20 s for a "Watching" line
    that had been printed, about one run in ten).
    """
    import queue
    import threading

    assert proc.stdout is not None
    lines: queue.Queue[str] | None = getattr(proc, "_cfw_lines", None)
    if lines is None:
        lines = queue.Queue()
        stream = proc.stdout

        def pump() -> None:
            for line in iter(stream.readline, ""):
                lines.put(line)
            lines.put("")  # end of output

        threading.Thread(target=pump, daemon=True).start()
        proc._cfw_lines = lines  # type: ignore[attr-defined]
    end = time.monotonic() + timeout
    seen = ""
    while (left := end - time.monotonic()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        seen += line
        if text in line:
            return seen
        if not line:
            break
    pytest.fail(f"no line with {text!r}; output so far:\n{seen}")


# -- 4. closed stdout, 7. local failures ------------------------------------------------------

def test_closed_stdout_finishes_the_deploy_then_exits(tmp_path: Path, env, fake_cf) -> None:
    """`cfworker deploy | head -0`: the reader is gone, the deploy still completes, no traceback."""
    project = write_project(tmp_path)
    read_end, write_end = os.pipe()
    os.close(read_end)  # nobody will ever read stdout
    started = time.monotonic()
    proc = subprocess.run([sys.executable, "-m", "cfworker", "deploy"], cwd=project, env={**os.environ, **env},
                          stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=60)
    os.close(write_end)
    record("local: stdout closed", proc.returncode, time.monotonic() - started, 60.0)
    assert "app" in fake_cf.scripts, proc.stderr
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr


def test_deleted_working_directory_is_one_line(tmp_path: Path, env) -> None:
    """Running in a folder that was deleted meanwhile: one line, exit 2, not a traceback."""
    gone = tmp_path / "gone"
    gone.mkdir()
    script = f'cd "{gone}" && rmdir "{gone}" && exec "{sys.executable}" -m cfworker zones list'
    proc = subprocess.run(["sh", "-c", script], env={**os.environ, **env}, capture_output=True, text=True, timeout=60)
    record("local: deleted cwd", proc.returncode, 0, 60.0)
    assert proc.returncode == 2 and "current directory no longer exists" in proc.stderr, proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("setup", "args", "says"), [
    (lambda p: (p / "dist").write_text("not a folder"), ["build"], "dist is a file, not a folder"),
    (lambda p: (p / "blocker").write_text("x"), ["build", "--outdir", "blocker/out"], "cannot write the bundle to"),
], ids=["dist-is-a-file", "outdir-under-a-file"])
def test_unwritable_output_folder_is_one_line(setup: Callable[[Path], Any], args: list[str], says: str,
                                              tmp_path: Path, env) -> None:
    """A bundle folder that cannot be written is a plain error naming the path."""
    project = write_project(tmp_path)
    setup(project)
    r = run_cli(args, env=env, cwd=project)
    record(f"local: {args[-1]} unwritable", r.code, 0, 60.0)
    assert r.code == 1 and says in r.err and "bug" not in r.err, r


def test_unwritable_cache_folder_is_one_line(tmp_path: Path) -> None:
    """A cache folder that is a file: installing esbuild fails with the path and what to set."""
    blocker = tmp_path / "cache-file"
    blocker.write_text("x")
    r = run_cli(["esbuild", "install"], env={"CFWORKER_CACHE_DIR": str(blocker)}, cwd=tmp_path)
    record("local: cache folder unwritable", r.code, 0, 60.0)
    assert r.code == 1 and str(blocker) in r.err and "CFWORKER_CACHE_DIR" in r.err, r
    assert "bug" not in r.err


# -- 5. write-back never clobbers an edit ------------------------------------------------------------

@pytest.mark.parametrize("broken", [False, True], ids=["edit-kept", "broken-edit-untouched"])
def test_an_edit_during_the_deploy_survives_the_id_write_back(broken: bool, tmp_path: Path, env, fake_cf) -> None:
    """worker.toml edited while the upload is in flight: the edit stays (the id is added to it, or, when
    the file no longer parses, printed to add by hand); the deploy still exits 0."""
    project = write_project(tmp_path, '[[kv_namespaces]]\nbinding = "CACHE"\n')
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/app", Slow(1.5))
    proc = subprocess.Popen([sys.executable, "-m", "cfworker", "deploy"], cwd=project, env={**os.environ, **env,
                            "CFWORKER_REQUEST_TIMEOUT": "60"}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    _held(fake_cf)
    toml = project / "worker.toml"
    edited = toml.read_text() + ('[vars\n' if broken else '[vars]\nADDED = "during the deploy"\n')
    toml.write_text(edited)
    out, err = proc.communicate(timeout=60)
    record(f"write-back: {'broken' if broken else 'edited'} file", proc.returncode, 0, 60.0)
    assert proc.returncode == 0, (out, err)
    ns = fake_cf.kv_namespace("app-cache")
    if broken:
        assert toml.read_text() == edited
        assert "not valid TOML" in err and f'id = "{ns.id}"' in err
    else:
        text = toml.read_text()
        assert 'ADDED = "during the deploy"' in text and f'id = "{ns.id}"' in text
        assert "it had changed during the deploy" in out


# -- 6. secrets -------------------------------------------------------------------------------------

def test_debug_traceback_goes_through_the_redactor(tmp_path: Path, env, fake_cf, monkeypatch) -> None:
    """A bug whose message holds the token: --debug shows a traceback, never the token."""
    import cfworker.cli.whoami as whoami

    def boom(*_a: Any, **_k: Any) -> Any:
        raise RuntimeError(f"kaboom with {fake_cf.token} inside")
    monkeypatch.setattr(whoami, "_verify", boom)
    r = run_cli(["whoami", "--debug"], env=env, cwd=tmp_path)
    assert r.code == 1 and "Traceback" in r.err and "kaboom" in r.err, r
    assert fake_cf.token not in r.output


def test_credentials_in_the_api_base_url_are_never_shown(tmp_path: Path, env) -> None:
    """user:password@ in CLOUDFLARE_API_BASE_URL is masked in errors and --debug traces alike."""
    bad = {**env, "CLOUDFLARE_API_BASE_URL": "http://deploy:hunter2-secret@127.0.0.1:9/client/v4"}
    for args in (["whoami"], ["whoami", "--debug"]):
        r = run_cli(args, env=bad, cwd=tmp_path)
        assert r.code == 1, r
        assert "hunter2-secret" not in r.output and "deploy:<redacted>@127.0.0.1" in r.output, r


def test_secret_value_as_an_argument_is_refused_without_echo(tmp_path: Path, env, fake_cf) -> None:
    """`secret put NAME VALUE` is refused (exit 2) and the value is not printed; nothing is sent."""
    r = run_cli(["secret", "put", "API_KEY", "v3ry-s3cret-value", "--name", "app"], env=env, cwd=tmp_path)
    assert r.code == 2 and "v3ry-s3cret-value" not in r.output and "printf %s" in r.err, r
    assert fake_cf.requests == []


def test_secret_put_prompts_without_echo_when_stdin_is_a_terminal(tmp_path: Path, env, fake_cf) -> None:
    """stdin a terminal, stdout a pipe: a hidden prompt, the typed value never echoed."""
    import fcntl
    import pty
    import selectors
    import termios

    master, slave = pty.openpty()

    def controlling_terminal() -> None:  # the pty becomes the child's terminal, as in a shell
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)

    proc = subprocess.Popen([sys.executable, "-m", "cfworker", "secret", "put", "TOKEN", "--name", "app"],
                            cwd=tmp_path, env={**os.environ, **env}, stdin=slave, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=controlling_terminal)
    os.close(slave)
    seen = b""
    try:
        with selectors.DefaultSelector() as sel:
            sel.register(master, selectors.EVENT_READ)
            end = time.monotonic() + 20
            while b"Value for secret TOKEN" not in seen and time.monotonic() < end:
                if sel.select(timeout=0.1):
                    seen += os.read(master, 1024)
            assert b"Value for secret TOKEN" in seen, seen
            os.write(master, b"typed-s3cret\n")
            end = time.monotonic() + 20
            while proc.poll() is None and time.monotonic() < end:
                if sel.select(timeout=0.1):
                    try:
                        seen += os.read(master, 1024)
                    except OSError:
                        break
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(master)
    assert proc.returncode == 0, (out, err)
    assert b"typed-s3cret" not in seen and "typed-s3cret" not in out + err
    assert fake_cf.scripts["app"].secrets["TOKEN"]["text"] == "typed-s3cret"


# -- 8. pacing ---------------------------------------------------------------------------------------

def test_paced_purges_say_they_are_waiting(tmp_path: Path, env, fake_cf) -> None:
    """Tag purges past a Free zone's bucket wait for it, and a wait over a second is announced."""
    tags = [f"--tag=t{i}" for i in range(2600)]  # 26 requests of 100: the 26th waits for a token
    r = run_cli(["purge", *tags, "--zone", "example.com", "--yes"], env=env, cwd=tmp_path)
    assert r.code == 0, r
    assert "waiting 12 s for Cloudflare's limit on tag, host and prefix purges (Free plan: 5 per minute)" in r.out
    assert len(fake_cf.purges) == 26
