"""validate(): raw TOML -> Project, defaults, typing, [env.NAME] inheritance and warnings (no files)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from cfworker.config.diagnostics import Diagnostics
from cfworker.config.model import (
    DEFAULT_MODULE_RULES, DnsRecordSpec, ModuleRule, Project, PurgeSpec, RouteSpec, VarSpec,
)

from .conftest import HEADER as H

Check = Callable[..., tuple[Project | None, Diagnostics]]


def ok(check: Check, text: str, env: str | None = None) -> tuple[Project, list[str]]:
    project, diagnostics = check(text, env=env)
    assert project is not None, diagnostics.render()
    return project, diagnostics.render_warnings()


# -- defaults -------------------------------------------------------------------------------
def test_validate_minimal_file_fills_defaults(check: Check) -> None:
    """A file with only name, main and date gets None/empty defaults everywhere else."""
    project, warnings = ok(check, H)
    assert project.name == "app"
    assert project.main == Path("/proj/src/index.js")
    assert project.root == Path("/proj")
    assert project.env is None
    assert project.workers_dev is None and project.wants_workers_dev
    assert project.crons is None
    assert project.purge is None and project.dns is None and project.dns_batch_size is None
    assert project.build.rules == DEFAULT_MODULE_RULES and project.build.sourcemap is None
    assert project.keep_vars is False
    assert warnings == []


def test_validate_empty_crons_means_clear_not_untouched(check: Check) -> None:
    """`crons = []` gives () (clear the schedules); no [triggers] gives None (leave them)."""
    project, _ = ok(check, H + "[triggers]\ncrons = []\n")
    assert project.crons == ()
    project, _ = ok(check, H + '[triggers]\ncrons = ["*/5 * * * *", "0 3 * * MON-FRI", "59 23 LW * *", "0 9 * * 2#1"]\n')
    assert project.crons == ("*/5 * * * *", "0 3 * * MON-FRI", "59 23 LW * *", "0 9 * * 2#1")


def test_validate_unquoted_toml_date_is_accepted_as_compatibility_date(check: Check) -> None:
    """compatibility_date = 2024-01-01 (a TOML date) means the same as the quoted string."""
    project, _ = ok(check, H.replace('"2024-01-01"', "2024-01-01"))
    assert project.compatibility_date == "2024-01-01"


# -- vars and bindings -------------------------------------------------------------------
def test_validate_vars_strings_are_text_and_other_values_json(check: Check) -> None:
    """Strings become text vars; numbers, booleans, arrays and tables stay JSON values."""
    project, _ = ok(check, H + '[vars]\nS = "x"\nN = 3\nB = true\nL = ["a", 1]\nT = { k = { n = 1.5 } }\n')
    by_name = {v.name: v for v in project.vars}
    assert by_name["S"] == VarSpec("S", "x") and by_name["S"].is_text
    assert [by_name[n].is_text for n in "NBLT"] == [False] * 4
    assert by_name["T"].value == {"k": {"n": 1.5}}


def test_validate_bindings_map_wrangler_keys_to_specs(check: Check) -> None:
    """Every binding kind maps wrangler's keys onto the model's specs."""
    project, _ = ok(check, H + """
