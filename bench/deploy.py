"""Deploy speed and request counts against the local fake Cloudflare API.

Run by hand from the repo root (not in CI):  python bench/deploy.py [--runs 10]
Deploys a copy of examples/kv-cache once, then measures
  * changed:   one [vars] value changed before each deploy (an existing worker)
  * unchanged: the same deploy again (nothing to write)
each as a subprocess (`cfworker deploy`, what CI runs) and in-process (the same code without
interpreter start-up), reporting median wall time, API requests and writes per deploy.
Targets (issue 4): changed <= 0.20 s and <= 6 requests; unchanged <= 0.15 s and 0 writes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import bench_project  # noqa: E402
from tests.e2e.cli import run_cli  # noqa: E402
from tests.fakes.cloudflare import FakeCloudflare  # noqa: E402

TARGETS = {"changed": (0.20, 6, None), "unchanged": (0.15, None, 0)}


def set_ttl(project: Path, value: int) -> None:
    toml = project / "worker.toml"
    lines = [f'CACHE_TTL = "{value}"' if line.startswith("CACHE_TTL") else line
             for line in toml.read_text().splitlines()]
    toml.write_text("\n".join(lines) + "\n")


EXTRA: list[str] = []  # extra deploy flags (--no-check)


def measure(fake: FakeCloudflare, project: Path, env: dict[str, str], *, runs: int, change: bool,
            subprocess_mode: bool) -> tuple[float, float, float]:
    times, requests, writes = [], [], []
    for i in range(runs):
        if change:
            set_ttl(project, 400 + i + (1000 if subprocess_mode else 0))
        before_requests, before_writes = len(fake.requests), len(fake.writes())
        started = time.perf_counter()
        if subprocess_mode:
            proc = subprocess.run([sys.executable, "-m", "cfworker", "deploy", *EXTRA], cwd=project, env=env,
                                  capture_output=True, text=True)
            code = proc.returncode
        else:
            code = run_cli(["deploy", *EXTRA], env=env, cwd=project).code
        times.append(time.perf_counter() - started)
        if code != 0:
            raise SystemExit(f"deploy failed with exit {code}")
        requests.append(len(fake.requests) - before_requests)
        writes.append(len(fake.writes()) - before_writes)
    return statistics.median(times), statistics.median(requests), statistics.median(writes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--no-check", action="store_true",
                        help="deploy with --no-check (the start-up check runs by default when workerd is cached; "
                             "against the local fake it is on the critical path, against Cloudflare it overlaps "
                             "the reads)")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    args = parser.parse_args()
    if args.no_check:
        EXTRA.append("--no-check")
    server, fake, project, env, _zone_id = bench_project("kv-cache")
    workdir = project.parent
    first = run_cli(["deploy"], env=env, cwd=project)
    if first.code != 0:
        print(first)
        return 1
    rows = []
    for mode in ("subprocess", "in-process"):
        for label, change in (("changed", True), ("unchanged", False)):
            median, reqs, writes = measure(fake, project, env, runs=args.runs, change=change,
                                           subprocess_mode=mode == "subprocess")
            rows.append((label, mode, median, reqs, writes))
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"deploy of examples/kv-cache against the local fake, {args.runs} runs each "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print(f"{'case':10} {'mode':11} {'median s':>9} {'requests':>9} {'writes':>7}   target")
    for label, mode, median, reqs, writes in rows:
        t_time, t_reqs, t_writes = TARGETS[label]
        target = f"<= {t_time:.2f} s" + (f", <= {t_reqs} requests" if t_reqs else "") + \
            (f", {t_writes} writes" if t_writes is not None else "")
        print(f"{label:10} {mode:11} {median:9.3f} {reqs:9.0f} {writes:7.0f}   {target}")
    from bench.report import row, write_rows

    out = []
    for label, mode, median, reqs, writes in rows:
        t_time, t_reqs, t_writes = TARGETS[label]
        out.append(row("deploy", f"{label} ({mode}) time", median, "s", f"<= {t_time:.2f} s", median <= t_time))
        if mode == "subprocess":
            out.append(row("deploy", f"{label} requests", reqs, "requests", f"<= {t_reqs}" if t_reqs else "",
                           reqs <= t_reqs if t_reqs else None))
            out.append(row("deploy", f"{label} writes", writes, "writes", f"{t_writes}" if t_writes is not None else "",
                           writes == t_writes if t_writes is not None else None))
    write_rows(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
