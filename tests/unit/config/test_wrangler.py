"""wrangler config -> worker.toml conversion (pure): what carries over, what is dropped and why."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from cfworker.config.loader import load_project
from cfworker.config.pruning import split_path
from cfworker.config.wrangler import Conversion, convert_wrangler, parse_wrangler
from cfworker.errors import ConfigError

TODAY = datetime.date(2025, 6, 1)
HEX = "0123456789abcdef0123456789abcdef"
CORPUS = Path(__file__).resolve().parents[2] / "data" / "wrangler-corpus"
FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".toml", ".json", ".jsonc")) if CORPUS.is_dir() else []
INVALID_SYNTAX = {"054-1712n-dn-institute.toml", "065-JanPrindis-tjsb-webpage.toml"}


def convert(text: str, file: str = "wrangler.toml", **kwargs: Any) -> Conversion:
    kwargs.setdefault("today", TODAY)
    return convert_wrangler(parse_wrangler(text, file), source=file, **kwargs)


def dropped(conversion: Conversion) -> dict[str, str]:
    return {d.path: d.reason for d in conversion.dropped}


def test_plain_config_carries_over_unchanged() -> None:
    """Keys cfworker accepts keep their values; nothing is dropped or changed."""
    c = convert(f'''
name = "shop"
main = "src/index.ts"
compatibility_date = "2024-09-01"
compatibility_flags = ["nodejs_compat"]
routes = [{{ pattern = "shop.example.com/*", zone_name = "example.com" }}]
[vars]
MODE = "prod"
LIMITS = {{ max = 3 }}
[[kv_namespaces]]
binding = "CACHE"
id = "{HEX}"
[triggers]
crons = ["0 * * * *"]
[env.staging]
routes = ["staging.example.com/*"]
vars = {{ MODE = "staging" }}
''')
    assert c.dropped == () and c.changes == () and c.blockers == ()
    assert c.config == {
        "name": "shop", "main": "src/index.ts", "compatibility_date": "2024-09-01",
        "compatibility_flags": ["nodejs_compat"],
        "routes": [{"pattern": "shop.example.com/*", "zone_name": "example.com"}],
        "vars": {"MODE": "prod", "LIMITS": {"max": 3}}, "kv_namespaces": [{"binding": "CACHE", "id": HEX}],
        "triggers": {"crons": ["0 * * * *"]},
        "env": {"staging": {"routes": ["staging.example.com/*"], "vars": {"MODE": "staging"}}},
    }


def test_jsonc_source_converts_like_toml() -> None:
    """wrangler.jsonc with comments, trailing commas and $schema gives the same config."""
    c = convert('''{
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "app", // the Worker
  "main": "src/index.js",
  "compatibility_date": "2025-01-01",
  "kv_namespaces": [{ "binding": "KV", "preview_id": "x", },],
}''', "wrangler.jsonc")
    assert c.config == {"name": "app", "main": "src/index.js", "compatibility_date": "2025-01-01",
                        "kv_namespaces": [{"binding": "KV"}]}
    assert {d.path: d.kind for d in c.dropped} == {'"$schema"': "ignored", "kv_namespaces[0].preview_id": "ignored"}


def test_unsupported_keys_are_dropped_with_the_schema_reason() -> None:
    """dev is dropped (assets, migrations and ai carry over), naming its key and reason."""
    c = convert('''name = "a"
main = "src/index.js"
compatibility_date = "2025-01-01"
assets = { directory = "public" }
[[migrations]]
tag = "v1"
[ai]
binding = "AI"
[dev]
port = 8787
''')
    kinds = {d.path: d.kind for d in c.dropped}
    assert kinds == {"dev": "ignored"}
    assert c.config["migrations"] == [{"tag": "v1"}] and c.config["ai"] == {"binding": "AI"}
    assert c.config["assets"] == {"directory": "public"}
    assert "Left out as local-development or empty settings: dev" in c.text


def test_wrangler_v1_config_is_refused_naming_its_v1_keys() -> None:
    """type = "webpack" is refused with every v1 key listed and a pointer to the v1 -> v2 guide."""
    with pytest.raises(ConfigError) as info:
        convert('name = "a"\ntype = "webpack"\nzone_id = ""\n[[kv-namespaces]]\nbinding = "K"\n')
    assert info.value.message == 'wrangler.toml is a wrangler v1 config (type = "webpack"), which cfworker cannot convert'
    assert info.value.notes == ('type = "webpack"', "zone_id: a wrangler v1 key", "kv-namespaces: a wrangler v1 key")
    assert "v1-to-v2" in (info.value.hint or "")


def test_pages_project_is_refused() -> None:
    """pages_build_output_dir means a Pages project, which cfworker does not deploy."""
    with pytest.raises(ConfigError, match="Cloudflare Pages config"):
        convert('name = "a"\npages_build_output_dir = "dist"\n')


def test_node_compat_becomes_the_nodejs_compat_flag() -> None:
    """node_compat = true turns into compatibility_flags nodejs_compat, reported as a change."""
    c = convert('name = "a"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\nnode_compat = true\n'
                'compatibility_flags = ["streams_enable_constructors"]\n')
    assert c.config["compatibility_flags"] == ["streams_enable_constructors", "nodejs_compat"]
    assert c.changes and "node_compat" in c.changes[0] and c.dropped == ()


def test_missing_name_and_date_are_filled_in_and_reported() -> None:
    """No name: the directory name; no compatibility_date: today; both listed as changes."""
    c = convert('main = "src/index.js"\n', default_name="my-dir")
    assert c.config["name"] == "my-dir" and c.config["compatibility_date"] == "2025-06-01"
    assert len(c.changes) == 2 and c.blockers == ()


def test_name_flag_replaces_the_config_name() -> None:
    """--name wins over the wrangler name and says what it replaced."""
    c = convert('name = "old"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\n', name="new-name")
    assert c.config["name"] == "new-name" and '"old"' in c.changes[0]


def test_credentials_are_dropped_and_never_written() -> None:
    """A credential key (even inside [vars]) is dropped, and its value appears nowhere."""
    c = convert('name = "a"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\napi_token = "tok-123"\n'
                '[vars]\nAPI_TOKEN = "tok-456"\nOK = "1"\n')
    assert set(dropped(c)) == {"api_token", "vars.API_TOKEN"}
    assert "tok-" not in c.text and c.config["vars"] == {"OK": "1"}
    assert "cfworker secret put API_TOKEN" in next(d.hint for d in c.dropped if d.path == "vars.API_TOKEN")


def test_values_cfworker_refuses_are_dropped_whole_entries_when_required() -> None:
    """A placeholder KV id loses only the id; an empty D1 id means "find or create it"; both say why."""
    c = convert(f'''name = "a"
main = "i.js"
compatibility_date = "2024-01-01"
account_id = "<YOUR_ACCOUNT_ID>"
[[kv_namespaces]]
binding = "A"
id = "<put-id-here>"
[[kv_namespaces]]
binding = "B"
id = "{HEX}"
[[d1_databases]]
binding = "DB"
database_id = ""
''')
    assert c.blockers == ()
    assert c.config["kv_namespaces"] == [{"binding": "A"}, {"binding": "B", "id": HEX}]
    assert c.config["d1_databases"] == [{"binding": "DB"}]
    reasons = dropped(c)
    assert set(reasons) == {"account_id", "kv_namespaces[0].id", "d1_databases[0].database_id"}
    assert {d.path: d.kind for d in c.dropped}["d1_databases[0].database_id"] == "ignored"


def test_removed_list_items_keep_their_original_index() -> None:
    """Dropping several entries of one list reports each at its index in the wrangler file."""
    c = convert('''name = "a"
main = "i.js"
compatibility_date = "2024-01-01"
[[r2_buckets]]
binding = "OK1"
bucket_name = "good-bucket"
[[r2_buckets]]
binding = "BAD1"
bucket_name = ""
[[r2_buckets]]
binding = "OK2"
bucket_name = "other-bucket"
[[r2_buckets]]
binding = "BAD2"
bucket_name = "Not_Valid"
''')
    assert {d.path: d.kind for d in c.dropped} == {"r2_buckets[1].bucket_name": "ignored", "r2_buckets[3]": "lost"}
    assert [b["binding"] for b in c.config["r2_buckets"]] == ["OK1", "BAD1", "OK2"]


def test_key_written_after_a_table_header_is_reported_as_misplaced() -> None:
    """`routes` under [ai] (TOML scoping) is dropped with an explanation, never moved silently."""
    c = convert('name = "a"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\n[placement]\nmode = "smart"\n'
                'routes = ["x.example.com/*"]\n')
    assert "routes" not in c.config
    assert "comes after the [placement] header" in dropped(c)["placement.routes"]


@pytest.mark.parametrize(("text", "path", "fragment"), [
    ('name = "a"\ncompatibility_date = "2024-01-01"\n', "main", "no Worker script"),
    ('name = "a"\nmain = "src/index.py"\ncompatibility_date = "2024-01-01"\n', "main", "Python Worker"),
    ('name = "Bad Name"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\n', "name", "not a valid Worker name"),
])
def test_problems_that_cannot_be_dropped_are_blockers(text: str, path: str, fragment: str) -> None:
    """name/main problems block the conversion with a message naming the key."""
    c = convert(text)
    assert [p.path for p in c.blockers] == [path]
    assert fragment in c.blockers[0].message
    error = c.blocking_error()
    assert error.message.startswith(f"cannot convert wrangler.toml: wrangler.toml: {path}:") and error.hint


# -- the corpus: every real config is refused, blocked with named keys, or loads ---------------

def _resolves(raw: Any, path: str) -> bool:
    """True when a dropped path names something in the original wrangler config."""
    node = raw
    for part in split_path(path):
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@pytest.mark.parametrize("name", FILES)
def test_corpus_file_converts_to_a_loading_worker_toml_or_is_refused_by_key(tmp_path: Path, name: str) -> None:
    """Each corpus file: refused (v1, Pages, bad syntax) or converted; a conversion loads for every env."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    try:
        raw = parse_wrangler(text, name)
        c = convert_wrangler(raw, source=name, today=datetime.date.today(), default_name="from-dir")
    except ConfigError as error:
        if name in INVALID_SYNTAX:
            assert error.message.startswith(f"{name}:") and "invalid TOML" in error.message
        else:
            assert ("wrangler v1 config" in error.message and "type = " in error.message) or \
                "pages_build_output_dir" in error.message, error.message
        assert error.hint
        return
    assert name not in INVALID_SYNTAX
    for d in c.dropped:
        assert _resolves(raw, d.path), f"{d.path} is not a path of {name}"
        assert d.reason
    if c.blockers:
        assert all(p.path and p.hint for p in c.blockers)
        return
    (tmp_path / "worker.toml").write_text(c.text, encoding="utf-8")
    envs = c.config.get("env", {})
    layers = [c.config, *envs.values()]
    for main in {layer["main"] for layer in layers if "main" in layer}:
        (tmp_path / main).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / main).write_text("export default {}\n", encoding="utf-8")
    for layer in layers:  # the folder a build would fill: load_project checks it exists
        if isinstance(layer.get("assets"), dict) and isinstance(layer["assets"].get("directory"), str):
            (tmp_path / layer["assets"]["directory"]).mkdir(parents=True, exist_ok=True)
    for env in [None, *envs]:
        project, _warnings = load_project(None, env=env, cwd=tmp_path)
        assert project.env == env


