"""Fixtures for config tests: write a worker.toml into a temp project, load or validate it."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from pathlib import Path

import pytest

from cfworker.config.diagnostics import Diagnostics
from cfworker.config.loader import load_project
from cfworker.config.model import Project
from cfworker.config.parse import parse_toml
from cfworker.config.validate import validate
from cfworker.errors import ConfigError

TODAY = datetime.date(2025, 6, 1)
HEADER = 'name = "app"\nmain = "src/index.js"\ncompatibility_date = "2024-01-01"\n'  # lines 1-3


def error_text(exc: ConfigError) -> str:
    """Everything a ConfigError shows: message, notes and hint."""
    return "\n".join([exc.message, *exc.notes, f"hint: {exc.hint}"])


@pytest.fixture
def write_project(tmp_path: Path) -> Callable[..., Path]:
    """Write worker.toml (text or bytes) and, unless told not to, the main module; return the folder."""

    def write(content: str | bytes, *, main: str | None = "src/index.js") -> Path:
        path = tmp_path / "worker.toml"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        if main:
            (tmp_path / main).parent.mkdir(parents=True, exist_ok=True)
            (tmp_path / main).write_text("export default {}\n", encoding="utf-8")
        return tmp_path

    return write


@pytest.fixture
def load(write_project: Callable[..., Path]) -> Callable[..., tuple[Project, list[str]]]:
    """Write a project and load it through the real loader (fixed `today`)."""

    def run(content: str | bytes, *, env: str | None = None, main: str | None = "src/index.js") -> tuple[Project, list[str]]:
        folder = write_project(content, main=main)
        return load_project(None, env=env, cwd=folder, today=TODAY)

    return run


@pytest.fixture
def load_error(load: Callable[..., tuple[Project, list[str]]]) -> Callable[..., ConfigError]:
    """Load a project that must fail; return the ConfigError."""

    def run(content: str | bytes, **kwargs: object) -> ConfigError:
        with pytest.raises(ConfigError) as info:
            load(content, **kwargs)
        return info.value

    return run


@pytest.fixture
def check() -> Callable[..., tuple[Project | None, Diagnostics]]:
    """Validate TOML text purely (no files): (Project or None, Diagnostics)."""

    def run(text: str, *, env: str | None = None) -> tuple[Project | None, Diagnostics]:
        raw = parse_toml(text, "worker.toml")
        return validate(raw, config_path=Path("/proj/worker.toml"), source_text=text, env=env, today=TODAY,
                        display_path="worker.toml")

    return run
