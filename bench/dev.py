"""`cfworker dev` latency: process start to first response, and file save to new response.

Run by hand from the repo root (not in CI):  python bench/dev.py [--trials 20] [--example hello]
Uses the pinned esbuild and workerd from the user cache (installing them first if needed, so
every trial is "after the first download"). Copies the example to a temp dir.
  * start: `python -m cfworker dev --port P` as a fresh process, GET / polled every 1 ms
    until it answers 200; the clock runs from spawn. One untimed warm-up run first. The
    "in cfworker" row is the total the Ready line prints (load, build, workerd start); the
    rest is the interpreter and imports, shown beside `cfworker --version` for reference.
  * save: one dev server; each trial writes src/index.js with a new marker and polls GET /
    every 1 ms until the body has it. Split by the reload line: rebuild and restart.
Targets (issue 9): start <= 300 ms, save <= 150 ms (medians).
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import p90  # noqa: E402

START_TARGET_MS = 300.0
SAVE_TARGET_MS = 150.0



def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def get(port: int) -> tuple[int, str] | None:
    """(status, body) of GET /, or None while nothing answers."""
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/")
        response = conn.getresponse()
        result = response.status, response.read().decode(errors="replace")
        conn.close()
        return result
    except (OSError, http.client.HTTPException):
        return None


def answers(port: int) -> bool:
    """True once GET / answers 200."""
    return (get(port) or (0, ""))[0] == 200


class Server:
    """A `cfworker dev` process whose output lines are collected on a thread."""

    def __init__(self, root: Path, port: int, env: dict[str, str]) -> None:
        self.started = time.perf_counter()
        self.proc = subprocess.Popen([sys.executable, "-m", "cfworker", "dev", "--port", str(port)], cwd=root,
                                     env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    def find(self, pattern: str, timeout: float = 10.0) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if match := re.search(pattern, line):
                    return match
            time.sleep(0.001)
        raise SystemExit(f"no {pattern!r} in the output:\n" + "\n".join(self.lines))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=15)


def until(condition: Callable[[], bool], timeout: float = 10.0) -> float:
    """Poll `condition()` every 1 ms; returns when it held (perf_counter), SystemExit at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return time.perf_counter()
        time.sleep(0.001)
    raise SystemExit("timed out")


def bench_start(root: Path, env: dict[str, str], trials: int) -> tuple[list[float], list[float]]:
    """(spawn -> first 200, in-process total from the Ready line) per trial, in ms."""
    totals, inside = [], []
    for trial in range(trials + 1):
        port = free_port()
        server = Server(root, port, env)
        done = until(lambda p=port: answers(p))  # type: ignore[misc]
        ready = server.find(r"Ready on .*total (\d+) ms")
        server.stop()
        if trial:  # the first run only warms the page cache
            totals.append((done - server.started) * 1000)
            inside.append(float(ready[1]))
    return totals, inside


def bench_save(root: Path, env: dict[str, str], trials: int) -> tuple[list[float], list[float], list[float]]:
    """(write -> new body, rebuild, restart) per trial, in ms."""
    index = root / "src" / "index.js"
    original = index.read_text()
    port = free_port()
    server = Server(root, port, env)
    until(lambda: answers(port))
    server.find(r"^Watching ")
    saves, builds, restarts = [], [], []
    try:
        for trial in range(trials):
            marker = f"bench {trial}"
            seen = len(server.lines)
            started = time.perf_counter()
            index.write_text(original.replace("Hello World!", marker))
            done = until(lambda m=marker: (get(port) or (0, ""))[1] == m)  # type: ignore[misc]
            saves.append((done - started) * 1000)
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                found = [m for line in server.lines[seen:]
                         if (m := re.search(r"build (\d+) ms, restart (\d+) ms", line))]
                if found:
                    builds.append(float(found[0][1]))
                    restarts.append(float(found[0][2]))
                    break
                time.sleep(0.001)
    finally:
        server.stop()
    return saves, builds, restarts


def version_ms(env: dict[str, str], runs: int) -> list[float]:
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "cfworker", "--version"], env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--example", default="hello")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    args = parser.parse_args()

    from cfworker.bundle.runner import SubprocessRunner
    from cfworker.bundle.tool import find_esbuild
    from cfworker.dev.workerd import find_workerd

    env = {**os.environ, "NO_COLOR": "1"}
    runner = SubprocessRunner()
    tool = find_esbuild(project_root=None, configured=None, environ=env, runner=runner, cwd=REPO)
    workerd = find_workerd(project_root=None, environ=env, runner=runner, cwd=REPO)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "cfworker")], check=True,
                   capture_output=True)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / args.example
        shutil.copytree(REPO / "examples" / args.example, root, ignore=shutil.ignore_patterns("dist", ".cfworker"))
        if (REPO / "examples" / args.example / "node_modules").is_dir():
            (root / "node_modules").symlink_to(REPO / "examples" / args.example / "node_modules")
        starts, inside = bench_start(root, env, args.trials)
        saves, builds, restarts = bench_save(root, env, args.trials)
    version = version_ms(env, args.trials)

    print(f"cfworker dev on examples/{args.example}, {args.trials} trials each (python {sys.version.split()[0]}, "
          f"{sys.platform}, {os.cpu_count()} CPUs; esbuild from {tool.source}; workerd {workerd.binary.path.parent.parent.name} "
          f"from {workerd.binary.source})")
    rows = [
        ("start -> first response", starts, f"<= {START_TARGET_MS:.0f}"),
        ("  in cfworker (load, build, workerd)", inside, ""),
        ("  ref: cfworker --version", version, ""),
        ("save -> new response", saves, f"<= {SAVE_TARGET_MS:.0f}"),
        ("  rebuild", builds, ""),
        ("  restart workerd", restarts, ""),
    ]
    print(f"{'measure':<38} {'median ms':>10} {'p90 ms':>8}  target")
    for label, samples, target in rows:
        print(f"{label:<38} {statistics.median(samples):>10.1f} {p90(samples):>8.1f}  {target}")
    start_ok = statistics.median(starts) <= START_TARGET_MS
    save_ok = statistics.median(saves) <= SAVE_TARGET_MS
    if args.json:
        from bench.report import row, write_rows

        write_rows(args.json, [
            row("dev", "start to first response (median)", statistics.median(starts), "ms",
                f"<= {START_TARGET_MS:.0f}", start_ok),
            row("dev", "save to new response (median)", statistics.median(saves), "ms",
                f"<= {SAVE_TARGET_MS:.0f}", save_ok),
        ])
    return 0 if start_ok and save_ok else 1


if __name__ == "__main__":
    sys.exit(main())
