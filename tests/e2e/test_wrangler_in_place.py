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


def test_a_vite_built_config_writes_ids_back_into_the_users_config(tmp_path: Path, env, fake_cf) -> None:
    """Deploying through the Vite plugin's redirect: the built dist/app/wrangler.json is rewritten by the
    next build, so the provisioned id goes into the user's wrangler.jsonc (its userConfigPath)."""
    user = tmp_path / "wrangler.jsonc"
    user.write_text(JSONC)
    out = tmp_path / "dist" / "links"
    out.mkdir(parents=True)
    (out / "index.js").write_text("export default { fetch: (r, env) => new Response(env.GREETING) };\n")
    built = {"configPath": str(user), "userConfigPath": str(user), "topLevelName": "links",
             "definedEnvironments": [], "name": "links", "main": "index.js", "compatibility_date": "2025-06-01",
             "kv_namespaces": [{"binding": "LINKS"}], "vars": {"GREETING": "hi"}, "no_bundle": True,
             "rules": [{"type": "ESModule", "globs": ["**/*.js"]}]}
    import json

    (out / "wrangler.json").write_text(json.dumps(built))
    (tmp_path / ".wrangler" / "deploy").mkdir(parents=True)
    (tmp_path / ".wrangler" / "deploy" / "config.json").write_text('{"configPath": "../../dist/links/wrangler.json"}')
    r = run_cli(["deploy", "--no-check"], env=env, cwd=tmp_path)
    assert r.code == 0, r
    ns = fake_cf.kv_namespace("links-links")
    assert parse_jsonc(user.read_text(), "wrangler.jsonc")["kv_namespaces"][0]["id"] == ns.id
    assert "// links: a wrangler project, never converted" in user.read_text()
    assert "wrangler.jsonc" in r.out and json.loads((out / "wrangler.json").read_text()) == built
