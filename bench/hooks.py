"""DNS hook speed and request counts: 1,000 [[dns]] records against the local fake Cloudflare API.

Run by hand from the repo root (not in CI):  python bench/hooks.py [--runs 3] [--records 1000] [--no-schema]
Deploys a copy of examples/hello once without records (so the script is in place), then
declares N A records (zone example.com, a Free zone: 200 records per batch) and measures
  * from empty: the deploy that creates all N records (the zone's DNS emptied before each run)
  * unchanged:  the same deploy again (nothing to write)
each as a subprocess (`cfworker deploy`, what CI runs) and in-process (the same code without
interpreter start-up): median wall time, the part of it the fake spent serving (its OpenAPI
check of each 200-record batch body dominates), API requests (all, and DNS ones) and writes.
--no-schema turns that check off (the e2e tests keep it on, so the bodies are still verified there).
Targets (issue 5): from empty <= 10 requests and <= 2 s; unchanged 0 writes.
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

TARGETS = {"from empty": (2.0, 10, None), "unchanged": (None, None, 0)}


def declare_records(project: Path, count: int) -> None:
    """Append `count` [[dns]] A records (h0.example.com, ...) to worker.toml."""
    toml = project / "worker.toml"
    records = "".join(f'\n[[dns]]\ntype = "A"\nname = "h{i}"\ncontent = "192.0.2.{i % 254 + 1}"\n'
                      f'zone = "example.com"\n' for i in range(count))
    toml.write_text(toml.read_text() + records)


def deploy_once(fake: FakeCloudflare, project: Path, env: dict[str, str], *, subprocess_mode: bool
                ) -> tuple[float, float, int, int, int]:
    """(seconds, seconds the fake spent serving, requests, DNS requests, writes) of one deploy."""
    before, before_writes = len(fake.requests), len(fake.writes())
    started = time.perf_counter()
    if subprocess_mode:
        proc = subprocess.run([sys.executable, "-m", "cfworker", "deploy"], cwd=project, env=env,
                              capture_output=True, text=True)
        code, output = proc.returncode, proc.stdout + proc.stderr
    else:
        result = run_cli(["deploy"], env=env, cwd=project)
        code, output = result.code, result.output
    elapsed = time.perf_counter() - started
    if code != 0:
        raise SystemExit(f"deploy failed with exit {code}:\n{output}")
    new = fake.requests[before:]
    served = sum(r.elapsed_ms for r in new) / 1000
    dns_requests = sum(1 for r in new if "/dns_records" in r.path)
    return elapsed, served, len(new), dns_requests, len(fake.writes()) - before_writes


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    parser.add_argument("--no-schema", action="store_true", help="do not check requests against the OpenAPI schema")
    args = parser.parse_args()
    server, fake, project, env, zone_id = bench_project("hello", validate=not args.no_schema)
    workdir = project.parent
    first = run_cli(["deploy"], env=env, cwd=project)
    if first.code != 0:
        print(first)
        return 1
    declare_records(project, args.records)
    rows = []
    for mode in ("subprocess", "in-process"):
        samples: dict[str, list[tuple[float, float, int, int, int]]] = {"from empty": [], "unchanged": []}
        for _ in range(args.runs):
            with fake.lock:
                fake.state.dns[zone_id] = {}
            samples["from empty"].append(deploy_once(fake, project, env, subprocess_mode=mode == "subprocess"))
            if len(fake.dns_records(zone_id)) != args.records:
                raise SystemExit(f"expected {args.records} records, found {len(fake.dns_records(zone_id))}")
            samples["unchanged"].append(deploy_once(fake, project, env, subprocess_mode=mode == "subprocess"))
        for label, values in samples.items():
            rows.append((label, mode, *(statistics.median(v[i] for v in values) for i in range(5))))
    batches = [len(r.json().get("posts", [])) for r in fake.requests if r.path.endswith("/dns_records/batch")]
    server.stop()
    shutil.rmtree(workdir, ignore_errors=True)
    print(f"DNS hook: {args.records} [[dns]] records against the local fake, {args.runs} runs each "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores; batch sizes {sorted(set(batches))}; "
          f"schema check {'off' if args.no_schema else 'on'})")
    print(f"{'case':11} {'mode':11} {'median s':>9} {'fake s':>7} {'requests':>9} {'dns req':>8} {'writes':>7}"
          "   target")
    for label, mode, median, served, reqs, dns_reqs, writes in rows:
        t_time, t_reqs, t_writes = TARGETS[label]
        parts = (f"<= {t_time:.1f} s" if t_time else "", f"<= {t_reqs} requests" if t_reqs else "",
                 f"{t_writes} writes" if t_writes is not None else "")
        target = ", ".join(t for t in parts if t)
        print(f"{label:11} {mode:11} {median:9.3f} {served:7.3f} {reqs:9.0f} {dns_reqs:8.0f} {writes:7.0f}   {target}")
    from bench.report import row, write_rows

    out = []
    for label, mode, median, _served, reqs, _dns_reqs, writes in rows:
        if mode != "subprocess":
            continue
        t_time, t_reqs, t_writes = TARGETS[label]
        out.append(row("hooks", f"{args.records} DNS records {label}: time", median, "s",
                       f"<= {t_time:.1f}" if t_time else "", median <= t_time if t_time else None))
        out.append(row("hooks", f"{args.records} DNS records {label}: requests", reqs, "requests",
                       f"<= {t_reqs}" if t_reqs else "", reqs <= t_reqs if t_reqs else None))
        out.append(row("hooks", f"{args.records} DNS records {label}: writes", writes, "writes",
                       f"{t_writes}" if t_writes is not None else "", writes == t_writes if t_writes is not None else None))
    write_rows(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
