"""The bad-input corpus: every case exits with the documented code, says one clear thing,
shows no traceback and writes nothing to Cloudflare.

Exit codes: 1 failed with nothing written remotely, 2 usage or config error. Each case is
(id, files to write into a fresh project, CLI args, env changes, expected exit code, text
the error must contain). Remote cases run against the fake Cloudflare API.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild

GOOD_TOML = 'name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'
GOOD_JS = "export default { fetch() { return new Response('ok'); } };\n"
ACCT_OTHER = "fedcba9876543210fedcba9876543210"


@dataclass
class Case:
    id: str
    args: list[str]
    code: int
    says: str
    toml: str | bytes | None = GOOD_TOML
    files: dict[str, str | bytes] = field(default_factory=dict)
    env: dict[str, str | None] = field(default_factory=dict)
    setup: str | None = None  # name of a fake-state setup below


def toml(extra: str) -> str:
    return GOOD_TOML + extra


CASES = [
    # --- worker.toml: syntax, types, keys, values ------------------------------------------------
    Case("toml-syntax", ["deploy", "--dry-run"], 2, "worker.toml:2", toml="name = \"app\"\nmain = \n"),
    Case("toml-binary-garbage", ["deploy", "--dry-run"], 2, "worker.toml", toml=bytes(range(256)) * 4),
    Case("toml-latin1", ["build"], 2, "worker.toml", toml="name = \"caf\xe9\"\n".encode("latin-1")),
    Case("toml-empty", ["deploy", "--dry-run"], 2, "name", toml=""),
    Case("toml-wrong-type-name", ["deploy", "--dry-run"], 2, "name",
         toml='name = 123\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'),
    Case("toml-unknown-key", ["deploy", "--dry-run"], 2, "did you mean", toml=toml('compatability_flags = []\n')),
    Case("toml-bad-name-chars", ["deploy", "--dry-run"], 2, "not a valid Worker name",
         toml='name = "My App!"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'),
    Case("toml-name-too-long", ["deploy", "--dry-run"], 2, "not a valid Worker name",
         toml=f'name = "{"a" * 64}"\nmain = "src/index.js"\ncompatibility_date = "2025-06-01"\n'),
    Case("toml-bad-date", ["deploy", "--dry-run"], 2, "compatibility_date",
         toml='name = "app"\nmain = "src/index.js"\ncompatibility_date = "2025-13-45"\n'),
    Case("toml-future-date", ["deploy", "--dry-run"], 2, "compatibility_date",
         toml='name = "app"\nmain = "src/index.js"\ncompatibility_date = "2999-01-01"\n'),
    Case("toml-missing-main-file", ["deploy", "--dry-run"], 2, "main",
         toml='name = "app"\nmain = "src/nope.js"\ncompatibility_date = "2025-06-01"\n'),
    Case("toml-credentials", ["deploy", "--dry-run"], 2, "CLOUDFLARE_API_TOKEN", toml=toml('api_token = "abc123"\n')),
    Case("toml-bad-account-id", ["deploy", "--dry-run"], 2, "account_id", toml=toml('account_id = "me@example.com"\n')),
    Case("toml-bad-kv-id", ["deploy", "--dry-run"], 2, "kv_namespaces[0].id",
         toml=toml('[[kv_namespaces]]\nbinding = "C"\nid = "xyz"\n')),
    Case("toml-route-and-routes", ["deploy", "--dry-run"], 2, "route",
         toml=toml('route = "a.example.com/*"\nroutes = ["b.example.com/*"]\n')),
    Case("toml-custom-domain-path", ["deploy", "--dry-run"], 2, "custom_domain",
         toml=toml('routes = [{ pattern = "a.example.com/x", custom_domain = true }]\n')),
    Case("toml-bad-cron", ["deploy", "--dry-run"], 2, "crons[0]", toml=toml('[triggers]\ncrons = ["61 * * * *"]\n')),
    Case("toml-cron-fields", ["deploy", "--dry-run"], 2, "crons[0]", toml=toml('[triggers]\ncrons = ["* * *"]\n')),
    Case("toml-dup-binding", ["deploy", "--dry-run"], 2, "CACHE",
         toml=toml('[vars]\nCACHE = "x"\n[[kv_namespaces]]\nbinding = "CACHE"\n')),
    Case("toml-bad-dns", ["deploy", "--dry-run"], 2, "dns[0]",
         toml=toml('[[dns]]\ntype = "A"\nname = "www"\ncontent = "not-an-ip"\n')),
    Case("toml-bad-purge", ["deploy", "--dry-run"], 2, "purge",
         toml=toml('[purge]\neverything = true\nfiles = ["https://a.example.com/x"]\n')),
    Case("toml-v1-type", ["deploy", "--dry-run"], 2, "type", toml=toml('type = "webpack"\n')),
    Case("env-not-found", ["deploy", "--dry-run", "--env", "nope"], 2, "nope"),
    Case("config-is-directory", ["deploy", "--dry-run", "--config", "cfgdir"], 2, "cfgdir", files={"cfgdir/x": ""}),
    Case("config-missing", ["deploy", "--dry-run", "--config", "missing.toml"], 2, "missing.toml"),
    Case("no-config-anywhere", ["build"], 2, "worker.toml", toml=None),
    # --- the code: build errors are exit 1 ------------------------------------------------------------
    Case("js-syntax-error", ["build"], 1, "src/index.js:2:0", files={"src/index.js": "export default {\n"}),
    Case("node-import-without-flag", ["build"], 1, "nodejs_compat",
         files={"src/index.js": "import { Buffer } from 'node:buffer';\nexport default { fetch() { return new Response(Buffer.from('x')); } };\n"}),
    Case("missing-import", ["deploy", "--dry-run"], 1, "./missing.js",
         files={"src/index.js": "import x from './missing.js';\nexport default { fetch() { return new Response(x); } };\n"}),
    # --- flags ---------------------------------------------------------------------------------------
    Case("unknown-flag", ["deploy", "--nope"], 2, "--nope"),
    Case("unknown-command", ["deplyo"], 2, "deplyo"),
    Case("bad-account-flag", ["deploy", "--account-id", "12"], 2, "--account-id"),
    Case("kv-no-namespace", ["kv", "key", "list"], 2, "--namespace-id"),
    Case("kv-both-namespace", ["kv", "key", "list", "--namespace-id", "a" * 32, "--binding", "X"], 2, "exactly one"),
    Case("kv-bad-namespace-id", ["kv", "key", "list", "--namespace-id", "zz"], 2, "32 hexadecimal"),
    Case("kv-unknown-binding", ["kv", "key", "list", "--binding", "NOPE"], 2, "NOPE"),
    Case("kv-ttl-too-small", ["kv", "key", "put", "k", "v", "--ttl", "5", "--namespace-id", "a" * 32], 2, "--ttl"),
    Case("kv-bad-metadata", ["kv", "key", "put", "k", "v", "--metadata", "{x", "--namespace-id", "a" * 32], 2, "--metadata"),
    Case("kv-bulk-not-json", ["kv", "bulk", "put", "b.json", "--namespace-id", "a" * 32], 2, "b.json:1:",
         files={"b.json": "[{"}),
    Case("kv-bulk-not-array", ["kv", "bulk", "put", "b.json", "--namespace-id", "a" * 32], 2, "JSON array",
         files={"b.json": '{"key": "a"}'}),
    Case("kv-bulk-bad-ttl", ["kv", "bulk", "put", "b.json", "--namespace-id", "a" * 32], 2, "expiration_ttl",
         files={"b.json": '[{"key": "a", "value": "b", "expiration_ttl": 1}]'}),
    Case("kv-bulk-bad-base64", ["kv", "bulk", "put", "b.json", "--namespace-id", "a" * 32], 2, "base64",
         files={"b.json": '[{"key": "a", "value": "***", "base64": true}]'}),
    Case("kv-bulk-missing-file", ["kv", "bulk", "put", "nope.json", "--namespace-id", "a" * 32], 2, "nope.json"),
    Case("secret-bad-name", ["secret", "put", "1BAD"], 2, "not valid"),
    Case("secret-bulk-missing", ["secret", "bulk", "nope.json"], 2, "nope.json"),
    Case("secret-bulk-bad-json", ["secret", "bulk", "s.json"], 2, "s.json:1:", files={"s.json": "{nope"}),
    Case("secret-bulk-non-string", ["secret", "bulk", "s.json"], 2, "must be a string", files={"s.json": '{"A": 1}'}),
    Case("dns-bad-ip", ["dns", "set", "A", "www.example.com", "not-an-ip"], 2, "IPv4"),
    Case("dns-mx-no-priority", ["dns", "set", "MX", "example.com", "mail.example.com"], 2, "--priority"),
    Case("dns-unmanaged-type", ["dns", "set", "SRV", "a.example.com", "x"], 2, "SRV"),
    Case("dns-unknown-zone", ["dns", "set", "A", "www.nowhere.org", "192.0.2.1"], 2, "nowhere.org"),
    Case("purge-nothing", ["purge"], 2, "nothing to purge"),
    Case("purge-everything-unconfirmed", ["purge", "--everything", "--zone", "example.com"], 2, "--yes"),
    Case("purge-bad-url", ["purge", "--file", "not-a-url"], 2, "not a full URL"),
    Case("zones-bad-flag", ["zones", "list", "--bogus"], 2, "--bogus"),
    Case("init-bad-name", ["init", "newp", "--name", "Bad_Name!", "--template", "hello"], 2, "not a valid Worker name"),
    Case("init-not-empty", ["init", ".", "--template", "hello"], 2, "not empty"),
    Case("init-no-template", ["init", "x", "--template", "nope"], 2, "nope"),
    Case("init-from-missing", ["init", "--from-wrangler", "nope.toml"], 2, "nope.toml"),
    Case("init-from-v1", ["init", "conv", "--from-wrangler", "wrangler.toml"], 2, "type", toml=None,
         files={"wrangler.toml": 'name = "old"\ntype = "webpack"\naccount_id = ""\n'}),
    Case("watch-dry-run", ["watch", "--dry-run"], 2, "--dry-run"),
    Case("dev-bad-port", ["dev", "--port", "99999"], 2, "--port"),
    # --- credentials and environment -----------------------------------------------------------------
    Case("token-empty", ["whoami"], 2, "empty", env={"CLOUDFLARE_API_TOKEN": ""}),
    Case("token-trailing-newline", ["whoami"], 2, "whitespace", env={"CLOUDFLARE_API_TOKEN": "abcdef123456\n"}),
    Case("token-ellipsis", ["whoami"], 2, "U+2026", env={"CLOUDFLARE_API_TOKEN": "abcdef…"}),
    Case("token-inner-space", ["deploy"], 2, "space", env={"CLOUDFLARE_API_TOKEN": "abc def"}),
    Case("key-without-email", ["whoami"], 2, "CLOUDFLARE_EMAIL",
         env={"CLOUDFLARE_API_TOKEN": None, "CLOUDFLARE_API_KEY": "k" * 37}),
    Case("email-not-email", ["whoami"], 2, "CLOUDFLARE_EMAIL",
         env={"CLOUDFLARE_API_TOKEN": None, "CLOUDFLARE_API_KEY": "k" * 37, "CLOUDFLARE_EMAIL": "nobody"}),
    Case("no-credentials-deploy", ["deploy"], 2, "CLOUDFLARE_API_TOKEN", env={"CLOUDFLARE_API_TOKEN": None}),
    Case("account-env-email", ["deploy"], 2, "CLOUDFLARE_ACCOUNT_ID", env={"CLOUDFLARE_ACCOUNT_ID": "me@example.com"}),
    Case("base-url-not-url", ["whoami"], 2, "CLOUDFLARE_API_BASE_URL", env={"CLOUDFLARE_API_BASE_URL": "localhost:1"}),
    Case("rate-limit-bad", ["whoami"], 2, "CFWORKER_RATE_LIMIT", env={"CFWORKER_RATE_LIMIT": "lots"}),
    # --- refused by Cloudflare or by the plan: exit 1, nothing written -----------------------------------
    Case("token-unknown", ["deploy"], 1, "CLOUDFLARE_API_TOKEN", env={"CLOUDFLARE_API_TOKEN": "unknown-token-123456"}),
    Case("token-no-permission", ["deploy"], 1, "Workers Scripts", setup="weak_token"),
    Case("account-not-mine", ["deploy"], 1, "account", env={"CLOUDFLARE_ACCOUNT_ID": ACCT_OTHER}),
    Case("route-zone-missing", ["deploy"], 1, "no zone", toml=toml('routes = ["api.nowhere.org/*"]\n')),
    Case("route-owned-elsewhere", ["deploy"], 1, "someone-else", toml=toml('routes = ["api.example.com/*"]\n'),
         setup="foreign_route"),
    Case("secret-required-missing", ["deploy"], 1, "API_KEY", toml=toml('secrets = ["API_KEY"]\n')),
    Case("secret-delete-missing", ["secret", "delete", "NOPE", "--yes"], 2, "NOPE", setup="worker_exists"),
    Case("kv-get-missing", ["kv", "key", "get", "nope", "--namespace-id", "NS"], 2, "does not exist", setup="namespace"),
]


def test_corpus_has_at_least_fifty_cases() -> None:
    """The issue asks for at least 50 bad inputs across commands."""
    assert len(CASES) >= 50
    assert len({c.id for c in CASES}) == len(CASES)


def _setup(name: str | None, fake_cf, env: dict[str, str], case: Case) -> None:
    if name == "weak_token":
        env["CLOUDFLARE_API_TOKEN"] = fake_cf.add_token(permissions={"zone:read"})
    elif name == "foreign_route":
        fake_cf.add_route(fake_cf.zone_id, "api.example.com/*", "someone-else")
    elif name == "worker_exists":
        fake_cf.add_script("app")
    elif name == "namespace":
        ns = fake_cf.add_kv_namespace("bad-input-ns")
        case.args = [ns if a == "NS" else a for a in case.args]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_bad_input(case: Case, tmp_path: Path, fake_cf, esbuild_cache: Path) -> None:
    """One clear error line, the documented exit code, no traceback, no remote write."""
    fake_cf.set_workers_subdomain("acme")
    fake_cf.zone_id = fake_cf.add_zone("example.com")
    project = tmp_path / "project"
    (project / "src").mkdir(parents=True)
    (project / "src" / "index.js").write_text(GOOD_JS)
    if case.toml is not None:
        data = case.toml.encode() if isinstance(case.toml, str) else case.toml
        (project / "worker.toml").write_bytes(data)
    for rel, content in case.files.items():
        path = project / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content.encode() if isinstance(content, str) else content)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    _setup(case.setup, fake_cf, env, case)
    for key, value in case.env.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    writes_before = len(fake_cf.writes())
    result = run_cli(case.args, env=env, cwd=project, input="")
    assert result.code == case.code, result
    assert "Traceback" not in result.output, result
    error_lines = [line for line in result.err.splitlines() if line.startswith(("error:", "Error:"))]
    assert len(error_lines) == 1, result
    assert case.says in result.output, result
    assert len(fake_cf.writes()) == writes_before, [(w.method, w.path) for w in fake_cf.writes()]
    for secret in ("abcdef123456", "abc def", "k" * 37):
        assert secret not in result.output


def test_over_limit_bundle_is_refused_before_upload(tmp_path: Path, fake_cf, esbuild_cache: Path) -> None:
    """A bundle over the 10 MiB compressed limit fails the build (exit 1) and nothing is uploaded."""
    import os

    project = tmp_path / "big"
    (project / "src").mkdir(parents=True)
    # Hex of random bytes compresses to about half: 2 x 12 MiB of hex is ~12 MiB gzipped.
    (project / "src" / "data.js").write_text(f"export default {json.dumps(os.urandom(6 * 1024 * 1024).hex())};\n")
    (project / "src" / "more.js").write_text(f"export default {json.dumps(os.urandom(6 * 1024 * 1024).hex())};\n")
    (project / "src" / "index.js").write_text(
        "import a from './data.js'; import b from './more.js';\n"
        "export default { fetch() { return new Response(a.length + b.length); } };\n")
    (project / "worker.toml").write_text(GOOD_TOML)
    env = {**fake_cf.env, "CFWORKER_CACHE_DIR": str(esbuild_cache)}
    result = run_cli(["deploy"], env=env, cwd=project)
    assert result.code == 1, result
    assert "10 MiB" in result.err and "Traceback" not in result.output
    assert fake_cf.writes() == []


@pytest.mark.parametrize("command", [["deploy"], ["secret", "bulk"], ["kv", "bulk", "put"], ["dns", "set"], ["purge"]])
def test_help_ends_with_examples(command: list[str]) -> None:
    """The commands people look up before typing end their --help with EXAMPLES (issue 17)."""
    import subprocess
    import sys

    r = subprocess.run([sys.executable, "-m", "cfworker", *command, "--help"], capture_output=True, text=True,
                       timeout=60, env={"PATH": "/usr/bin:/bin", "COLUMNS": "120"})
    assert r.returncode == 0, r.stderr
    tail = r.stdout.rstrip().split("\n\n")[-1]
    assert tail.lstrip().startswith("EXAMPLES") and f"cfworker {' '.join(command)}" in tail
