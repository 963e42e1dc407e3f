"""Malformed worker.toml files: each is refused with a ConfigError naming file, key path and line."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from cfworker.errors import ConfigError

from .conftest import HEADER, error_text

H = HEADER  # lines 1-3: name, main, compatibility_date; what a case appends starts on line 4


@dataclass(frozen=True)
class Case:
    id: str
    content: str | bytes
    where: tuple[str, ...]  # "worker.toml:LINE: key.path:" prefixes (or "worker.toml:LINE:COL:" for syntax)
    says: tuple[str, ...] = ()  # more text the error must contain
    env: str | None = None
    main: str | None = "src/index.js"


CASES = [
    # -- TOML syntax: file, line, column, the line's text -------------------------------------
    Case("syntax-trailing-comma", H + '[vars]\nA = "x",\n', ("worker.toml:5:8:",),
         ("invalid TOML in [vars]", 'A = "x",', "^")),
    Case("syntax-table-twice", H + "[vars]\nA = 1\n[vars]\n", ("worker.toml:6:",), ("Cannot declare [vars] twice",)),
    Case("syntax-unclosed-array", H + 'compatibility_flags = ["a",\n', ("worker.toml:4:",), ("invalid TOML",)),
    Case("syntax-missing-value", 'name =\nmain = "src/index.js"\n', ("worker.toml:1:7:",), ("Invalid value",)),
    Case("syntax-unterminated-string", H + 'account_id = "abc\n', ("worker.toml:4:",), ("close the string",)),
    # -- bytes that are not TOML text ------------------------------------------------------
    Case("binary-garbage", b"\x7fELF\x02\x01\x01\x00\x00\x00garbage", ("worker.toml:1:",), ("binary data",)),
    Case("invalid-utf8", H.encode() + b'[vars]\nA = "caf\xe9"\n', ("worker.toml:5:",), ("not valid UTF-8",)),
    # -- tags (real-api-quirks #5: 8 per script, no "," or "&") -------------------------------
    Case("tags-comma", H + 'tags = ["team:web", "a,b"]\n', ("worker.toml:4: tags[1]:",), ("contains ',' or '&'",)),
    Case("tags-too-many", H + "tags = [" + ", ".join(f'"t{i}"' for i in range(9)) + "]\n", ("worker.toml:4: tags:",),
         ("has 9 tags", "at most 8")),
    # -- hooks in an environment: their own keys, checked there ------------------------------
    Case("dns-tag-name", H + '[[dns]]\ntype = "A"\nname = "www"\ncontent = "192.0.2.1"\ntags = ["bad name:x"]\n',
         ("worker.toml:8: dns[0].tags[0]:",), ("1-32 letters",)),
    Case("dns-comment-two-lines", H + '[[dns]]\ntype = "A"\nname = "www"\ncontent = "192.0.2.1"\ncomment = "a\\nb"\n',
         ("worker.toml:8: dns[0].comment:",), ("one line",)),
    # -- name -----------------------------------------------------------------------------------
    Case("name-wrong-type", 'name = 123\nmain = "src/index.js"\ncompatibility_date = "2024-01-01"\n',
         ("worker.toml:1: name:",), ("expected a string but got 123",)),
    Case("name-underscore", H.replace('"app"', '"My_Worker"'), ("worker.toml:1: name:",),
         ("lowercase letters, digits and dashes", 'e.g. "my-worker"')),
    Case("name-too-long", H.replace('"app"', '"' + "a" * 64 + '"'), ("worker.toml:1: name:",), ("at most 63",)),
    Case("name-leading-dash", H.replace('"app"', '"-app"'), ("worker.toml:1: name:",), ("not starting or ending with a dash",)),
    Case("name-missing", H.replace('name = "app"\n', ""), ("worker.toml: name:",), ("is required",)),
    # -- main -----------------------------------------------------------------------------------
    Case("main-missing-key", H.replace('main = "src/index.js"\n', ""), ("worker.toml: main:",), ("is required",)),
    Case("main-not-string", H.replace('"src/index.js"', '["src/index.js"]'), ("worker.toml:2: main:",),
         ('expected a string but got ["src/index.js"]',)),
    Case("main-python", H.replace("src/index.js", "src/index.py"), ("worker.toml:2: main:",), ("Python Worker",)),
    Case("main-file-missing", H, ("worker.toml:2: main:",), ("src/index.js does not exist",), main=None),
    # -- compatibility ------------------------------------------------------------------------
    Case("date-slashes", H.replace("2024-01-01", "2024/01/01"), ("worker.toml:3: compatibility_date:",), ("YYYY-MM-DD",)),
    Case("date-impossible", H.replace("2024-01-01", "2024-02-30"), ("worker.toml:3: compatibility_date:",), ("YYYY-MM-DD",)),
    Case("date-future", H.replace("2024-01-01", "2999-01-01"), ("worker.toml:3: compatibility_date:",), ("in the future",)),
    Case("flags-not-list", H + 'compatibility_flags = "nodejs_compat"\n', ("worker.toml:4: compatibility_flags:",),
         ('expected a list but got "nodejs_compat"',)),
    # -- account and booleans -----------------------------------------------------------------
    Case("account-not-hex", H + 'account_id = "abc"\n', ("worker.toml:4: account_id:",), ("32 lowercase hex",)),
    Case("account-uppercase", H + 'account_id = "' + "A" * 32 + '"\n', ("worker.toml:4: account_id:",), ("lowercase",)),
    Case("workers-dev-string", H + 'workers_dev = "true"\n', ("worker.toml:4: workers_dev:",),
         ('expected true or false but got "true"',)),
    # -- routes -------------------------------------------------------------------------------
    Case("route-and-routes", H + 'route = "a.com/*"\nroutes = ["b.com/*"]\n', ("worker.toml:4: route:",), ("both set",)),
    Case("routes-pattern-type", H + 'routes = [\n  "a.com/*",\n  { pattern = 123 },\n]\n',
         ("worker.toml:6: routes[1].pattern:",), ("expected a string but got 123",)),
    Case("custom-domain-path", H + 'routes = [{ pattern = "app.example.com/*", custom_domain = true }]\n',
         ("worker.toml:4: routes[0].pattern:",), ("bare hostname",)),
    Case("route-zone-both", H + '[[routes]]\npattern = "a.com/*"\nzone_name = "a.com"\nzone_id = "' + "a" * 32 + '"\n',
         ("worker.toml:7: routes[0].zone_id:",), ("both set",)),
    Case("route-missing-pattern", H + 'route = { zone_name = "a.com" }\n', ("worker.toml:4: route.pattern:",), ("is required",)),
    # -- vars and bindings -------------------------------------------------------------------
    Case("var-bad-name", H + '[vars]\n"1 X" = "a"\n', ('worker.toml:5: vars."1 X":',), ("spaces or control characters",)),
    Case("var-toml-date", H + "[vars]\nWHEN = 2024-01-01\n", ("worker.toml:5: vars.WHEN:",), ("JSON",)),
    Case("kv-missing-binding", H + '[[kv_namespaces]]\ntitle = "x"\n', ("worker.toml:4: kv_namespaces[0].binding:",),
         ("is required",)),
    Case("kv-bad-id", H + '[[kv_namespaces]]\nbinding = "CACHE"\nid = "not-an-id"\n', ("worker.toml:6: kv_namespaces[0].id:",),
         ("KV namespace id",)),
    Case("kv-binding-space", H + 'kv_namespaces = [{ binding = "my kv" }]\n', ("worker.toml:4: kv_namespaces[0].binding:",),
         ('"my_kv"',)),
    Case("duplicate-binding", H + '[vars]\nCACHE = "x"\n[[kv_namespaces]]\nbinding = "CACHE"\n',
         ("worker.toml:7: kv_namespaces[0].binding:",), ("already used by vars.CACHE",)),
    Case("d1-bad-id", H + '[[d1_databases]]\nbinding = "DB"\ndatabase_id = "xxxx"\n', ("worker.toml:6: d1_databases[0].database_id:",),
         ("UUID",)),
    Case("r2-bad-bucket", H + '[[r2_buckets]]\nbinding = "B"\nbucket_name = "Bad_Bucket"\n',
         ("worker.toml:6: r2_buckets[0].bucket_name:",), ("R2 bucket name",)),
    Case("do-missing-class", H + '[[durable_objects.bindings]]\nname = "C"\n',
         ("worker.toml:4: durable_objects.bindings[0].class_name:",), ("is required",)),
    Case("service-missing", H + '[[services]]\nbinding = "AUTH"\n', ("worker.toml:4: services[0].service:",), ("is required",)),
    Case("queue-delay", H + '[[queues.producers]]\nbinding = "Q"\nqueue = "q"\ndelivery_delay = 999999\n',
         ("worker.toml:7: queues.producers[0].delivery_delay:",), ("out of range",)),
    Case("secret-bad-name", H + 'secrets = ["API KEY"]\n', ("worker.toml:4: secrets[0]:",), ("secret name",)),
    # -- crons ----------------------------------------------------------------------------------
    Case("cron-six-fields", H + '[triggers]\ncrons = ["0 0 0 * * *"]\n', ("worker.toml:5: triggers.crons[0]:",),
         ("has 6 fields, expected 5",)),
    Case("cron-weekday-zero", H + '[triggers]\ncrons = [\n  "0 0 * * *",\n  "0 0 * * 0",\n]\n',
         ("worker.toml:7: triggers.crons[1]:",), ("1 = Sunday",)),
    Case("crons-not-list", H + '[triggers]\ncrons = "0 0 * * *"\n', ("worker.toml:5: triggers.crons:",), ("expected a list",)),
    # -- unknown and unsupported keys ------------------------------------------------------
    Case("unknown-top-typo", H + 'compatability_flags = ["x"]\n', ("worker.toml:4: compatability_flags:",),
         ("did you mean `compatibility_flags`?",)),
    Case("unknown-build-typo", H + "[build]\nminfy = true\n", ("worker.toml:5: build.minfy:",), ("did you mean `minify`?",)),
    Case("misplaced-after-table", H + '[triggers]\ncrons = []\nroutes = ["a.com/*"]\n', ("worker.toml:6: triggers.routes:",),
         ("move it above the first [table] header",)),
    Case("v1-type", H + 'type = "webpack"\n', ("worker.toml:4: type:",), ("wrangler v1",)),
    Case("node-compat", H + "node_compat = true\n", ("worker.toml:4: node_compat:",), ('compatibility_flags = ["nodejs_compat"]',)),
    Case("build-upload", H + '[build.upload]\nformat = "modules"\n', ("worker.toml:4: build.upload:",), ("wrangler v1",)),
    Case("kv-dash-spelling", H + '[[kv-namespaces]]\nbinding = "A"\n', ("worker.toml:4: kv-namespaces:",), ("kv_namespaces",)),
    Case("assets-no-directory", H + '[assets]\nbinding = "ASSETS"\n', ("worker.toml:4: assets.directory:",),
         ("is required",)),
    Case("assets-bad-handling", H + '[assets]\ndirectory = "."\nhtml_handling = "auto"\n',
         ("worker.toml:6: assets.html_handling:",), ("force-trailing-slash",)),
    Case("assets-bad-pattern", H + '[assets]\ndirectory = "."\nrun_worker_first = ["api/*"]\n',
         ("worker.toml:6: assets.run_worker_first[0]:",), ('start with "/"',)),
    # -- credentials -----------------------------------------------------------------------------
    Case("credential-top", H + 'api_token = "tok-SECRET-123"\n', ("worker.toml:4: api_token:",), ("CLOUDFLARE_API_TOKEN",)),
    Case("credential-in-vars", H + '[vars]\nCLOUDFLARE_API_TOKEN = "tok-SECRET-123"\n',
         ("worker.toml:5: vars.CLOUDFLARE_API_TOKEN:",), ("secret",)),
    Case("credential-nested", H + '[env.prod]\ntoken = "tok-SECRET-123"\n', ("worker.toml:5: env.prod.token:",), ("credential",)),
    # -- build -----------------------------------------------------------------------------------
    Case("minify-twice", H + "minify = true\n[build]\nminify = false\n", ("worker.toml:4: minify:",), ("keep only",)),
    Case("define-not-json", H + '[build.define]\n"process.env.MODE" = "1 +"\n',
         ('worker.toml:5: build.define."process.env.MODE":',), ("quote it inside",)),
    Case("rule-esmodule", H + '[[rules]]\ntype = "ESModule"\nglobs = ["**/*.mjs"]\n', ("worker.toml:5: rules[0].type:",),
         ("not supported",)),
    # -- dns ----------------------------------------------------------------------------------------
    Case("dns-a-ipv6", H + '[[dns]]\ntype = "A"\nname = "www"\ncontent = "2001:db8::1"\n', ("worker.toml:7: dns[0].content:",),
         ("IPv4", "AAAA")),
    Case("dns-mx-no-priority", H + '[[dns]]\ntype = "MX"\nname = "@"\ncontent = "mail.example.com"\n',
         ("worker.toml:4: dns[0].priority:",), ("required for MX",)),
    Case("dns-proxied-txt", H + '[[dns]]\ntype = "TXT"\nname = "@"\ncontent = "v=spf1"\nproxied = true\n',
         ("worker.toml:8: dns[0].proxied:",), ("only applies to A/AAAA/CNAME",)),
    Case("dns-ttl", H + '[[dns]]\ntype = "A"\nname = "www"\ncontent = "192.0.2.1"\nttl = 30\n', ("worker.toml:8: dns[0].ttl:",),
         ("60-86400",)),
    Case("dns-priority-on-a", H + 'dns = [{ type = "A", name = "www", content = "192.0.2.1", priority = 5 }]\n',
         ("worker.toml:4: dns[0].priority:",), ("only applies to MX",)),
    # -- purge --------------------------------------------------------------------------------------
    Case("purge-both", H + '[purge]\neverything = true\nfiles = ["https://a.com/x"]\n', ("worker.toml:5: purge.everything:",),
         ("would be ignored",)),
    Case("purge-not-url", H + '[purge]\nfiles = ["/index.html"]\n', ("worker.toml:5: purge.files[0]:",), ("full URL",)),
    Case("purge-chunk", H + '[purge]\neverything = true\nchunk_size = 0\n', ("worker.toml:6: purge.chunk_size:",), ("out of range",)),
    Case("purge-empty", H + "[purge]\n", ("worker.toml:4: purge:",), ("purges nothing",)),
    # -- settings -----------------------------------------------------------------------------------
    Case("placement-no-mode", H + '[placement]\nhint = "x"\n', ("worker.toml:4: placement.mode:",), ("is required",)),
    Case("observability-enabled-string", H + '[observability]\nenabled = "yes"\n', ("worker.toml:5: observability.enabled:",),
         ('got "yes"',)),
    Case("usage-model", H + 'usage_model = "free"\n', ("worker.toml:4: usage_model:",), ("standard, bundled, unbound",)),
    # -- environments -------------------------------------------------------------------------------
    Case("env-not-found", H + "[env.staging]\n[env.production]\n", ("worker.toml: env.prod:",),
         ("production, staging",), env="prod"),
    Case("env-not-table", H + '[env]\nkv_namespaces = [{ binding = "A" }]\n', ("worker.toml:5: env.kv_namespaces:",),
         ("move it above the [env] header",)),
    Case("env-unselected-typo", H + "[env.staging]\nrouets = []\n", ("worker.toml:5: env.staging.rouets:",),
         ("did you mean `routes`?",)),
    Case("env-keep-vars", H + "[env.staging]\nkeep_vars = true\n", ("worker.toml:5: env.staging.keep_vars:",), ("top level",)),
    Case("env-derived-name", H + "[env.Prod]\n", ("worker.toml:4: env.Prod:",), ('"app-prod"',), env="Prod"),
    Case("env-bad-route", H + '[env.staging]\nroutes = [{ pattern = "a.com/*", custom_domain = "yes" }]\n',
         ("worker.toml:5: env.staging.routes[0].custom_domain:",), (), env="staging"),
]


def test_malformed_case_count_is_at_least_forty() -> None:
    """The malformed corpus keeps at least 40 distinct cases."""
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_malformed_config_names_file_key_and_line(case: Case, load_error: Callable[..., ConfigError]) -> None:
    """Each malformed file raises one ConfigError that names the file, the key path and the line."""
    error = load_error(case.content, env=case.env, main=case.main)
    text = error_text(error)
    for where in case.where:
        assert where in text, text
    for fragment in case.says:
        assert fragment in text, text
    assert error.hint, "every problem says what to do"


def test_malformed_credentials_never_echo_the_value(load_error: Callable[..., ConfigError]) -> None:
    """A credential in the file is refused without its value appearing anywhere in the error."""
    error = load_error(H + 'api_key = "tok-SECRET-123"\n[vars]\nTOKEN = "tok-SECRET-456"\n')
    text = error_text(error)
    assert "api_key" in text and "vars.TOKEN" in text
    assert "SECRET" not in text


def test_malformed_several_problems_reported_together(load_error: Callable[..., ConfigError]) -> None:
    """Problems in different sections are all reported in one run, ordered by line."""
    error = load_error(
        'name = "Bad Name"\nmain = "src/index.js"\ncompatibility_date = "2024-13-01"\n'
        'routes = [{ pattern = 123 }]\n'
        '[triggers]\ncrons = ["61 * * * *"]\n'
        '[[kv_namespaces]]\nbinding = "KV"\nid = "nope"\n'
        '[build]\nminfy = true\n'
    )
    assert error.message == "worker.toml has 6 problems"
    expected = [
        "worker.toml:1: name:", "worker.toml:3: compatibility_date:", "worker.toml:4: routes[0].pattern:",
        "worker.toml:6: triggers.crons[0]:", "worker.toml:9: kv_namespaces[0].id:", "worker.toml:11: build.minfy:",
    ]
    assert [note.split(" ", 2)[0] + " " + note.split(" ", 2)[1] for note in error.notes] == expected
    assert "cfworker deploy --dry-run" in (error.hint or "")


def test_malformed_type_errors_echo_the_bad_value(load_error: Callable[..., ConfigError]) -> None:
    """Type errors quote the offending value briefly, long values cut short."""
    error = load_error(H + f'workers_dev = "{"x" * 80}"\n')
    assert 'expected true or false but got "xxxxxxxx' in error.message
    assert "..." in error.message and "x" * 60 not in error.message
