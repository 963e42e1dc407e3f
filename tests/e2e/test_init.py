"""`cfworker init` through the real CLI: templates, prompts, refusals, and --from-wrangler on the corpus."""

from __future__ import annotations

import datetime
import json
import shutil
import sys
from pathlib import Path

import pytest

from cfworker.config.loader import load_project
from tests.e2e.cli import run_cli

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

CORPUS = Path(__file__).resolve().parents[1] / "data" / "wrangler-corpus"
CORPUS_FILES = sorted(p.name for p in CORPUS.iterdir() if p.suffix in (".toml", ".json", ".jsonc"))
TEMPLATES = ["hello", "kv-cache", "scheduled", "static-site", "typescript-router"]


def test_list_shows_every_template_on_one_line_each(tmp_path: Path) -> None:
    """--list prints one line per template: name and description."""
    r = run_cli(["init", "--list"], cwd=tmp_path)
    assert r.code == 0, r
    lines = r.out.splitlines()
    assert [line.split()[0] for line in lines] == TEMPLATES
    assert all(len(line.split(maxsplit=1)) == 2 for line in lines)


def test_list_json_is_machine_readable(tmp_path: Path) -> None:
    """--list --json prints the templates as a JSON array."""
    r = run_cli(["init", "--list", "--json"], cwd=tmp_path)
    assert [t["name"] for t in json.loads(r.out)] == TEMPLATES


@pytest.mark.parametrize("template", TEMPLATES)
def test_template_creates_a_project_that_loads(tmp_path: Path, template: str) -> None:
    """Each template writes worker.toml (name, date), .gitignore, README and sources; it loads."""
    r = run_cli(["init", "app", "--template", template, "--name", "my-app"], cwd=tmp_path)
    assert r.code == 0, r
    project = tmp_path / "app"
    config = tomllib.loads((project / "worker.toml").read_text())
    assert config["name"] == "my-app"
    # today, unless the bundled workerd is older: then the newest date it runs (dev = deploy)
    from cfworker.dev.config import runtime_date
    from cfworker.dev.workerd import WORKERD_VERSION

    assert config["compatibility_date"] == min(datetime.date.today().isoformat(), runtime_date(WORKERD_VERSION))
    assert (project / config["main"]).is_file()
    assert "node_modules/" in (project / ".gitignore").read_text()
    assert "cfworker deploy --watch" in (project / "README.md").read_text()
    assert "Next:" in r.out and "cd app" in r.out
    loaded, warnings = load_project(None, env=None, cwd=project)
    assert loaded.name == "my-app" and warnings == []


def test_name_defaults_to_the_directory_name(tmp_path: Path) -> None:
    """Without --name a valid directory name becomes the Worker name."""
    r = run_cli(["init", "edge-api", "--template", "hello"], cwd=tmp_path)
    assert r.code == 0, r
    assert 'name = "edge-api"' in (tmp_path / "edge-api" / "worker.toml").read_text()


def test_invalid_directory_name_needs_name_flag_in_ci(tmp_path: Path) -> None:
    """An invalid directory name without --name is exit 2 suggesting --name with a valid name; nothing written."""
    r = run_cli(["init", "My_API", "--template", "hello"], cwd=tmp_path)
    assert r.code == 2, r
    assert 'the directory name "My_API" is not a valid Worker name' in r.err
    assert "--name my-api" in r.err
    assert not (tmp_path / "My_API").exists()


def test_invalid_name_is_refused_with_the_rule(tmp_path: Path) -> None:
    """--name with characters Cloudflare rejects: exit 2 naming the rule."""
    r = run_cli(["init", "app", "--template", "hello", "--name", "Bad_Name"], cwd=tmp_path)
    assert r.code == 2, r
    assert "lowercase letters, digits and dashes, at most 63 characters" in r.err
    assert "Traceback" not in r.output and not (tmp_path / "app").exists()


def test_missing_template_in_ci_names_the_flag(tmp_path: Path) -> None:
    """Non-interactive without --template: exit 2 saying to pass --template, listing them."""
    r = run_cli(["init", "app"], cwd=tmp_path)
    assert r.code == 2, r
    assert "error: no template chosen" in r.err and "pass --template NAME, one of: hello" in r.err


