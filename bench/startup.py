"""Start-up time of the cfworker CLI beside a bare Python interpreter.

Run by hand (not in CI):  python bench/startup.py [--runs 20]
Prints the median and p90 wall time of `python -c pass`, `cfworker --version` and
`cfworker --help`, each run as a fresh process the way a user or CI runs it.
Target (issue 2): cfworker --version and --help <= 80 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGET_MS = 80.0
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.report import p90, row, write_rows  # noqa: E402


def time_command(argv: list[str], runs: int) -> list[float]:
    subprocess.run(argv, capture_output=True, check=True)  # warm the page cache once
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(argv, capture_output=True, check=True)
        samples.append((time.perf_counter() - started) * 1000)
    return samples



def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    args = parser.parse_args()
    # The console script next to this interpreter (a pyenv shim on PATH adds ~70 ms of bash).
    local = Path(sys.executable).parent / ("cfworker.exe" if sys.platform == "win32" else "cfworker")
    exe = str(local) if local.exists() else shutil.which("cfworker")
    cases = [("python -c pass", [sys.executable, "-c", "pass"])]
    if exe:
        cases += [("cfworker --version", [exe, "--version"]), ("cfworker --help", [exe, "--help"])]
    cases += [("python -m cfworker --version", [sys.executable, "-m", "cfworker", "--version"])]
    rows = []
    for label, argv in cases:
        samples = time_command(argv, args.runs)
        rows.append((label, statistics.median(samples), p90(samples)))
    base = rows[0][1]
    print(f"startup, {args.runs} runs each (python {sys.version.split()[0]}, {sys.platform})")
    print(f"{'command':32} {'median ms':>10} {'p90 ms':>8} {'over python':>12} {'target':>8}")
    for label, med, high in rows:
        target = f"<= {TARGET_MS:.0f}" if label.startswith("cfworker") else ""
        print(f"{label:32} {med:10.1f} {high:8.1f} {med - base:12.1f} {target:>8}")
    if not exe:
        print("note: `cfworker` is not on PATH; install with `pip install -e .` to time the console script")
    write_rows(args.json, [row("startup", label, med, "ms", f"<= {TARGET_MS:.0f} ms" if label.startswith("cfworker") else "",
                               med <= TARGET_MS if label.startswith("cfworker") else None)
                           for label, med, _ in rows])
    return 0


if __name__ == "__main__":
    sys.exit(main())
