"""Static-assets deploys against the local fake: 1,000 files (10 MiB) first, then unchanged.

Run by hand from the repo root (not in CI):  python bench/assets.py [--files 1000] [--mib 10]
Writes a site of FILES files totalling MIB MiB beside examples/hello's Worker, then runs
`cfworker deploy --no-check` as a subprocess (what CI runs):
  * first:     every file is new (upload session, buckets, script)
  * unchanged: the same tree again (the content hash matches: no session, no upload)
  * one file:  one file changed (one file uploaded)
reporting wall time, API requests (all, and asset requests), asset files uploaded and the
peak RSS of the cfworker process. The floors are `cfworker deploy` of the same Worker without
[assets], first and unchanged (interpreter start-up and the reads dominate them). Targets (issue 16): first <= 3 s and <= 15 asset requests; unchanged <= 0.3 s and
0 asset uploads; RSS <= 80 MiB.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.report import bench_project, row, write_rows  # noqa: E402

ASSET_PATHS = ("/workers/assets/upload", "/assets-upload-session")


def write_site(public: Path, files: int, total: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    size = max(1, total // files)
    for i in range(files):
        folder = public / f"section-{i % 20}"
        folder.mkdir(parents=True, exist_ok=True)
        ext = (".html", ".css", ".js", ".png", ".json")[i % 5]
        (folder / f"page-{i}{ext}").write_bytes(rng.randbytes(size))


def deploy(project: Path, env: dict[str, str], fake) -> dict[str, float]:
    before = len(fake.requests)
    uploads_before = sum(len(h) for _j, h in fake.asset_uploads)
    started = time.perf_counter()
    # The child's peak RSS: run it under a tiny wrapper that reports getrusage of its child.
    wrapper = ("import resource, subprocess, sys; p = subprocess.run(sys.argv[1:]); "
               "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, file=sys.stderr); sys.exit(p.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, sys.executable, "-m", "cfworker", "deploy", "--no-check"],
                          cwd=project, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"deploy failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    rss_kib = int(proc.stderr.strip().splitlines()[-1])
    new = fake.requests[before:]
    return {"seconds": elapsed, "requests": len(new),
            "asset_requests": sum(1 for r in new if r.path.endswith(ASSET_PATHS)),
            "uploaded": sum(len(h) for _j, h in fake.asset_uploads) - uploads_before,
            "rss_mib": rss_kib / 1024 if sys.platform != "darwin" else rss_kib / 1048576}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1000)
    parser.add_argument("--mib", type=float, default=10.0)
    parser.add_argument("--json", metavar="FILE", help="also write the figures as JSON rows (for run_all.py)")
    args = parser.parse_args()
    server, fake, project, env, _zone = bench_project("hello")
    try:
        floor = deploy(project, env, fake)  # first deploy of the Worker alone: the floor
        floor_unchanged = deploy(project, env, fake)  # and again: the floor of an unchanged redeploy
        (project / "worker.toml").write_text((project / "worker.toml").read_text() + '\n[assets]\ndirectory = "public"\n')
        write_site(project / "public", args.files, int(args.mib * 1048576))
        first = deploy(project, env, fake)
        unchanged = deploy(project, env, fake)
        one = next((project / "public").rglob("*.html"))
        one.write_bytes(one.read_bytes() + b"!")
        changed = deploy(project, env, fake)
    finally:
        server.stop()
        shutil.rmtree(project.parent, ignore_errors=True)
    print(f"assets deploy: {args.files} files, {args.mib:g} MiB, against the local fake "
          f"(python {sys.version.split()[0]}, {os.cpu_count()} cores)")
    print(f"{'case':22} {'seconds':>8} {'requests':>9} {'asset req':>10} {'uploaded':>9} {'peak RSS':>9}   target")
    targets = {"first deploy": "<= 3 s, <= 15 asset requests, <= 80 MiB",
               "unchanged redeploy": "<= 0.3 s, 0 uploads", "one file changed": "1 upload",
               "floor: no [assets]": "-", "floor: unchanged": "-"}
    rows = [("floor: no [assets]", floor), ("floor: unchanged", floor_unchanged), ("first deploy", first),
            ("unchanged redeploy", unchanged),
            ("one file changed", changed)]
    for label, m in rows:
        print(f"{label:22} {m['seconds']:8.3f} {m['requests']:9.0f} {m['asset_requests']:10.0f} "
              f"{m['uploaded']:9.0f} {m['rss_mib']:7.1f} MiB   {targets[label]}")
    out = [row("assets", "first deploy time", first["seconds"], "s", "<= 3 s", first["seconds"] <= 3),
           row("assets", "first deploy asset requests", first["asset_requests"], "requests", "<= 15",
               first["asset_requests"] <= 15),
           row("assets", "first deploy peak RSS", first["rss_mib"], "MiB", "<= 80", first["rss_mib"] <= 80),
           row("assets", "unchanged redeploy time", unchanged["seconds"], "s", "<= 0.3 s", unchanged["seconds"] <= 0.3),
           row("assets", "unchanged asset uploads", unchanged["uploaded"], "files", "0", unchanged["uploaded"] == 0),
           row("assets", "one changed file uploads", changed["uploaded"], "files", "1", changed["uploaded"] == 1)]
    write_rows(args.json, out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
