"""One confirmation rule for every destructive command (issue 17): without --yes and without a
terminal, exit 2 and nothing changed; answering no at the prompt, exit 1, nothing changed, and no
"error:" line."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild

ROUTE = 'routes = [{ pattern = "kv.example.com/*", zone_name = "example.com" }]'



@pytest.fixture
def deployed(example, env, fake_cf) -> Path:
    """kv-cache deployed, with a secret, a DNS record, then its route removed from worker.toml."""
    project = example("kv-cache")
    assert run_cli(["deploy", "--no-check"], env=env, cwd=project).code == 0
    assert run_cli(["secret", "put", "TOKEN"], env=env, cwd=project, input="v").code == 0
    assert run_cli(["dns", "set", "A", "www.example.com", "192.0.2.1"], env=env, cwd=project).code == 0
    toml = project / "worker.toml"
    toml.write_text(toml.read_text().replace(ROUTE, "routes = []"))
    return project


def commands(fake_cf) -> dict[str, list[str]]:
    ns = fake_cf.kv_namespace("kv-cache-cache").id
    return {
        "deploy": ["deploy", "--no-check"],
        "kv namespace delete": ["kv", "namespace", "delete", "--namespace-id", ns],
        "secret delete": ["secret", "delete", "TOKEN"],
        "dns delete": ["dns", "delete", "www.example.com"],
        "purge --everything": ["purge", "--everything", "--zone", "example.com"],
    }


def test_without_yes_and_a_terminal_every_command_exits_2_with_nothing_written(deployed: Path, env, fake_cf) -> None:
    for name, argv in commands(fake_cf).items():
        before = len(fake_cf.writes())
        r = run_cli(argv, env=env, cwd=deployed)
        assert r.code == 2, (name, r)
        assert "--yes" in r.err and len(fake_cf.writes()) == before, name


def test_answering_no_is_exit_1_and_not_an_error(deployed: Path, env, fake_cf) -> None:
    for name, argv in commands(fake_cf).items():
        before = len(fake_cf.writes())
        r = run_cli(argv, env=env, cwd=deployed, input="n\n", interactive=True)
        assert r.code == 1, (name, r)
        assert "error:" not in r.err and "Cancelled: nothing was" in r.out, (name, r)
        assert len(fake_cf.writes()) == before, name
