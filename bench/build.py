"""What `cfworker build` costs on top of running esbuild yourself.

Run by hand (not in CI):  python bench/build.py [--runs 20] [--example router-ts]
Times `python -m cfworker build` (a fresh process, as a user runs it) on an example against
the bare esbuild command with the same flags (`esbuild_argv()`), same binary, each run as
a fresh process; prints medians, p90s, the difference and the ratio. Two reference rows
split the difference: `python -c pass` (the interpreter alone) and `cfworker --version`
(interpreter + CLI start-up, which every command pays). Bytecode is compiled first, as
`pip install` does (PYTHONDONTWRITEBYTECODE would otherwise make every run recompile).
Target (issue 3): cfworker adds <= 60 ms over bare esbuild.
The example's npm dependencies must be installed (`npm ci` in examples/router-ts).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import p90  # noqa: E402

TARGET_MS = 60.0


def time_runs(argv: list[str], *, cwd: Path, env: dict[str, str], runs: int) -> list[float]:
    """Wall time in ms of `runs` fresh processes (after one warm-up run)."""
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return samples



def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--example", default="router-ts")
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    args = parser.parse_args()

    from cfworker.bundle.esbuild import esbuild_argv
    from cfworker.bundle.runner import SubprocessRunner
    from cfworker.bundle.tool import find_esbuild
    from cfworker.config.loader import load_project

    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "cfworker")], check=True,
                   capture_output=True)
    root = REPO / "examples" / args.example
    project, _ = load_project(None, env=None, cwd=root)
    env = dict(os.environ)
    tool = find_esbuild(project_root=root, configured=project.build.esbuild, environ=env,
                        runner=SubprocessRunner())
    with tempfile.TemporaryDirectory() as tmp:
        bare_out, cf_out = Path(tmp) / "bare", Path(tmp) / "cfworker"
        bare_out.mkdir()
        bare = esbuild_argv(project, outdir=bare_out, esbuild=tool.path)
        ours = [sys.executable, "-m", "cfworker", "build", "--outdir", str(cf_out)]
        cases = [
            ("bare esbuild (same flags)", bare),
            ("python -m cfworker build", ours),
            ("  ref: python -c pass", [sys.executable, "-c", "pass"]),
            ("  ref: cfworker --version", [sys.executable, "-m", "cfworker", "--version"]),
        ]
        rows = [(label, time_runs(argv, cwd=root, env=env, runs=args.runs)) for label, argv in cases]

    print(f"build of examples/{args.example}, {args.runs} runs each "
          f"(python {sys.version.split()[0]}, {sys.platform}, esbuild from {tool.source})")
    print(f"{'command':<30} {'median ms':>10} {'p90 ms':>8}")
    for label, samples in rows:
        print(f"{label:<30} {statistics.median(samples):>10.1f} {p90(samples):>8.1f}")
    base, ours_ms = statistics.median(rows[0][1]), statistics.median(rows[1][1])
    diff = ours_ms - base
    verdict = "ok" if diff <= TARGET_MS else "OVER TARGET"
    print(f"cfworker adds {diff:.1f} ms (x{ours_ms / base:.1f}); target <= {TARGET_MS:.0f} ms: {verdict}")
    interpreter, startup = statistics.median(rows[2][1]), statistics.median(rows[3][1])
    print(f"  of which: interpreter start {interpreter:.1f} ms, CLI start-up {startup - interpreter:.1f} ms, "
          f"the build command itself {ours_ms - startup - base:.1f} ms beyond esbuild")
    from bench.report import row, write_rows

    write_rows(args.json, [
        row("build", "bare esbuild (median)", base, "ms"),
        row("build", "cfworker build (median)", ours_ms, "ms"),
        row("build", "cfworker over bare esbuild", diff, "ms", f"<= {TARGET_MS:.0f}", diff <= TARGET_MS),
    ])
    return 0


if __name__ == "__main__":
    sys.exit(main())
