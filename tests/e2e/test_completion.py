"""Shell completion (issue 17): the scripts, and values completed from what they can be. Run through
click's completion protocol in a subprocess, as the shell would call it: no terminal needed."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def cfworker(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDFLARE_", "CFWORKER_", "_CFWORKER"))}
    base["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "cfworker", *args], cwd=cwd, env={**base, **env},
                          capture_output=True, text=True, timeout=60)


def complete(words: str, cwd: Path) -> list[str]:
    """What bash completion offers for the last word of `words` (a trailing space: a new word)."""
    parts = words.split(" ")
    r = cfworker([], cwd, _CFWORKER_COMPLETE="bash_complete", COMP_WORDS=words, COMP_CWORD=str(len(parts) - 1))
    assert r.returncode == 0, r.stderr
    return [line.split(",", 1)[1] for line in r.stdout.splitlines() if "," in line]


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_the_shells_script(shell: str, tmp_path: Path) -> None:
    r = cfworker(["completion", shell], tmp_path)
    assert r.returncode == 0, r.stderr
    assert "_CFWORKER_COMPLETE" in r.stdout and "cfworker" in r.stdout
    assert "\x1b[" not in r.stdout  # never coloured


def test_env_completes_from_the_configs_environments(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text('{"name": "a", "main": "i.js", "compatibility_date": "2025-01-01", '
                                             '"env": {"staging": {}, "production": {}}, // envs\n}')
    assert complete("cfworker deploy --env ", tmp_path) == ["production", "staging"]
    assert complete("cfworker secret list --env st", tmp_path) == ["staging"]


def test_env_completion_is_silent_without_a_config(tmp_path: Path) -> None:
    assert complete("cfworker deploy --env ", tmp_path) == []


def test_template_names_and_dns_types_complete(tmp_path: Path) -> None:
    assert "static-site" in complete("cfworker init --template ", tmp_path)
    assert complete("cfworker init --template ty", tmp_path) == ["typescript-router"]
    assert complete("cfworker dns set c", tmp_path) == ["CNAME"]


def test_commands_complete(tmp_path: Path) -> None:
    assert {"deploy", "dev", "completion", "secret"} <= set(complete("cfworker ", tmp_path))


def test_no_colour_without_a_terminal_or_with_no_color(tmp_path: Path) -> None:
    """Output is plain when stdout is not a terminal, and with NO_COLOR even when forced otherwise."""
    (tmp_path / "worker.toml").write_text('name = "a"\nmain = "missing.js"\ncompatibility_date = "2025-01-01"\n')
    piped = cfworker(["deploy", "--dry-run"], tmp_path)
    assert piped.returncode == 2 and "\x1b[" not in piped.stdout + piped.stderr
    forced = cfworker(["deploy", "--dry-run"], tmp_path, NO_COLOR="1", FORCE_COLOR="1", CLICOLOR_FORCE="1")
    assert "\x1b[" not in forced.stdout + forced.stderr
