"""The deploy flags wrangler users type (issue 17): --var, --name, --compatibility-date/-flag,
--minify, --keep-vars, --message, --tag; a bad value is a usage error naming the flag, before any write."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.e2e.cli import run_cli

pytestmark = pytest.mark.needs_esbuild

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    dest = tmp_path / "kv-cache"
    shutil.copytree(EXAMPLES / "kv-cache", dest, ignore=shutil.ignore_patterns("dist"))
    return dest



def test_flags_override_the_config_for_this_deploy(project: Path, env, fake_cf) -> None:
    r = run_cli(["deploy", "--no-check", "--yes", "--name", "kv-flags", "--var", "MODE:canary", "--var", "URL:http://x:1",
                 "--compatibility-date", "2025-05-01", "--compatibility-flag", "nodejs_compat", "--minify",
                 "--message", "release 42", "--tag", "v42", "--keep-vars"], env=env, cwd=project)
    assert r.code == 0, r
    script = fake_cf.scripts["kv-flags"]
    bindings = {b["name"]: b for b in script.metadata["bindings"]}
    assert bindings["MODE"] == {"type": "plain_text", "name": "MODE", "text": "canary"}
    assert bindings["URL"]["text"] == "http://x:1"  # split at the first colon
    assert script.metadata["compatibility_date"] == "2025-05-01"
    assert script.metadata["compatibility_flags"] == ["nodejs_compat"]
    assert b"\n  " not in script.modules["index.js"].content  # minified
    assert "plain_text" in script.metadata["keep_bindings"]  # --keep-vars
    live = script.deployments[-1]
    assert live.annotations["workers/message"].startswith("release 42 cfw:")
    assert (project / "worker.toml").read_text().count("kv-flags") == 0  # the config file is not changed


def test_message_and_tag_annotate_a_new_version(project: Path, env, fake_cf) -> None:
    assert run_cli(["deploy", "--no-check"], env=env, cwd=project).code == 0
    r = run_cli(["deploy", "--no-check", "--var", "MODE:two", "--message", "second", "--tag", "t2"], env=env,
                cwd=project)
    assert r.code == 0, r
    version = fake_cf.scripts["kv-cache"].versions[-1]
    assert version.annotations == {"workers/message": "second", "workers/tag": "t2"}


def test_an_unchanged_tree_is_not_uploaded_for_a_new_message(project: Path, env, fake_cf) -> None:
    assert run_cli(["deploy", "--no-check"], env=env, cwd=project).code == 0
    before = len(fake_cf.writes())
    r = run_cli(["deploy", "--no-check", "--message", "nothing new"], env=env, cwd=project)
    assert r.code == 0, r
    assert len(fake_cf.writes()) == before and "--message/--tag apply to the next upload" in r.out


@pytest.mark.parametrize(("args", "says"), [
    (["--var", "NOCOLON"], "--var 'NOCOLON' is not KEY:VALUE"),
    (["--compatibility-date", "2025-13-01"], "--compatibility-date:"),
    (["--compatibility-date", "2999-01-01"], "is in the future"),
    (["--name", "Bad Name"], "--name:"),
    (["--message", "x" * 51], "--message takes 1 to 50 characters"),
    (["--tag", "t" * 21], "--tag takes 1 to 20 characters"),
])
def test_a_bad_flag_value_is_a_usage_error_before_any_write(project: Path, env, fake_cf, args: list[str],
                                                            says: str) -> None:
    r = run_cli(["deploy", "--no-check", *args], env=env, cwd=project)
    assert r.code == 2, r
    assert says in r.err and fake_cf.writes() == []


def test_secrets_file_uploads_secret_bindings_never_showing_values(project: Path, env, fake_cf) -> None:
    """--secrets-file (JSON or .env) sends secret_text bindings with the version; the values appear in no
    output, not in the content hash either, and an unchanged tree with a secrets file is uploaded anyway."""
    (project / "prod.env").write_text('API_KEY="k-3f9a-very-secret"\nDB_PASS=hunter2-but-longer\n')
    r = run_cli(["deploy", "--no-check", "--secrets-file", "prod.env", "--json"], env=env, cwd=project)
    assert r.code == 0, r
    script = fake_cf.scripts["kv-cache"]
    assert {"API_KEY", "DB_PASS"} <= set(script.secrets)
    assert "k-3f9a-very-secret" not in r.out + r.err and "hunter2-but-longer" not in r.out + r.err
    again = run_cli(["deploy", "--no-check", "--secrets-file", "prod.env"], env=env, cwd=project)
    assert again.code == 0, again
    assert "secret(s) of --secrets-file" in again.out and "k-3f9a" not in again.out + again.err