def test_unknown_template_is_a_usage_error(tmp_path: Path) -> None:
    """A template that does not exist: exit 2 listing the real ones."""
    r = run_cli(["init", "app", "--template", "react"], cwd=tmp_path)
    assert r.code == 2, r
    assert 'there is no template "react"' in r.err and "typescript-router" in r.err


def test_non_empty_directory_is_refused_unless_forced(tmp_path: Path) -> None:
    """A non-empty directory: exit 2 and untouched; --force writes the template into it."""
    target = tmp_path / "app"
    target.mkdir()
    (target / "notes.md").write_text("mine")
    r = run_cli(["init", "app", "--template", "hello"], cwd=tmp_path)
    assert r.code == 2, r
    assert "app is not empty (notes.md)" in r.err and "--force" in r.err
    assert sorted(p.name for p in target.iterdir()) == ["notes.md"]
    forced = run_cli(["init", "app", "--template", "hello", "--force"], cwd=tmp_path)
    assert forced.code == 0, forced
    assert (target / "notes.md").read_text() == "mine" and (target / "worker.toml").is_file()


def test_current_directory_is_the_default_target(tmp_path: Path) -> None:
    """No DIR in CI: the project goes into the (empty) working directory, named after it."""
    folder = tmp_path / "here-app"
    folder.mkdir()
    r = run_cli(["init", "--template", "scheduled"], cwd=folder)
    assert r.code == 0, r
    assert 'name = "here-app"' in (folder / "worker.toml").read_text()
    assert "cd " not in r.out


def test_interactive_prompts_for_directory_template_and_name(tmp_path: Path) -> None:
    """On a terminal init asks for the directory, the template and the name (re-asking on a bad name)."""
    r = run_cli(["init"], cwd=tmp_path, interactive=True, input="svc\nkv-cache\nBad_Name\nsvc-cache\n")
    assert r.code == 0, r
    config = tomllib.loads((tmp_path / "svc" / "worker.toml").read_text())
    assert config["name"] == "svc-cache" and config["kv_namespaces"] == [{"binding": "CACHE"}]


def test_interactive_accepts_the_defaults(tmp_path: Path) -> None:
    """Pressing enter everywhere gives the hello template named after the directory."""
    r = run_cli(["init", "fresh"], cwd=tmp_path, interactive=True, input="\n\n")
    assert r.code == 0, r
    config = tomllib.loads((tmp_path / "fresh" / "worker.toml").read_text())
    assert config["name"] == "fresh" and config["main"] == "src/index.js"


# -- --from-wrangler --------------------------------------------------------------------------

WRANGLER = '''name = "shop"
main = "src/index.js"
compatibility_date = "2024-09-01"
account_id = ""
[[kv_namespaces]]
binding = "CACHE"
preview_id = "dev-only"
[[migrations]]
tag = "v1"
new_sqlite_classes = ["Cart"]
[[containers]]
class_name = "Box"
image = "./Dockerfile"
'''


def test_from_wrangler_writes_worker_toml_and_lists_what_was_left(tmp_path: Path) -> None:
    """The converted worker.toml is written beside wrangler.toml, dropped keys listed with reasons."""
    (tmp_path / "wrangler.toml").write_text(WRANGLER)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default {}\n")
    refused = run_cli(["init", "--from-wrangler"], cwd=tmp_path)
    assert refused.code == 2, refused
    assert "  - containers: containers are not supported by cfworker" in refused.out
    assert "error: 1 key of wrangler.toml cannot be carried over (listed above): nothing written" in refused.err
    assert "--accept-loss" in refused.err and not (tmp_path / "worker.toml").exists()
    r = run_cli(["init", "--from-wrangler", "--accept-loss"], cwd=tmp_path)
    assert r.code == 0, r
    assert "  - containers: containers are not supported by cfworker" in r.out
    assert "kv_namespaces[0].preview_id" in r.out and "account_id" in r.out
    assert "Wrote worker.toml (from wrangler.toml)" in r.out
    assert "warning: 1 key of wrangler.toml not carried over (listed above, --accept-loss)" in r.err
    config = tomllib.loads((tmp_path / "worker.toml").read_text())
    assert config == {"name": "shop", "main": "src/index.js", "compatibility_date": "2024-09-01",
                      "kv_namespaces": [{"binding": "CACHE"}],
                      "migrations": [{"tag": "v1", "new_sqlite_classes": ["Cart"]}]}
    assert (tmp_path / "wrangler.toml").read_text() == WRANGLER
    again = run_cli(["init", "--from-wrangler", "--accept-loss"], cwd=tmp_path)
    assert again.code == 2 and "worker.toml already exists" in again.err and "--force" in again.err