kv_namespaces = [{ binding = "KV", id = "0123456789abcdef0123456789abcdef" }, { binding = "KV2", title = "t" }]
[[r2_buckets]]
binding = "R2"
bucket_name = "my-bucket"
jurisdiction = "eu"
[[d1_databases]]
binding = "DB"
database_id = "4B1E9E2A-0000-4000-8000-000000000000"
database_name = "db"
[[services]]
binding = "SVC"
service = "other"
entrypoint = "Api"
[durable_objects]
bindings = [{ name = "DO", class_name = "Room", script_name = "rooms" }]
[[queues.producers]]
binding = "Q"
queue = "jobs"
delivery_delay = 60
[[analytics_engine_datasets]]
binding = "AE"
""")
    kvs = project.bindings_of("kv_namespaces")
    assert [(k.name, k.get("id"), k.get("title")) for k in kvs] == [
        ("KV", "0123456789abcdef0123456789abcdef", None), ("KV2", None, "t")]
    assert [k.path for k in kvs] == ["kv_namespaces[0]", "kv_namespaces[1]"]
    assert project.bindings_of("r2_buckets")[0].get("jurisdiction") == "eu"
    assert project.bindings_of("d1_databases")[0].get("database_id") == "4b1e9e2a-0000-4000-8000-000000000000"
    assert project.bindings_of("services")[0].get("entrypoint") == "Api"
    assert project.bindings_of("durable_objects.bindings")[0].get("script_name") == "rooms"
    assert project.bindings_of("queues.producers")[0].get("delivery_delay") == 60
    assert project.bindings_of("analytics_engine_datasets")[0].get("dataset") is None
    assert project.resource_name(kvs[1]) == "t"


def test_validate_kv_preview_id_and_empty_id_warn(check: Check) -> None:
    """preview_id is ignored with a warning; id = "" counts as absent with a warning."""
    project, warnings = ok(check, H + '[[kv_namespaces]]\nbinding = "KV"\nid = ""\npreview_id = "abc"\n')
    assert [(k.name, k.get("id")) for k in project.bindings_of("kv_namespaces")] == [("KV", None)]
    assert any("kv_namespaces[0].preview_id: is for local development only" in w for w in warnings)
    assert any("worker.toml:6: kv_namespaces[0].id: is empty" in w for w in warnings)


def test_validate_secrets_accepts_list_and_wrangler_table(check: Check) -> None:
    """`secrets = [...]` and `[secrets] required = [...]` give the same names."""
    assert ok(check, H + 'secrets = ["A", "B"]\n')[0].secrets == ("A", "B")
    assert ok(check, H + '[secrets]\nrequired = ["A"]\n')[0].secrets == ("A",)


def test_validate_empty_account_id_is_absent_with_warning(check: Check) -> None:
    """account_id = "" (wrangler templates) is treated as unset and warned about."""
    project, warnings = ok(check, H + 'account_id = ""\n')
    assert project.account_id is None
    assert warnings and "worker.toml:4: account_id: is empty" in warnings[0]


def test_validate_dev_only_keys_warn_and_are_ignored(check: Check) -> None:
    """[dev] and send_metrics only affect local dev: warnings, not errors."""
    _, warnings = ok(check, H + "send_metrics = false\n[dev]\nport = 8787\n")
    assert [w.split(":")[2].strip() for w in warnings] == ["send_metrics", "dev"]


# -- routes ----------------------------------------------------------------------------------
def test_validate_routes_accept_strings_zones_and_custom_domains(check: Check) -> None:
    """Strings, zone_name/zone_id tables and custom domains all become RouteSpecs."""
    project, _ = ok(check, H + 'routes = ["a.com/*", { pattern = "b.com/*", zone_name = "b.com" }, '
                               '{ pattern = "c.com", custom_domain = true }]\n')
    assert project.routes == (RouteSpec("a.com/*"), RouteSpec("b.com/*", zone_name="b.com"),
                              RouteSpec("c.com", custom_domain=True))
    assert not project.wants_workers_dev
    assert ok(check, H + 'route = "x.com/*"\n')[0].routes == (RouteSpec("x.com/*"),)


# -- build -----------------------------------------------------------------------------------
def test_validate_build_table_resolves_paths_and_rules(check: Check) -> None:
    """[build] paths resolve against the config folder; user rules come before the defaults."""
    project, _ = ok(check, H + """
