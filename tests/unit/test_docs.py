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
