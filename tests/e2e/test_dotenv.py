"""Credentials from .env files, as wrangler reads them (issue 17; wrangler config/dot-env.ts)."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.cli import run_cli


def write_env(path: Path, values: dict[str, str]) -> None:
    path.write_text("".join(f'{k}="{v}"\n' for k, v in values.items()))


def test_dot_env_in_the_current_folder_provides_the_credentials(tmp_path: Path, fake_cf) -> None:
    write_env(tmp_path / ".env", fake_cf.env)
    r = run_cli(["whoami", "--json", "--debug"], env={}, cwd=tmp_path)
    assert r.code == 0, r
    assert fake_cf.env["CLOUDFLARE_API_TOKEN"] not in r.out + r.err  # never shown, --debug included


def test_the_real_environment_wins_over_the_file(tmp_path: Path, fake_cf) -> None:
    write_env(tmp_path / ".env", {**fake_cf.env, "CLOUDFLARE_API_TOKEN": "bogus-token-from-file"})
    assert run_cli(["whoami"], env=fake_cf.env, cwd=tmp_path).code == 0
    assert run_cli(["whoami"], env={}, cwd=tmp_path).code != 0  # the file's own token is refused by the fake


def test_env_file_flag_and_env_specific_files(tmp_path: Path, fake_cf) -> None:
    write_env(tmp_path / "ci.env", fake_cf.env)
    assert run_cli(["whoami", "--env-file", "ci.env"], env={}, cwd=tmp_path).code == 0
    write_env(tmp_path / ".env.staging", fake_cf.env)
    (tmp_path / "worker.toml").write_text('name = "a"\nmain = "i.js"\ncompatibility_date = "2025-01-01"\n'
                                          "[env.staging]\n")
    (tmp_path / "i.js").write_text("export default {}\n")
    staging = run_cli(["secret", "list", "--env", "staging"], env={}, cwd=tmp_path)
    assert "worker 'a-staging' does not exist" in staging.err  # it got as far as asking Cloudflare
    top = run_cli(["secret", "list"], env={}, cwd=tmp_path)
    assert "no Cloudflare credentials" in top.err  # .env.staging is read only with --env staging


def test_a_missing_env_file_named_on_the_command_line_is_a_usage_error(tmp_path: Path) -> None:
    r = run_cli(["whoami", "--env-file", "nope.env"], env={}, cwd=tmp_path)
    assert r.code == 2 and "--env-file" in r.err and "nope.env" in r.err
