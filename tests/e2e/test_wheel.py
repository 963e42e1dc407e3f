"""An installed wheel (not the editable checkout) carries the templates: `cfworker init` works from it.

Builds a wheel from a copy of the sources (so the checkout gets no build/ or egg-info),
installs it into a fresh venv that sees this interpreter's packages for the dependencies,
checks that cfworker is imported from the venv, then creates a project from every template.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
TEMPLATES = ["hello", "kv-cache", "scheduled", "static-site", "typescript-router"]


def run(argv: list[str], cwd: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "PIP_REQUIRE"))}
    env.update(CI="true", NO_COLOR="1", PIP_DISABLE_PIP_VERSION_CHECK="1")
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{' '.join(argv)} exited {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
    return proc


def test_installed_wheel_runs_init_with_every_template(tmp_path: Path) -> None:
    """pip wheel + install into a venv; `cfworker init --template T` works for each template."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(REPO / name, src / name)
    shutil.copytree(REPO / "templates", src / "templates")
    # symlinks=True keeps cfworker/templates -> ../templates exactly as in the checkout.
    shutil.copytree(REPO / "cfworker", src / "cfworker", symlinks=True,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps", "-q", "-w", str(tmp_path / "dist")], tmp_path)
    wheel = next((tmp_path / "dist").glob("cfworker-*.whl"))

    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], tmp_path)
    bindir = venv / ("Scripts" if os.name == "nt" else "bin")
    run([str(bindir / "python"), "-m", "pip", "install", "--no-deps", "-q", str(wheel)], tmp_path)
    where = run([str(bindir / "python"), "-c",
                 "import cfworker.scaffold as s; print(s.TEMPLATES_DIR.resolve())"], tmp_path).stdout.strip()
    assert Path(where).is_relative_to(venv.resolve()), f"cfworker templates come from {where}, not the wheel"

    work = tmp_path / "work"
    work.mkdir()
    listing = run([str(bindir / "cfworker"), "init", "--list"], work).stdout
    assert [line.split()[0] for line in listing.splitlines()] == TEMPLATES
    for template in TEMPLATES:
        name = f"w-{template}"
        run([str(bindir / "cfworker"), "init", name, "--template", template], work)
        project = work / name
        assert f'name = "{name}"' in (project / "worker.toml").read_text()
        assert (project / ".gitignore").is_file() and (project / "README.md").is_file()
        assert not (project / "template.toml").exists()
        main = next(line.split('"')[1] for line in (project / "worker.toml").read_text().splitlines()
                    if line.startswith("main ="))
        assert (project / main).is_file()
