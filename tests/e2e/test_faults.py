"""Fault campaign (marker `faults`): deploys under injected faults, then a clean rerun, then
the fake's state must be exactly what the config says.

Each pair: a deploy while the fake injects, at random with a fixed seed, 429s with
Retry-After, 500/502/503, dropped connections (before and after the request was applied)
and slow answers on about 20% of calls; then a clean deploy that must exit 0; then the
state is checked: the script once with the configured metadata, no duplicate routes, KV
namespaces or DNS records, schedules as configured, the secret set beforehand still
there; and a third deploy makes no write. The outcomes are printed at the end of the run
(see `pytest_terminal_summary` in tests/e2e/conftest.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.cli import run_cli
from tests.fakes import Slow

pytestmark = [pytest.mark.faults, pytest.mark.needs_esbuild]

SEEDS = range(1, 13)
EXAMPLES = ("hello", "router-ts", "kv-cache", "kv-cache+hooks")
# The campaign's hook project: kv-cache plus DNS records (more than 3, so they go through
# the batch endpoint) and a purge of its own host after every deploy.
HOOKS_TOML = """
[[dns]]
type = "A"
name = "kv"
content = "192.0.2.10"
proxied = true

[[dns]]
type = "AAAA"
name = "kv"
content = "2001:db8::10"
proxied = true

[[dns]]
type = "TXT"
name = "_verify.kv"
content = "cfworker-campaign"

[[dns]]
type = "MX"
name = "example.com"
content = "mail.example.com"
priority = 10

[[dns]]
type = "CNAME"
name = "www.kv"
content = "kv.example.com"
proxied = true