[build]
command = "npm run build"
cwd = "app"
watch_dir = "lib"
esbuild = "bin/esbuild"
external = ["pg"]
rules = [{ type = "Data", globs = ["**/*.dat"] }]
""")
    build = project.build
    assert (build.command, build.cwd, build.watch_dirs, build.esbuild) == (
        "npm run build", Path("/proj/app"), (Path("/proj/lib"),), Path("/proj/bin/esbuild"))
    assert build.external == ("pg",)
    # A Data rule without fallthrough hides the default Data rule, as in wrangler.
    assert build.rules == (ModuleRule("data", ("**/*.dat",)), DEFAULT_MODULE_RULES[0], DEFAULT_MODULE_RULES[2])


def test_validate_rule_fallthrough_keeps_default_rule(check: Check) -> None:
    """fallthrough = true keeps the later default rule of the same type."""
    project, _ = ok(check, H + '[[rules]]\ntype = "CompiledWasm"\nglobs = ["**/*.w"]\nfallthrough = true\n')
    assert project.build.rules == (ModuleRule("wasm", ("**/*.w",)), *DEFAULT_MODULE_RULES)


def test_validate_top_level_build_spellings_are_accepted(check: Check) -> None:
    """Wrangler's top-level minify/define/keep_names/upload_source_maps fill BuildSpec."""
    project, _ = ok(check, H + 'minify = true\nkeep_names = false\nupload_source_maps = false\n'
                               '[define]\n"process.env.X" = \'"1"\'\n')
    assert (project.build.minify, project.build.keep_names, project.build.sourcemap) == (True, False, False)
    assert project.build.define == (("process.env.X", '"1"'),)


def test_validate_define_bare_word_warns(check: Check) -> None:
    """A define value that is a bare word is allowed by esbuild but probably meant as a string."""
    _, warnings = ok(check, H + '[build.define]\nMODE = "production"\n')
    assert any("build.define.MODE" in w and "'\"production\"'" in w for w in warnings)


def test_validate_define_takes_every_form_esbuild_takes(check: Check) -> None:
    """Bracketed keys, single-quoted strings, bigints and trailing commas build in esbuild, so they load."""
    project, warnings = ok(check, H + "[build.define]\n'process.env[\"MY-VAR\"]' = \"'on'\"\n"
                                      'LIMIT = "9007199254740993n"\nLIST = "[1, 2,]"\n')
    assert project.build.define == (('process.env["MY-VAR"]', "'on'"), ("LIMIT", "9007199254740993n"),
                                    ("LIST", "[1, 2,]"))
    assert warnings == []


def test_validate_define_expression_is_refused_with_the_rule(check: Check) -> None:
    project, diagnostics = check(H + '[build.define]\nX = "1 + 2"\n')
    assert project is None
    [line] = diagnostics.render()
    assert "worker.toml:5: build.define.X" in line and "JS literal" in line


# -- hooks -----------------------------------------------------------------------------------
def test_validate_dns_and_purge_become_specs(check: Check) -> None:
    """[[dns]] and [purge] become DnsRecordSpec and PurgeSpec with their defaults."""
    project, _ = ok(check, H + """
[[dns]]
type = "aaaa"
name = "www"
content = "2001:db8::1"
proxied = true
[[dns]]
type = "MX"
name = "@"
content = "mx.example.com"
priority = 5
[purge]
files = ["https://{host}/index.html"]
""")
    assert project.dns[0] == DnsRecordSpec("AAAA", "www", "2001:db8::1", proxied=True)
    assert project.dns[1].priority == 5 and project.dns[1].ttl == 1
    assert project.purge == PurgeSpec(files=("https://{host}/index.html",))


# -- environments ------------------------------------------------------------------------------
ENVS = H + """workers_dev = false
routes = ["app.com/*"]
[vars]
A = "top"
[[kv_namespaces]]
binding = "KV"
[build]
command = "make"
minify = true
[build.define]
X = "1"
[triggers]
crons = ["0 0 * * *"]
[purge]
everything = true
[env.staging]
compatibility_date = "2024-05-05"
[env.staging.vars]
A = "staging"
[env.prod]
name = "app-production"
routes = []
kv_namespaces = [{ binding = "KV", id = "0123456789abcdef0123456789abcdef" }]
[env.prod.triggers]
crons = []
[env.prod.build]
command = "make prod"
"""


