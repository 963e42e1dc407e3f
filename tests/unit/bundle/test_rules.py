"""Module rules: wrangler-style globs, their extensions, and first-match-wins typing (pure)."""

from __future__ import annotations

import pytest

from cfworker.bundle.rules import glob_to_regex, match_rule, rule_extension, rule_extensions
from cfworker.config.model import DEFAULT_MODULE_RULES, ModuleRule
from cfworker.errors import UserError


@pytest.mark.parametrize(
    ("glob", "path", "matches"),
    [
        ("**/*.txt", "hello.txt", True),
        ("**/*.txt", "src/data/hello.txt", True),
        ("**/*.txt", "../shared/a.txt", True),
        ("**/*.txt", "src/hello.txt.js", False),
        ("src/*.sql", "src/q.sql", True),
        ("src/*.sql", "src/sub/q.sql", False),
        ("**/*.wasm?module", "src/a.wasm?module", True),
        ("**/*.wasm?module", "src/a.wasmXmodule", False),  # `?` is literal, as in wrangler
        ("assets/**", "assets/a/b/c.bin", True),
    ],
)
def test_glob_to_regex_follows_wrangler_glob_semantics(glob: str, path: str, matches: bool) -> None:
    """`**/` spans directories, `*` stays within one, everything else is literal."""
    assert bool(glob_to_regex(glob).match(path)) is matches


@pytest.mark.parametrize(
    ("glob", "ext"),
    [("**/*.txt", ".txt"), ("**/*.wasm?module", ".wasm"), ("data/blob.bin", ".bin"), ("**/*.tar.gz", ".tar.gz")],
)
def test_rule_extension_extracts_the_loader_extension(glob: str, ext: str) -> None:
    """The extension esbuild's copy loader keys on is read from the last glob segment."""
    assert rule_extension(glob) == ext


@pytest.mark.parametrize("glob", ["**/*", "data/*", "assets/**"])
def test_rule_without_extension_is_a_user_error(glob: str) -> None:
    """Globs that select no extension cannot become a loader, and say so."""
    with pytest.raises(UserError, match="file extension"):
        rule_extension(glob)


def test_default_rule_extensions() -> None:
    """The default rules cover .txt .html .sql (text), .bin (data), .wasm (wasm)."""
    assert rule_extensions(DEFAULT_MODULE_RULES) == [".txt", ".html", ".sql", ".bin", ".wasm"]


def test_match_rule_first_rule_wins_and_query_is_optional() -> None:
    """A user rule listed first takes precedence over the defaults; ?module paths match either way."""
    rules = (ModuleRule("data", ("**/*.txt",)), *DEFAULT_MODULE_RULES)
    assert match_rule("src/a.txt", rules).type == "data"  # type: ignore[union-attr]
    assert match_rule("src/a.txt", DEFAULT_MODULE_RULES).type == "text"  # type: ignore[union-attr]
    assert match_rule("src/a.wasm?module", DEFAULT_MODULE_RULES).type == "wasm"  # type: ignore[union-attr]
    assert match_rule("src/a.bin", DEFAULT_MODULE_RULES).type == "data"  # type: ignore[union-attr]
    assert match_rule("src/a.png", DEFAULT_MODULE_RULES) is None
