"""Run every bench script and print one table of the figures, each beside its target.

Run by hand from the repo root (not in CI):  python bench/run_all.py [--quick] [--markdown FILE]
Runs startup, build, deploy, watch, hooks and dev (each writes its figures as JSON rows),
then measures the peak RSS of one `cfworker deploy` process against the local fake, and
prints a single table. --quick uses fewer runs; --markdown also writes the table (with the
machine it ran on) to FILE, e.g. docs/performance.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

BENCHES = [
    ("startup", ["--runs", "20"], ["--runs", "5"]),
    ("build", ["--runs", "20"], ["--runs", "5"]),
    ("deploy", ["--runs", "10"], ["--runs", "3"]),
    ("watch", ["--trials", "20"], ["--trials", "5"]),
    ("hooks", ["--runs", "3"], ["--runs", "1"]),
    ("dev", ["--trials", "20"], ["--trials", "5"]),
]


def run_bench(name: str, args: list[str]) -> tuple[list[dict[str, Any]], str]:
    """Run bench/NAME.py with --json; its rows, or an error row when it failed."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    proc = subprocess.run([sys.executable, str(REPO / "bench" / f"{name}.py"), *args, "--json", str(out)],
                          cwd=REPO, capture_output=True, text=True)
    try:
        rows = json.loads(out.read_text() or "[]")
    except (OSError, json.JSONDecodeError):
        rows = []
    finally:
        out.unlink(missing_ok=True)
    if not rows:
        reason = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no figures"]
        rows = [{"bench": name, "metric": f"FAILED (exit {proc.returncode}): {reason[0][:80]}", "value": 0,
                 "unit": "", "target": "", "ok": False}]
    return rows, proc.stdout


def peak_rss_of_deploy() -> dict[str, Any]:
    """Peak resident memory of one `cfworker deploy` of examples/kv-cache against the fake."""
    from bench.report import row
    from tests.fakes.cloudflare import FakeCloudflare
    from tests.fakes.server import FakeServer

    server = FakeServer(FakeCloudflare()).start()
    fake = server.fake
    fake.set_workers_subdomain("bench")
    fake.add_zone("example.com")
    workdir = Path(tempfile.mkdtemp(prefix="cfworker-rss-"))
    project = workdir / "kv-cache"
    shutil.copytree(REPO / "examples" / "kv-cache", project, ignore=shutil.ignore_patterns("dist"))
    env = {**os.environ, **fake.env, "NO_COLOR": "1"}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-m", "cfworker", "deploy"], cwd=project, env=env,
                          capture_output=True, text=True)
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # Linux: KiB, max over children
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    if proc.returncode != 0:
        return row("rss", "peak RSS of a deploy: FAILED", 0, "", "", False)
    del before
    return row("rss", "peak RSS of a deploy (python process)", peak_kib / 1024, "MiB")


def machine() -> str:
    return (f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
            f"Python {platform.python_version()}, {datetime.date.today().isoformat()}")


def render(rows: list[dict[str, Any]]) -> list[str]:
    lines = ["| bench | measure | value | target | met |", "|---|---|---|---|---|"]
    for r in rows:
        met = {True: "yes", False: "**no**", None: ""}[r["ok"]]
        value = f"{r['value']:g} {r['unit']}".strip()
        lines.append(f"| {r['bench']} | {r['metric']} | {value} | {r['target']} | {met} |")
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer runs per bench")
    parser.add_argument("--only", nargs="*", help="run only these benches")
    parser.add_argument("--markdown", metavar="FILE", help="also write the table to this Markdown file")
    args = parser.parse_args()
    rows: list[dict[str, Any]] = []
    for name, full, quick in BENCHES:
        if args.only and name not in args.only:
            continue
        print(f"running bench/{name}.py ...", file=sys.stderr, flush=True)
        bench_rows, _ = run_bench(name, quick if args.quick else full)
        rows += bench_rows
    if not args.only or "rss" in args.only:
        rows.append(peak_rss_of_deploy())
    table = render(rows)
    print(f"cfworker benchmarks on {machine()}")
    print("\n".join(table))
    if args.markdown:
        Path(args.markdown).write_text(
            "# Performance\n\n"
            "Figures from `python bench/run_all.py` (each bench script also runs alone and prints more detail).\n"
            "Wall times are for a fresh process, as a user or CI runs the command, against the local fake\n"
            f"Cloudflare API on 127.0.0.1.\n\nMachine: {machine()}\n\n" + "\n".join(table) + "\n")
    return 0 if all(r["ok"] is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