def test_validate_env_name_defaults_to_name_dash_env(check: Check) -> None:
    """[env.staging] without name deploys as <name>-staging; an explicit name wins."""
    assert ok(check, ENVS, "staging")[0].name == "app-staging"
    assert ok(check, ENVS, "prod")[0].name == "app-production"


def test_validate_env_inherits_routes_triggers_workers_dev_but_not_hooks(check: Check) -> None:
    """Inheritable keys (routes, triggers, workers_dev, build, dates) fall back to the top level; the
    hooks do not, with a warning: a staging deploy must never purge production's cache."""
    project, warnings = ok(check, ENVS, "staging")
    assert project.env == "staging"
    assert project.routes == (RouteSpec("app.com/*"),)
    assert project.crons == ("0 0 * * *",)
    assert project.workers_dev is False
    assert project.build.command == "make" and project.build.minify is True
    assert project.purge is None
    assert any("`purge` is set at the top level but not in [env.staging]; post-deploy hooks are not inherited" in w
               for w in warnings), warnings
    assert project.compatibility_date == "2024-05-05"
    top, _ = ok(check, ENVS)
    assert top.purge == PurgeSpec(everything=True)


def test_validate_env_overrides_replace_top_level_values(check: Check) -> None:
    """An env's routes = [], crons = [] and [build] replace the top-level ones whole."""
    project, _ = ok(check, ENVS, "prod")
    assert project.routes == ()
    assert project.crons == ()
    assert project.build.command == "make prod"
    assert project.build.minify is False  # [build] is replaced as a whole, as in wrangler
    assert project.compatibility_date == "2024-01-01"


def test_validate_env_does_not_inherit_bindings_and_warns(check: Check) -> None:
    """vars, kv_namespaces and define stay at the top level; the warning names the key and the env."""
    project, warnings = ok(check, ENVS, "staging")
    assert project.vars == (VarSpec("A", "staging"),)
    assert project.bindings_of("kv_namespaces") == ()
    assert project.build.define == ()
    assert any("env.staging: `kv_namespaces` is set at the top level but not in [env.staging]" in w
               and "add kv_namespaces to [env.staging]" in w for w in warnings)
    assert any("`define` is set at the top level" in w for w in warnings)
    assert not any("`vars`" in w for w in warnings)


def test_validate_env_top_level_only_has_no_inheritance_warnings(check: Check) -> None:
    """Deploying the top level never warns about env inheritance."""
    assert ok(check, ENVS)[1] == []


def test_validate_env_inheriting_custom_domains_warns(check: Check) -> None:
    """An env that inherits custom-domain routes is warned that it would take them over."""
    _, warnings = ok(check, H + 'routes = [{ pattern = "app.com", custom_domain = true }]\n[env.dev]\n', "dev")
    assert any("env.dev: inherits the top-level custom domain" in w for w in warnings)


def test_validate_env_unselected_values_are_not_checked(check: Check) -> None:
    """A bad value in an env that is not deployed does not block the top-level deploy; bad keys do."""
    text = H + '[env.staging.triggers]\ncrons = ["not a cron"]\n'
    project, _ = check(text)
    assert project is not None
    project, diagnostics = check(text, env="staging")
    assert project is None
    assert "worker.toml:5: env.staging.triggers.crons[0]:" in diagnostics.render_errors()[0]


def test_validate_env_without_any_envs_says_so(check: Check) -> None:
    """Selecting an env in a file without [env.*] tables says there are none."""
    project, diagnostics = check(H, env="prod")
    assert project is None
    assert "this file has no [env.*] tables" in diagnostics.render_errors()[0]


def test_validate_env_name_missing_everywhere_is_reported(check: Check) -> None:
    """Without a top-level name, an env without its own name cannot be deployed."""
    text = H.replace('name = "app"\n', "") + '[env.a]\nname = "a-worker"\n[env.b]\n'
    assert ok(check, text, "a")[0].name == "a-worker"
    project, diagnostics = check(text, env="b")
    assert project is None
    assert "name: is required" in diagnostics.render_errors()[0] and "[env.b]" in diagnostics.render_errors()[0]


