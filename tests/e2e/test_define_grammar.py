"""cfworker's check of `define` keys and values agrees with the pinned esbuild's own (issue 15).

The config loader refuses a bad define with the file, key and line before any build; a value
esbuild accepts must never be refused. Each case runs the real esbuild once.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from cfworker.bundle.tool import current_platform, managed_path
from cfworker.config.define import is_define_key, is_define_value

pytestmark = pytest.mark.needs_esbuild

VALUES = [
    '"production"', "'single'", "1", "-1", "1e3", "1.5", "1n", "true", "null", "undefined", "NaN", "Infinity",
    "a.b.c", "import.meta.url", "this", "$x", '{"a":[1,{"b":null}]}', "{'a':1}", "[1,]", " 1 ", '"\\u0041"',
    # refused by esbuild
    "1+2", "new.target", "`t`", "0x10", "void 0", 'a["b"]', "{a:1}", "-Infinity", "+1", ".5", "1_000", "-1n",
    "01", "1.", "a.b.", "import", "a-b", "", "production", "'it\\'s'",
]
KEYS = ["a.b", "process.env.X", 'process.env["MY-VAR"]', "a['b-c']", 'a["b"].c.d["e"]', "this", "import.meta",
        "a.if", "a[0]", '["a"]', "new.target", "a b", "if", "a?.b"]


def esbuild_accepts(esbuild: Path, tmp: Path, key: str, value: str) -> bool:
    entry = tmp / "d.js"
    entry.write_text("console.log(X, a.b)\n")
    run = subprocess.run([str(esbuild), str(entry), f"--define:{key}={value}", "--log-level=error"],
                         capture_output=True, timeout=30)
    return run.returncode == 0


@pytest.fixture(scope="module")
def esbuild(esbuild_cache: Path) -> Path:
    return managed_path(esbuild_cache, current_platform())


@pytest.mark.parametrize("value", VALUES)
def test_define_values_match_esbuild(esbuild: Path, tmp_path: Path, value: str) -> None:
    if value == "production":  # an identifier: valid, replaced as code (the loader warns)
        assert is_define_value(value) and esbuild_accepts(esbuild, tmp_path, "X", value)
        return
    assert is_define_value(value) is esbuild_accepts(esbuild, tmp_path, "X", value)


@pytest.mark.parametrize("key", KEYS)
def test_define_keys_match_esbuild(esbuild: Path, tmp_path: Path, key: str) -> None:
    assert is_define_key(key) is esbuild_accepts(esbuild, tmp_path, key, "1")
