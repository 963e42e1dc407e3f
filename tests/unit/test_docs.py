"""The docs stay in step with the code: every accepted key and every refused wrangler key is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cfworker.config.schema import TOP, UNSUPPORTED, Envs, Open, Table

DOCS = Path(__file__).resolve().parents[2] / "docs"


def key_paths(table: Table, prefix: str = "") -> list[str]:
    """Every dotted key the validator accepts, e.g. kv_namespaces.binding (env sections excluded)."""
    out = []
    for key, node in table.keys.items():
        path = f"{prefix}{key}"
        out.append(path)
        if isinstance(node, Table):
            out += key_paths(node, path + ".")
        elif isinstance(node, (Open, Envs)) or node is None:
            continue
    return out


@pytest.mark.parametrize("path", key_paths(TOP))
def test_every_accepted_key_is_in_the_configuration_reference(path: str) -> None:
    """A key the validator accepts but docs/configuration.md does not mention fails here."""
    text = (DOCS / "configuration.md").read_text()
    assert f"`{path}`" in text, f"document `{path}` in docs/configuration.md"


@pytest.mark.parametrize(("section", "key"), sorted(UNSUPPORTED))
def test_every_refused_wrangler_key_is_in_the_wrangler_page(section: str, key: str) -> None:
    """Each wrangler key cfworker refuses or ignores is listed in docs/wrangler.md."""
    text = (DOCS / "wrangler.md").read_text()
    assert f"`{key}`" in text, f"list `{key}` ({section}) in docs/wrangler.md"


def test_ci_guide_uses_secrets_json_and_exit_codes() -> None:
    """The CI guide shows the token from CI secrets, --json output and the exit codes."""
    text = (DOCS / "ci.md").read_text()
    assert "secrets.CLOUDFLARE_API_TOKEN" in text and "--json" in text
    for code in ("0", "1", "2", "3", "130"):
        assert re.search(rf"\|\s*`?{code}`?\s*\|", text), f"exit code {code} missing from the table"


@pytest.mark.parametrize(("file", "make"), [
    ("docs/configuration.md", "markdown"), ("worker.toml.example", "toml"), ("docs/wrangler.md", "refused")])
def test_generated_reference_blocks_match_their_data(file: str, make: str) -> None:
    """The binding-kind and refused-key blocks are what the table and schema give now
    (rewrite them with `python -m cfworker.config.reference`)."""
    from cfworker.config import reference as docs

    markers = {"markdown": (docs.MD_BEGIN, docs.MD_END), "toml": (docs.TOML_BEGIN, docs.TOML_END),
               "refused": (docs.REFUSED_BEGIN, docs.REFUSED_END)}[make]
    text = (DOCS.parent / file).read_text(encoding="utf-8")
    assert docs.block(text, *markers) == getattr(docs, make)(), f"run `python -m cfworker.config.reference` ({file})"


def test_docs_no_longer_claim_durable_objects_work_without_migrations() -> None:
    """Issue 14: a class of the Worker itself needs a migration; the docs say so, and no page says
    migrations are refused."""
    config = (DOCS / "configuration.md").read_text(encoding="utf-8")
    wrangler = (DOCS / "wrangler.md").read_text(encoding="utf-8")
    assert "needs a\n`[[migrations]]` entry" in config or "needs a `[[migrations]]` entry" in config
    assert "error: Durable Object migrations" not in wrangler
    assert "binding kind not supported yet" not in wrangler
