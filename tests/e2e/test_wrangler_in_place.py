"""A wrangler project deploys as it is: wrangler.jsonc read in place, ids written back into it (issue 17)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfworker.config.jsonc import parse_jsonc
from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild

JSONC = """{
  // links: a wrangler project, never converted
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "links",
  "main": "src/index.js",
  "compatibility_date": "2025-06-01",
  "kv_namespaces": [
    {
      "binding": "LINKS", // no id: provisioned at the first deploy
    },
  ],
  /* vars are plain text */
  "vars": { "GREETING": "hi", },
}
"""


@pytest.fixture
def env(fake_cf, esbuild_cache: Path) -> dict[str, str]:
    fake_cf.set_workers_subdomain("acme")
    return {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}


def test_wrangler_jsonc_deploys_and_gets_its_kv_id_written_back_with_comments(tmp_path: Path, env, fake_cf) -> None:
    (tmp_path / "wrangler.jsonc").write_text(JSONC)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default { fetch: (r, env) => new Response(env.GREETING) };\n")
    r = run_cli(["deploy", "--no-check"], env=env, cwd=tmp_path)
    assert r.code == 0, r
    ns = fake_cf.kv_namespace("links-links")
    text = (tmp_path / "wrangler.jsonc").read_text()
    assert parse_jsonc(text, "wrangler.jsonc")["kv_namespaces"] == [{"id": ns.id, "binding": "LINKS"}]
    for kept in ("// links: a wrangler project, never converted", "// no id: provisioned at the first deploy",
                 "/* vars are plain text */", '"vars": { "GREETING": "hi", },'):
        assert kept in text
    assert text == JSONC.replace('    {\n      "binding"', f'    {{\n      "id": "{ns.id}",\n      "binding"')
    assert not (tmp_path / "worker.toml").exists()
    again = run_cli(["deploy", "--no-check"], env=env, cwd=tmp_path)
    assert again.code == 0 and "script unchanged" in again.out, again


def test_config_flag_takes_a_wrangler_jsonc(tmp_path: Path, env) -> None:
    """`--config wrangler.jsonc` reads it as JSONC (it used to fail as invalid TOML)."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "wrangler.jsonc").write_text(JSONC)
    (tmp_path / "cfg" / "src").mkdir()
    (tmp_path / "cfg" / "src" / "index.js").write_text("export default { fetch: () => new Response('x') };\n")
    r = run_cli(["deploy", "--dry-run", "--no-check", "--config", "cfg/wrangler.jsonc"], cwd=tmp_path,
                env={"CFWORKER_CACHE_DIR": env["CFWORKER_CACHE_DIR"]})
    assert r.code == 0, r
    assert "invalid TOML" not in r.err