def test_from_wrangler_takes_a_file_path_and_json(tmp_path: Path) -> None:
    """--from-wrangler PATH converts that file; --json reports the result as one document."""
    (tmp_path / "cfg").mkdir()
    (tmp_path / "cfg" / "wrangler.jsonc").write_text('{"name": "a", "main": "w.js", // c\n"compatibility_date": '
                                                     '"2024-01-01", "containers": [{"class_name": "B", "image": "x"}],}')
    refused = run_cli(["init", "--from-wrangler", "cfg/wrangler.jsonc", "--json"], cwd=tmp_path)
    assert refused.code == 2 and json.loads(refused.out)["written"] is False, refused
    r = run_cli(["init", "--from-wrangler", "cfg/wrangler.jsonc", "--json", "--accept-loss"], cwd=tmp_path)
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["written"] is True and [d["path"] for d in doc["dropped"]] == ["containers"]
    assert (tmp_path / "cfg" / "worker.toml").is_file()
    assert 'main = "w.js" does not exist yet' in r.err


def test_from_wrangler_blocked_config_writes_nothing(tmp_path: Path) -> None:
    """A config with no main (and no [assets]): exit 2 naming `main`, no worker.toml written."""
    (tmp_path / "wrangler.toml").write_text('name = "site"\ncompatibility_date = "2024-01-01"\n')
    r = run_cli(["init", "--from-wrangler"], cwd=tmp_path)
    assert r.code == 2, r
    assert "cannot convert wrangler.toml: wrangler.toml: main: is not set" in r.err
    assert not (tmp_path / "worker.toml").exists()


def test_from_wrangler_without_a_config_says_where_it_looked(tmp_path: Path) -> None:
    """No wrangler config in the folder: exit 2 naming the file names searched."""
    r = run_cli(["init", "--from-wrangler"], cwd=tmp_path)
    assert r.code == 2, r
    assert "no wrangler.json, wrangler.jsonc, wrangler.toml in ." in r.err


def test_from_wrangler_and_template_cannot_be_combined(tmp_path: Path) -> None:
    """--from-wrangler with --template is a usage error."""
    r = run_cli(["init", "--template", "hello", "--from-wrangler"], cwd=tmp_path)
    assert r.code == 2 and "cannot be combined with --template" in r.err


@pytest.mark.parametrize("name", CORPUS_FILES)
def test_from_wrangler_on_every_corpus_file_converts_or_names_the_key(tmp_path: Path, name: str) -> None:
    """Every real wrangler config: exit 0 with a worker.toml that loads, or exit 2 naming a key; no traceback."""
    shutil.copyfile(CORPUS / name, tmp_path / name)
    r = run_cli(["init", "--from-wrangler", name, "--name", "corpus-app", "--accept-loss"], cwd=tmp_path)
    assert "Traceback" not in r.output and "unexpected" not in r.err, r
    assert r.code in (0, 2), r
    if r.code == 2:
        assert r.err.startswith("error: ") and "hint: " in r.err, r
        assert not (tmp_path / "worker.toml").exists()
        return
    config = tomllib.loads((tmp_path / "worker.toml").read_text())
    assert config["name"] == "corpus-app"
    envs = config.get("env", {})
    for main in {layer["main"] for layer in (config, *envs.values()) if "main" in layer}:  # assets-only: none
        (tmp_path / main).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / main).write_text("export default {}\n")
    for env in [None, *envs]:
        assert load_project(None, env=env, cwd=tmp_path)[0].env == env
