"""loader: finding worker.toml, reading it safely, and returning the Project with warnings."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cfworker.config.loader import find_config, load_project
from cfworker.config.model import Project
from cfworker.errors import EXIT_USAGE, ConfigError

from .conftest import HEADER, TODAY


def test_find_config_walks_up_from_a_subdirectory(tmp_path: Path) -> None:
    """worker.toml in a parent directory is found from a nested working directory."""
    (tmp_path / "worker.toml").write_text(HEADER)
    nested = tmp_path / "src" / "deep"
    nested.mkdir(parents=True)
    assert find_config(nested) == tmp_path / "worker.toml"


def test_find_config_missing_names_start_and_suggests_init(tmp_path: Path) -> None:
    """No config anywhere: the error names where the search started and suggests init or --config."""
    with pytest.raises(ConfigError) as info:
        find_config(tmp_path)
    assert str(tmp_path) in info.value.message
    assert "cfworker init" in (info.value.hint or "") and "--config" in (info.value.hint or "")
    assert info.value.exit_code == EXIT_USAGE


@pytest.mark.parametrize("name", ["wrangler.toml", "wrangler.jsonc", "wrangler.json"])
def test_find_config_uses_a_wrangler_file_in_place(tmp_path: Path, name: str) -> None:
    """Without a worker.toml, the nearest wrangler config is the config (searched up, as wrangler does)."""
    (tmp_path / name).write_text("{}")
    sub = tmp_path / "src"
    sub.mkdir()
    assert find_config(sub) == tmp_path / name


def test_find_config_follows_wranglers_order_and_prefers_worker_toml(tmp_path: Path) -> None:
    for name in ("wrangler.toml", "wrangler.jsonc", "wrangler.json"):
        (tmp_path / name).write_text("{}")
    assert find_config(tmp_path).name == "wrangler.json"
    (tmp_path / "worker.toml").write_text(HEADER)
    assert find_config(tmp_path).name == "worker.toml"


def test_find_config_prefers_nearest_folder(tmp_path: Path) -> None:
    """A nearer wrangler.toml stops the walk before a worker.toml further up (another project)."""
    (tmp_path / "worker.toml").write_text(HEADER)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "wrangler.toml").write_text("")
    assert find_config(tmp_path / "other") == tmp_path / "other" / "wrangler.toml"


def test_find_config_follows_the_vite_plugins_redirect(tmp_path: Path) -> None:
    """`.wrangler/deploy/config.json` beside the user's config points at the config the build wrote."""
    (tmp_path / "wrangler.jsonc").write_text("{}")
    built = tmp_path / "dist" / "app" / "wrangler.json"
    built.parent.mkdir(parents=True)
    built.write_text("{}")
    (tmp_path / ".wrangler" / "deploy").mkdir(parents=True)
    (tmp_path / ".wrangler" / "deploy" / "config.json").write_text('{"configPath": "../../dist/app/wrangler.json"}')
    assert find_config(tmp_path) == built
    built.unlink()
    with pytest.raises(ConfigError, match="does not exist"):
        find_config(tmp_path)


JSONC = """{
  // a wrangler project, read in place
  "$schema": "node_modules/wrangler/config-schema.json",
  "name": "links",
  "main": "src/index.js",
  "compatibility_date": "2025-06-01",
  "kv_namespaces": [
    { "binding": "LINKS" }, // provisioned at the first deploy
  ],
}
"""