@pytest.mark.parametrize("key", ["vars", "kv_namespaces", "secrets", "services", "d1_databases"])
def test_validate_env_binding_present_only_in_env_gives_no_warning(check: Check, key: str) -> None:
    """An env may declare bindings the top level does not have, silently."""
    samples = {"vars": "[env.e.vars]\nA = 1\n", "kv_namespaces": '[[env.e.kv_namespaces]]\nbinding = "K"\n',
               "secrets": 'env.e.secrets = ["S"]\n', "services": '[[env.e.services]]\nbinding = "S"\nservice = "s"\n',
               "d1_databases": '[[env.e.d1_databases]]\nbinding = "D"\ndatabase_id = "00000000-0000-4000-8000-000000000000"\n'}
    project, warnings = ok(check, H + samples[key], "e")
    assert warnings == []


def test_env_does_not_inherit_tail_consumers(check: Check) -> None:
    """tail_consumers are @nonInheritable in wrangler: staging must not tail into production's consumer."""
    text = H + 'tail_consumers = [{ service = "prod-tail" }]\n[env.staging]\n'
    project, warnings = ok(check, text, "staging")
    assert project.tail_consumers is None
    assert any("`tail_consumers` is set at the top level but not in [env.staging]" in w for w in warnings)
    top, _ = ok(check, text)
    assert top.tail_consumers == ({"service": "prod-tail"},)


def test_binding_and_var_names_wrangler_accepts_load_with_a_note(check: Check) -> None:
    """wrangler takes any string as a binding name (workers-utils validation.ts checks only the type):
    `MY-KV` loads, with a warning saying the code reads env["MY-KV"]."""
    project, warnings = ok(check, H + '[vars]\n"API-URL" = "https://x"\n[[kv_namespaces]]\nbinding = "MY-KV"\n')
    assert [v.name for v in project.vars] == ["API-URL"]
    assert [k.name for k in project.bindings_of("kv_namespaces")] == ["MY-KV"]
    assert any('kv_namespaces[0].binding: "MY-KV" is not a JavaScript identifier: your code reads it as '
               'env["MY-KV"]' in w for w in warnings), warnings
    assert any('env["API-URL"]' in w for w in warnings)


def test_assets_only_worker_loads_without_main(check: Check) -> None:
    project, _ = ok(check, 'name = "site"\ncompatibility_date = "2025-06-01"\n[assets]\ndirectory = "public"\n'
                           'not_found_handling = "single-page-application"\n')
    assert project.main is None and project.assets is not None
    assert project.assets.config() == {"not_found_handling": "single-page-application"}


@pytest.mark.parametrize(("key", "value"), [("binding", '"ASSETS"'), ("run_worker_first", "true")])
def test_assets_only_worker_refuses_what_needs_code(check: Check, key: str, value: str) -> None:
    """As wrangler: no main means no Worker to bind assets to or to run first."""
    project, diagnostics = check(f'name = "site"\ncompatibility_date = "2025-06-01"\n[assets]\ndirectory = "p"\n'
                                 f"{key} = {value}\n")
    assert project is None
    assert any(f"assets.{key}" in line and "assets-only Worker" in line for line in diagnostics.render())


def test_assets_without_directory_in_a_vite_project_says_to_build(tmp_path: Path) -> None:
    """Vite-plugin projects leave assets.directory to the build (cloudflare/templates react-starter-template)."""
    from cfworker.config.loader import load_project
    from cfworker.errors import ConfigError

    (tmp_path / "wrangler.json").write_text('{"name": "a", "main": "w.ts", "compatibility_date": "2025-01-01", '
                                            '"assets": {"not_found_handling": "single-page-application"}}')
    (tmp_path / "w.ts").write_text("export default {}\n")
    (tmp_path / "vite.config.ts").write_text("export default {}\n")
    with pytest.raises(ConfigError) as info:
        load_project(None, env=None, cwd=tmp_path)
    assert "assets.directory" in info.value.message and "npm run build" in (info.value.hint or "")