def test_corpus_outcomes_by_category() -> None:
    """The corpus splits into the expected numbers of loads, blocks and refusals (guards regressions)."""
    outcome: dict[str, list[str]] = {"converted": [], "blocked": [], "refused": []}
    for name in FILES:
        try:
            c = convert_wrangler(parse_wrangler((CORPUS / name).read_text(encoding="utf-8"), name), source=name,
                                 today=datetime.date.today(), default_name="from-dir")
        except ConfigError:
            outcome["refused"].append(name)
            continue
        outcome["blocked" if c.blockers else "converted"].append(name)
    if not FILES:
        pytest.skip("corpus not present")
    assert {k: len(v) for k, v in outcome.items()} == {"converted": 47, "blocked": 6, "refused": 17}, outcome  # 2 assets-only Workers convert since issue 16


def test_access_dev_simulation_is_ignored_not_lost() -> None:
    """wrangler's `access` only simulates Cloudflare Access in wrangler dev (cloudflare/templates
    internal-sites-template has one): left out as local development, never counted as a loss."""
    c = convert('name = "a"\nmain = "i.js"\ncompatibility_date = "2024-01-01"\n'
                '[access.dev]\naud = "local-dev-aud"\n')
    assert {d.path: d.kind for d in c.dropped} == {"access": "ignored"}
    assert "access" not in c.config