def test_load_project_reads_wrangler_jsonc_in_place(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text(JSONC)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default {}\n")
    project, warnings = load_project(None, env=None, cwd=tmp_path)
    assert project.name == "links" and project.config_path == tmp_path / "wrangler.jsonc"
    assert [b.name for b in project.bindings] == ["LINKS"] and warnings == []


def test_wrangler_jsonc_errors_name_its_lines(tmp_path: Path) -> None:
    (tmp_path / "wrangler.jsonc").write_text(JSONC.replace('"binding": "LINKS"', '"binding": 7'))
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.js").write_text("export default {}\n")
    with pytest.raises(ConfigError) as info:
        load_project(None, env=None, cwd=tmp_path)
    assert "wrangler.jsonc:8: kv_namespaces[0].binding" in info.value.message + " ".join(info.value.notes)


def test_load_project_relative_config_resolves_against_cwd(tmp_path: Path) -> None:
    """--config app/worker.toml is read relative to cwd and main relative to that file's folder."""
    app = tmp_path / "app"
    (app / "src").mkdir(parents=True)
    (app / "worker.toml").write_text(HEADER)
    (app / "src" / "index.js").write_text("")
    project, warnings = load_project(Path("app/worker.toml"), env=None, cwd=tmp_path, today=TODAY)
    assert project.config_path == app / "worker.toml"
    assert project.main == app / "src" / "index.js"
    assert warnings == []


def test_load_project_messages_name_file_relative_to_cwd(tmp_path: Path) -> None:
    """Errors name the file as the user would type it from cwd."""
    app = tmp_path / "app"
    app.mkdir()
    (app / "worker.toml").write_text("name = 1\n")
    with pytest.raises(ConfigError) as info:
        load_project(Path("app/worker.toml"), env=None, cwd=tmp_path, today=TODAY)
    assert info.value.notes[0].startswith("app/worker.toml:1: name:")


def test_load_project_directory_as_config_is_refused(tmp_path: Path) -> None:
    """--config pointing at a directory is a clear error naming it."""
    (tmp_path / "conf").mkdir()
    with pytest.raises(ConfigError) as info:
        load_project(Path("conf"), env=None, cwd=tmp_path)
    assert "conf is a directory" in info.value.message


def test_load_project_missing_config_file_is_refused(tmp_path: Path) -> None:
    """--config naming a file that does not exist says so."""
    with pytest.raises(ConfigError) as info:
        load_project(Path("nope.toml"), env=None, cwd=tmp_path)
    assert info.value.message == "nope.toml does not exist"


def test_load_project_byte_order_mark_is_accepted(load: Callable[..., tuple[Project, list[str]]]) -> None:
    """A UTF-8 BOM (some Windows editors add one) does not break parsing."""
    project, _ = load(b"\xef\xbb\xbf" + HEADER.encode())
    assert project.name == "app"


def test_load_project_returns_warnings_as_lines(load: Callable[..., tuple[Project, list[str]]]) -> None:
    """Warnings come back rendered with file, line, key and hint."""
    _, warnings = load(HEADER + "send_metrics = true\n")
    assert warnings == ["worker.toml:4: send_metrics: wrangler telemetry setting; cfworker ignores it "
                        "(remove it to silence this warning)"]


def test_load_project_missing_main_reported_with_other_problems(load_error: Callable[..., ConfigError]) -> None:
    """A missing main file is one more problem in the same error, not a separate run."""
    error = load_error(HEADER + "workers_dev = 1\n", main=None)
    assert error.message == "worker.toml has 2 problems"
    assert any("main: the entry module" in n and "src/index.js does not exist" in n for n in error.notes)


def test_load_project_env_main_missing_names_env_key(load_error: Callable[..., ConfigError]) -> None:
    """When the env sets main, the missing-file error points at env.NAME.main."""
    error = load_error(HEADER + '[env.e]\nmain = "src/other.js"\n', env="e")
    assert error.message.startswith("worker.toml:5: env.e.main: the entry module")


# What the Cloudflare Vite plugin writes into dist/<name>/wrangler.json (shape seen in
# cloudflare/templates vite-react-template after `vite build`, @cloudflare/vite-plugin).
BUILT = """{"configPath":"/p/wrangler.json","userConfigPath":"/p/wrangler.json","topLevelName":"app",
"definedEnvironments":[],"compatibility_date":"2025-10-08","compatibility_flags":["nodejs_compat"],
"jsx_factory":"React.createElement","jsx_fragment":"React.Fragment",
"rules":[{"type":"ESModule","globs":["**/*.js","**/*.mjs"]}],"name":"app","main":"index.js","triggers":{},
"assets":{"directory":"../client","not_found_handling":"single-page-application"},"vars":{},
"durable_objects":{"bindings":[]},"workflows":[],"migrations":[],"exports":{},"kv_namespaces":[],"cloudchamber":{},
"unsafe_hello_world":[],"python_modules":{"exclude":["**/*.pyc"]},"upload_source_maps":true,
"dev":{"ip":"localhost"},"no_bundle":true}"""


def test_the_vite_plugins_built_config_loads_without_its_computed_fields_and_defaults(tmp_path: Path) -> None:
    """Computed fields, wrangler's written-out defaults, empty tables of unsupported keys and the
    no_bundle/ESModule pair of a prebuilt main are not settings: the built config loads clean."""
    out = tmp_path / "dist" / "app"
    out.mkdir(parents=True)
    (out / "wrangler.json").write_text(BUILT)
    (out / "index.js").write_text("export default {}\n")
    (tmp_path / ".wrangler" / "deploy").mkdir(parents=True)
    (tmp_path / ".wrangler" / "deploy" / "config.json").write_text('{"configPath": "../../dist/app/wrangler.json"}')
    project, warnings = load_project(None, env=None, cwd=tmp_path)
    assert project.main == out / "index.js" and warnings == []
    assert project.assets is not None and project.assets.directory == tmp_path / "dist" / "client"
    assert project.build.sourcemap is True


def test_a_user_config_keeps_its_refusals(tmp_path: Path) -> None:
    """Outside a built config, a set key cfworker cannot deploy is still an error naming it; an empty one is not."""
    (tmp_path / "wrangler.json").write_text('{"name": "a", "main": "i.js", "compatibility_date": "2025-01-01", '
                                            '"containers": [], "no_bundle": true}')
    (tmp_path / "i.js").write_text("export default {}\n")
    with pytest.raises(ConfigError) as info:
        load_project(None, env=None, cwd=tmp_path)
    text = info.value.message + " ".join(info.value.notes)
    assert "no_bundle" in text and "containers" not in text
