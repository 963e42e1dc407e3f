"""Real wrangler.toml files from public repositories: each loads or is refused with a pointed ConfigError.

The corpus lives in tests/data/wrangler-corpus (licensed test data, kept byte-for-byte; see
its README.md and SOURCES.md). Each TOML file is copied into a temp folder as worker.toml,
with stub `main` modules, so a missing entry file is never the only complaint.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from cfworker.config.loader import load_project
from cfworker.config.parse import parse_toml
from cfworker.errors import ConfigError

CORPUS = Path(__file__).resolve().parents[2] / "data" / "wrangler-corpus"
SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "corpus" / "wrangler"
FILES = sorted(p.name for p in CORPUS.glob("*.toml")) if CORPUS.is_dir() else []
INVALID_TOML = {"054-1712n-dn-institute.toml", "065-JanPrindis-tjsb-webpage.toml"}  # per SOURCES.md
REQUIRED = {"name", "main", "compatibility_date"}
PROBLEM = re.compile(r"^worker\.toml(?::\d+)?: (?P<path>[^:]+): ")

pytestmark = pytest.mark.skipif(not FILES, reason=f"wrangler corpus not found at {CORPUS}")


def _raw(text: str) -> dict[str, object]:
    try:
        return parse_toml(text, "worker.toml")
    except ConfigError:
        return {}


def _envs(raw: dict[str, object]) -> dict[str, dict[str, object]]:
    env = raw.get("env")
    return {k: v for k, v in env.items() if isinstance(v, dict)} if isinstance(env, dict) else {}


def _project(tmp_path: Path, name: str) -> tuple[Path, dict[str, object]]:
    """Copy a corpus file as worker.toml and create every `main` it names."""
    shutil.copyfile(CORPUS / name, tmp_path / "worker.toml")
    raw = _raw((CORPUS / name).read_text(encoding="utf-8"))
    for table in (raw, *_envs(raw).values()):
        main = table.get("main")
        if isinstance(main, str) and main and not main.endswith("/"):
            entry = tmp_path / main
            entry.parent.mkdir(parents=True, exist_ok=True)
            entry.write_text("export default {}\n", encoding="utf-8")
    return tmp_path, raw


def _assert_pointed(error: ConfigError, name: str, raw: dict[str, object], env: str | None) -> None:
    """The error names a key of the file (or a required key), or file:line:column for invalid TOML."""
    lines = [error.message, *error.notes]
    if name in INVALID_TOML:
        assert re.match(r"worker\.toml:\d+:\d+: invalid TOML", error.message), error.message
        return
    known = set(raw) | REQUIRED | ({"env"} if env else set())
    paths = [m.group("path") for m in map(PROBLEM.match, lines) if m]
    assert paths, "\n".join(lines)
    assert any(re.split(r"[.\[]", p)[0] in known for p in paths), "\n".join(lines)
    assert error.hint


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_loads_or_names_offending_key(tmp_path: Path, name: str) -> None:
    """Each corpus file becomes a Project or a ConfigError naming an offending key; never another exception."""
    folder, raw = _project(tmp_path, name)
    try:
        project, warnings = load_project(None, env=None, cwd=folder)
    except ConfigError as error:
        _assert_pointed(error, name, raw, None)
    else:
        assert project.name and (project.main.is_file() if project.main else project.assets is not None)
        assert all(w.startswith("worker.toml:") for w in warnings)


ENV_CASES = [(f, e) for f in FILES for e in _envs(_raw((CORPUS / f).read_text(encoding="utf-8")))]


@pytest.mark.parametrize(("name", "env"), ENV_CASES, ids=[f"{f}-{e}" for f, e in ENV_CASES])
def test_corpus_file_env_loads_or_names_offending_key(tmp_path: Path, name: str, env: str) -> None:
    """Selecting each [env.NAME] of a corpus file behaves the same way."""
    folder, raw = _project(tmp_path, name)
    try:
        project, _ = load_project(None, env=env, cwd=folder)
    except ConfigError as error:
        _assert_pointed(error, name, raw, env)
    else:
        assert project.env == env


def test_corpus_copy_matches_shared_original() -> None:
    """The copied corpus is byte-for-byte the shared original (skipped where the original is absent)."""
    if not SHARED.is_dir():
        pytest.skip(f"shared corpus not present at {SHARED} (normal on a clean clone)")
    for original in sorted(SHARED.iterdir()):
        assert (CORPUS / original.name).read_bytes() == original.read_bytes(), original.name
