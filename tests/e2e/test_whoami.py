"""`cfworker whoami` against the fake Cloudflare API."""

from __future__ import annotations

import json

from tests.e2e.cli import run_cli, run_subprocess


def test_valid_token_prints_account(fake_cf) -> None:
    """A valid token is verified and the account it sees is listed and chosen."""
    r = run_cli(["whoami"], env=fake_cf.env)
    assert r.code == 0, r
    assert "Authenticated with the API token from env CLOUDFLARE_API_TOKEN (status: active)" in r.out
    assert fake_cf.account_id in r.out


def test_json_output_parses(fake_cf) -> None:
    """--json prints one document with auth, accounts and the account in use."""
    r = run_cli(["whoami", "--json"], env=fake_cf.env)
    assert r.code == 0, r
    doc = json.loads(r.out)
    assert doc["auth"]["kind"] == "token" and doc["auth"]["status"] == "active"
    assert fake_cf.account_id in [a["id"] for a in doc["accounts"]]
    assert doc["account_id"]["value"] == fake_cf.account_id


def test_only_account_is_used_when_none_configured(fake_cf) -> None:
    """Without CLOUDFLARE_ACCOUNT_ID the only visible account is the one in use."""
    env = {k: v for k, v in fake_cf.env.items() if k != "CLOUDFLARE_ACCOUNT_ID"}
    doc = json.loads(run_cli(["whoami", "--json"], env=env).out)
    assert doc["account_id"] == {"value": fake_cf.account_id, "source": "the only account these credentials see"}


def test_bad_token_exits_1_naming_env_var_and_permission(fake_cf) -> None:
    """An unknown token fails with exit 1, naming CLOUDFLARE_API_TOKEN and the permission hint."""
    r = run_cli(["whoami"], env={**fake_cf.env, "CLOUDFLARE_API_TOKEN": "not-a-real-token-123"})
    assert r.code == 1, r
    assert "CLOUDFLARE_API_TOKEN" in r.err and "needs" in r.err
    assert "Traceback" not in r.output


def test_token_without_account_permission_still_verifies(fake_cf) -> None:
    """A token that cannot list accounts is verified, with a warning naming the missing permission."""
    token = fake_cf.add_token(permissions={"workers_scripts:write"})
    r = run_cli(["whoami"], env={**fake_cf.env, "CLOUDFLARE_API_TOKEN": token})
    assert r.code == 0, r
    assert "could not list accounts" in r.err and "Account Settings: Read" in r.output


def test_global_key_auth(fake_cf) -> None:
    """CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL authenticate through /user."""
    env = {"CLOUDFLARE_API_KEY": fake_cf.global_key, "CLOUDFLARE_EMAIL": fake_cf.email,
           "CLOUDFLARE_API_BASE_URL": fake_cf.base_url}
    r = run_cli(["whoami"], env=env)
    assert r.code == 0, r
    assert f"global API key of {fake_cf.email}" in r.out


def test_no_credentials_exits_2_naming_env_vars(fake_cf) -> None:
    """No credentials is a usage error naming the variables to set; no request is made."""
    r = run_cli(["whoami"], env={"CLOUDFLARE_API_BASE_URL": fake_cf.base_url})
    assert r.code == 2, r
    assert "CLOUDFLARE_API_TOKEN" in r.err and "CLOUDFLARE_API_KEY" in r.err
    assert fake_cf.requests == []


def test_canary_token_never_printed_even_with_debug(fake_cf) -> None:
    """With --debug, on success and failure, the token appears nowhere in the output."""
    good = run_cli(["whoami", "--debug"], env=fake_cf.env)
    assert good.code == 0, good
    assert "GET /user/tokens/verify -> 200" in good.err
    canary = "canary-Zq8xW3vT5yU1-bad"
    bad = run_cli(["--debug", "whoami"], env={**fake_cf.env, "CLOUDFLARE_API_TOKEN": canary})
    assert bad.code == 1, bad
    for result in (good, bad):
        assert fake_cf.token not in result.output and canary not in result.output


def test_subprocess_whoami(fake_cf) -> None:
    """The installed entry point works end to end against the fake over HTTP."""
    r = run_subprocess(["whoami"], env=fake_cf.env)
    assert r.code == 0, r
    assert fake_cf.account_id in r.out


def test_account_owned_token_is_reported_as_such(fake_cf) -> None:
    """/user/tokens/verify answers 1000 for an account-owned token: whoami verifies it on the account instead."""
    token = fake_cf.add_token(owner="account", accounts=[fake_cf.account_id])
    for env in ({**fake_cf.env, "CLOUDFLARE_API_TOKEN": token},
                {k: v for k, v in {**fake_cf.env, "CLOUDFLARE_API_TOKEN": token}.items() if k != "CLOUDFLARE_ACCOUNT_ID"}):
        r = run_cli(["whoami", "--json"], env=env)
        assert r.code == 0, r
        auth = json.loads(r.out)["auth"]
        assert auth["owner"] == "account" and auth["account_id"] == fake_cf.account_id and auth["status"] == "active"
    human = run_cli(["whoami"], env={**fake_cf.env, "CLOUDFLARE_API_TOKEN": token})
    assert f"account-owned API token (account {fake_cf.account_id})" in human.out
    assert fake_cf.count("GET", f"/accounts/{fake_cf.account_id}/tokens/verify") >= 3