[purge]
files = ["https://{host}/", "https://{host}/index.html"]
"""
CAMPAIGN: list[dict[str, Any]] = []  # rows for the end-of-run report


def _env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def check_state(fake_cf, project: Path, name: str) -> None:
    """The fake holds exactly what the config says: one of everything, nothing lost."""
    from cfworker.config.loader import load_project

    config, _ = load_project(None, env=None, cwd=project)
    assert list(fake_cf.scripts).count(name) == 1
    script = fake_cf.scripts[name]
    bindings = {b["name"]: b for b in script.metadata["bindings"]}
    kvs = config.bindings_of("kv_namespaces")
    assert set(bindings) == {v.name for v in config.vars} | {k.name for k in kvs}
    for var in config.vars:
        key = "text" if var.is_text else "json"
        assert bindings[var.name][key] == var.value
    for kv in kvs:
        title = config.resource_name(kv)
        matching = [ns for ns in fake_cf.kv.values() if ns.title == title]
        assert len(matching) == 1, f"{len(matching)} namespaces titled {title!r}"
        assert bindings[kv.name]["namespace_id"] == matching[0].id
    patterns = [r.pattern for r in fake_cf.routes(fake_cf.zone_id)]
    assert len(patterns) == len(set(patterns)), f"duplicate routes: {patterns}"
    assert sorted(p for p in patterns) == sorted(r.pattern for r in config.routes if not r.custom_domain)
    if config.crons is not None:
        assert sorted(s["cron"] for s in script.schedules) == sorted(config.crons)
    assert "CANARY" in script.secrets, "a secret set before the campaign was lost"
    if config.dns:
        records = [(r["type"], r["name"], r["content"]) for r in fake_cf.dns_records(fake_cf.zone_id)]
        assert len(records) == len(set(records)), f"duplicate DNS records: {records}"
        want = set()
        for spec in config.dns:
            fqdn = spec.name if spec.name.endswith("example.com") else f"{spec.name}.example.com"
            want.add((spec.type, fqdn, spec.content))
        assert want <= set(records), f"missing DNS records: {want - set(records)}"
        assert len(records) == len(want), f"unexpected DNS records: {set(records) - want}"


@pytest.mark.parametrize("name", EXAMPLES)
def test_campaign_converges_after_faults(name: str, example: Callable[[str], Path], fake_cf,
                                         esbuild_cache: Path) -> None:
    """For each seed: a faulty deploy, a clean rerun that exits 0, exact state, then no writes."""
    env = _env(fake_cf, esbuild_cache)
    project = example(name.split("+")[0])
    if name == "kv-cache+hooks":
        toml = project / "worker.toml"
        toml.write_text(toml.read_text().replace('compatibility_date = "2025-06-01"\n',
                                                 'compatibility_date = "2025-06-01"\ndns_batch_size = 3\n') + HOOKS_TOML)
    # A secret set before any deploy (it creates a placeholder worker, as `secret put` does).
    assert run_cli(["secret", "put", "CANARY"], env=env, cwd=project, input="keep-me").code == 0
    for seed in SEEDS:
        toml = project / "worker.toml"
        # Change the code each round so every pair has an upload to fail.
        entry = next(p for p in (project / "src").iterdir() if p.suffix in (".js", ".ts"))
        entry.write_text(entry.read_text() + f"\n// round {seed}\n")
        fake_cf.chaos(0.2, seed=seed, kinds=["429", "500", "502", "503", "drop", "drop_after_apply", "slow"])
        faults_before = sum(fake_cf.fault_counts.values())
        started = time.perf_counter()
        faulty = run_cli(["deploy", "--yes"], env=env, cwd=project)
        fake_cf.chaos(None)
        injected = sum(fake_cf.fault_counts.values()) - faults_before
        assert "Traceback" not in faulty.output, faulty
        assert faulty.code in (0, 1, 3), faulty
        clean = run_cli(["deploy", "--yes"], env=env, cwd=project)
        assert clean.code == 0, clean
        check_state(fake_cf, project, name.split("+")[0])
        writes = len(fake_cf.writes())
        again = run_cli(["deploy", "--no-hooks"] if name.endswith("hooks") else ["deploy"], env=env, cwd=project)
        assert again.code == 0 and len(fake_cf.writes()) == writes, again  # purge is the only write left
        CAMPAIGN.append({"example": name, "seed": seed, "faulty_exit": faulty.code, "faults": injected,
                         "rerun_exit": clean.code, "converged": True,
                         "seconds": round(time.perf_counter() - started, 2)})


def _subprocess_deploy(project: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cfworker", "deploy", "--yes"], cwd=project,
                            env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.parametrize("seed", range(8))
def test_sigkill_mid_deploy_then_rerun_converges(seed: int, example: Callable[[str], Path], fake_cf,
                                                 esbuild_cache: Path) -> None:
    """SIGKILL after a random number of API requests; the rerun converges with nothing duplicated."""
    import random

    env = _env(fake_cf, esbuild_cache)
    project = example("kv-cache")
    # A process killed while sending a request leaves a truncated body at the fake, which its
    # schema check rejects; that is the kill, not a bad request from cfworker.
    fake_cf.expect_schema_violations()
    assert run_cli(["secret", "put", "CANARY"], env=env, cwd=project, input="keep-me").code == 0
    baseline = len(fake_cf.requests)
    fake_cf.inject(fault=Slow(0.03), times=None)  # slow answers: the kill lands between requests
    # A first deploy of kv-cache makes ~10 requests: 4 parallel reads, 2 more reads, then the
    # writes (KV create, upload, schedules, route). Kill points cover reads and every write.
    kill_after = (2, 5, 6, 7, 8, 9, 10, random.Random(seed).randint(1, 10))[seed]
    proc = _subprocess_deploy(project, env)
    deadline = time.monotonic() + 30
    while len(fake_cf.requests) - baseline < kill_after and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    seen = len(fake_cf.requests) - baseline
    # The request in flight at the kill may still be applied while the rerun starts reading
    # (as Cloudflare may apply it late): the rerun must cope, so no waiting for it here.
    fake_cf.faults.injections.clear()
    clean = run_cli(["deploy", "--yes"], env=env, cwd=project)
    assert clean.code == 0, clean
    check_state(fake_cf, project, "kv-cache")
    CAMPAIGN.append({"example": f"kv-cache (SIGKILL at ~{seen} req)", "seed": seed, "faulty_exit": proc.returncode,
                     "faults": 1, "rerun_exit": clean.code, "converged": True, "seconds": 0})


def _wait_until_upload_is_held(fake_cf) -> None:
    """Wait until the fake is holding the slow upload (requests are logged only when answered)."""
    deadline = time.monotonic() + 20
    while fake_cf.fault_counts.get("slow", 0) == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fake_cf.fault_counts.get("slow", 0) == 1, "the upload never reached the fake"


def _drain_held_upload(fake_cf) -> None:
    """Wait for the fake to finish the upload it was holding (the client is gone, but the
    fake's thread would otherwise apply it later, into the next test's fresh state)."""
    deadline = time.monotonic() + 10
    while fake_cf.count("PUT", "/accounts/*/workers/scripts/*") == 0 and time.monotonic() < deadline:
        time.sleep(0.02)


def test_sigint_prints_what_was_applied_and_exits_130(example: Callable[[str], Path], fake_cf,
                                                     esbuild_cache: Path) -> None:
    """Ctrl-C during the writes: exit 130, no traceback, the applied steps are named, a rerun finishes."""
    env = _env(fake_cf, esbuild_cache)
    project = example("kv-cache")
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/*", Slow(3.0), times=1)
    proc = _subprocess_deploy(project, env)
    _wait_until_upload_is_held(fake_cf)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err
    assert "interrupted" in err
    assert "done: create KV namespace" in out  # what was applied before the interrupt
    _drain_held_upload(fake_cf)
    fake_cf.faults.injections.clear()
    assert run_cli(["deploy", "--yes"], env=env, cwd=project).code == 0
    assert len([ns for ns in fake_cf.kv.values() if ns.title == "kv-cache-cache"]) == 1


def test_sigterm_is_handled_like_ctrl_c(example: Callable[[str], Path], fake_cf, esbuild_cache: Path) -> None:
    """SIGTERM (a CI job cancelled) exits 130 cleanly instead of dying mid-write with no message."""
    env = _env(fake_cf, esbuild_cache)
    project = example("hello")
    fake_cf.inject("PUT", "/accounts/*/workers/scripts/*", Slow(3.0), times=1)
    proc = _subprocess_deploy(project, env)
    _wait_until_upload_is_held(fake_cf)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, (out, err)
    assert "Traceback" not in out + err and "interrupted" in err
    _drain_held_upload(fake_cf)


def test_rate_budget_paces_instead_of_collecting_429s(example: Callable[[str], Path], fake_cf,
                                                      esbuild_cache: Path) -> None:
    """With the fake allowing 10 requests per 2 s and a budget of 4 per 2 s in cfworker (a wide
    margin: cfworker counts a request when it is sent, the fake when its handler runs, and on a
    loaded 2-core CI machine one round of parallel reads can reach the fake up to a second late,
    so two windows' worth of sends may land in one window of arrivals; 8/2 against 5/2 failed
    CI once that way), a deploy that needs more requests than that waits for the window instead
    of getting 429s."""
    env = _env(fake_cf, esbuild_cache)
    project = example("kv-cache")
    fake_cf.rate_limit(10, window=2.0)
    env["CFWORKER_RATE_LIMIT"] = "4/2"
    from tests.e2e.cli import run_subprocess

    started = time.perf_counter()
    result = run_subprocess(["deploy", "--yes"], env=env, cwd=project)
    elapsed = time.perf_counter() - started
    assert result.code == 0, result
    assert fake_cf.fault_counts.get("rate_limited", 0) == 0, fake_cf.fault_counts
    assert len(fake_cf.requests) > 10 and elapsed >= 4.0
    CAMPAIGN.append({"example": "kv-cache (rate budget 4/2s)", "seed": "-", "faulty_exit": result.code,
                     "faults": 0, "rerun_exit": "-", "converged": True, "seconds": round(elapsed, 2)})


def campaign_report() -> list[str]:
    """Lines for the end-of-run summary."""
    if not CAMPAIGN:
        return []
    outcomes = Counter(row["faulty_exit"] for row in CAMPAIGN)
    lines = [f"fault campaign: {len(CAMPAIGN)} runs, {sum(int(r['faults']) for r in CAMPAIGN)} faults injected, "
             f"{sum(1 for r in CAMPAIGN if r['converged'])} reruns converged; "
             f"faulty-run exits: {dict(sorted(outcomes.items(), key=str))}"]
    lines += [f"  {r['example']:28} seed {r['seed']!s:>2}  faults {r['faults']!s:>3}  faulty exit {r['faulty_exit']!s:>4}"
              f"  rerun exit {r['rerun_exit']}  {r['seconds']} s" for r in CAMPAIGN]
    return lines
