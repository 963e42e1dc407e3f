"""The start-up check's cost (issue 15): boot the hello example's bundle in workerd and stop it.

Run by hand from the repo root (not in CI):  python bench/startcheck.py [--runs 20] [--example hello]
Builds the example once, then times `check_startup` (write the config and modules, start
workerd on a free port, wait for it to listen, stop it) `--runs` times, beside a floor: the
same workerd binary running `--version` (a process start and exit, no Worker). Uses the
pinned workerd from the user cache (run `cfworker workerd install` first). Target: <= 150 ms
(median) for the check.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import p90  # noqa: E402

TARGET_MS = 150.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--example", default="hello")
    args = parser.parse_args()

    from cfworker.bundle import build_project
    from cfworker.bundle.runner import SubprocessRunner
    from cfworker.bundle.tool import find_esbuild
    from cfworker.config.loader import load_project
    from cfworker.dev.startcheck import check_startup
    from cfworker.dev.workerd import find_workerd

    with tempfile.TemporaryDirectory() as tmp:
        project_dir = Path(tmp) / args.example
        shutil.copytree(REPO / "examples" / args.example, project_dir, ignore=shutil.ignore_patterns("node_modules"))
        project, _ = load_project(None, env=None, cwd=project_dir)
        runner = SubprocessRunner()
        esbuild = find_esbuild(project_root=project.root, configured=None, environ=os.environ, runner=runner,
                               cwd=project_dir)
        bundle = build_project(project, runner=runner, esbuild_path=esbuild.path)
        workerd = find_workerd(project_root=project.root, environ=os.environ, runner=runner, cwd=project_dir,
                               install=False)
        check_startup(project, bundle, workerd, environ=os.environ)  # warm-up (page cache)
        checks, floors = [], []
        for _ in range(args.runs):
            started = time.perf_counter()
            result = check_startup(project, bundle, workerd, environ=os.environ)
            checks.append((time.perf_counter() - started) * 1000)
            assert result.ok, result.output
            started = time.perf_counter()
            subprocess.run([str(workerd.binary.path), "--version"], capture_output=True, check=True)
            floors.append((time.perf_counter() - started) * 1000)
    median = statistics.median(checks)
    print(f"{'what':40} {'median ms':>10} {'p90 ms':>8} {'target':>8}")
    print(f"{'start-up check (' + args.example + ')':40} {median:10.1f} {p90(checks):8.1f} {TARGET_MS:8.0f}")
    print(f"{'floor: workerd --version':40} {statistics.median(floors):10.1f} {p90(floors):8.1f} {'-':>8}")
    print(f"{'check minus floor':40} {median - statistics.median(floors):10.1f}")
    return 0 if median <= TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
