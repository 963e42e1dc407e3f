"""settings.resolve_settings: precedence, sources and local checks (pure, no I/O)."""

from __future__ import annotations

import pytest

from cfworker.errors import CredentialsError, UserError
from cfworker.redact import REDACTOR
from cfworker.settings import DEFAULT_API_BASE_URL, resolve_settings

ACCT = "0123456789abcdef0123456789abcdef"
OTHER = "fedcba9876543210fedcba9876543210"


def test_token_from_env_with_source() -> None:
    """CLOUDFLARE_API_TOKEN gives bearer credentials whose source names the variable."""
    s = resolve_settings({"CLOUDFLARE_API_TOKEN": "tok-123456"})
    assert s.credentials is not None
    assert (s.credentials.kind, s.credentials.source) == ("token", "env CLOUDFLARE_API_TOKEN")
    assert s.credentials.headers() == {"Authorization": "Bearer tok-123456"}
    assert "tok-123456" not in s.credentials.describe() and "10 characters" in s.credentials.describe()


def test_global_key_beats_token_like_wrangler_and_warns() -> None:
    """With both set, the global key wins (wrangler's order) and a warning says so."""
    s = resolve_settings({"CLOUDFLARE_API_TOKEN": "tok-123456", "CLOUDFLARE_API_KEY": "key-123456",
                          "CLOUDFLARE_EMAIL": "me@example.com"})
    assert s.credentials is not None and s.credentials.kind == "global_key"
    assert s.credentials.headers() == {"X-Auth-Key": "key-123456", "X-Auth-Email": "me@example.com"}
    assert any("using the global key" in w for w in s.warnings)


def test_key_without_email_is_an_error_naming_both_vars() -> None:
    """CLOUDFLARE_API_KEY alone is refused with a hint to add CLOUDFLARE_EMAIL."""
    with pytest.raises(CredentialsError) as info:
        resolve_settings({"CLOUDFLARE_API_KEY": "key-123456"})
    assert "CLOUDFLARE_API_KEY" in info.value.message and "CLOUDFLARE_EMAIL" in info.value.message


def test_no_credentials_names_env_vars_exit_2() -> None:
    """Missing credentials is a usage error (exit 2) whose hint names the variables to set."""
    with pytest.raises(CredentialsError) as info:
        resolve_settings({})
    assert info.value.exit_code == 2
    assert "CLOUDFLARE_API_TOKEN" in (info.value.hint or "") and "CLOUDFLARE_EMAIL" in (info.value.hint or "")


def test_no_credentials_allowed_when_not_required() -> None:
    """Commands that can work offline (deploy --dry-run) get settings without credentials."""
    s = resolve_settings({}, require_credentials=False)
    assert s.credentials is None


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("", "set but empty"),
        ("   ", "set but empty"),
        ("tok-123456\n", "leading or trailing whitespace"),
        (" tok-123456", "leading or trailing whitespace"),
        ("tok-12…", "U+2026"),
        ("tok 123456", "a space"),
    ],
)
def test_malformed_token_is_refused_without_echoing_it(value: str, fragment: str) -> None:
    """Empty, padded or non-ASCII tokens fail locally with a message that never contains the token."""
    with pytest.raises(CredentialsError) as info:
        resolve_settings({"CLOUDFLARE_API_TOKEN": value})
    text = info.value.message + (info.value.hint or "")
    assert fragment in text and "CLOUDFLARE_API_TOKEN" in text
    if value.strip():
        assert value.strip() not in text


def test_tokens_are_registered_for_redaction() -> None:
    """Resolved secrets are masked by the redactor from then on."""
    resolve_settings({"CLOUDFLARE_API_TOKEN": "secret-abcdef"})
    assert REDACTOR.redact("x secret-abcdef y") == "x <redacted> y"


def test_account_precedence_flag_env_file() -> None:
    """--account-id beats CLOUDFLARE_ACCOUNT_ID, which beats worker.toml; each keeps its source."""
    env = {"CLOUDFLARE_API_TOKEN": "tok-123456", "CLOUDFLARE_ACCOUNT_ID": OTHER}
    s = resolve_settings(env, account_id_flag=ACCT, project_account_id=OTHER)
    assert s.account_id is not None and (s.account_id.value, s.account_id.source) == (ACCT, "--account-id")
    s = resolve_settings(env, project_account_id=ACCT)
    assert s.account_id is not None and s.account_id.value == OTHER
    assert any("differs" in w for w in s.warnings)
    s = resolve_settings({"CLOUDFLARE_API_TOKEN": "tok-123456"}, project_account_id=ACCT)
    assert s.account_id is not None and s.account_id.source.startswith("account_id in")


@pytest.mark.parametrize(("bad", "fragment"), [("me@example.com", "email"), ("example.com", "domain"), ("1234", "32 hexadecimal")])
def test_bad_account_id_names_its_source(bad: str, fragment: str) -> None:
    """A malformed account id fails locally, naming where it came from and what an id looks like."""
    with pytest.raises(UserError) as info:
        resolve_settings({"CLOUDFLARE_API_TOKEN": "tok-123456", "CLOUDFLARE_ACCOUNT_ID": bad})
    assert "CLOUDFLARE_ACCOUNT_ID" in info.value.message and fragment in (info.value.hint or "")


def test_legacy_cf_variables_work_with_a_warning() -> None:
    """CF_API_TOKEN (wrangler's old name) is accepted, with a rename warning."""
    s = resolve_settings({"CF_API_TOKEN": "tok-123456"})
    assert s.credentials is not None and s.credentials.source == "env CF_API_TOKEN"
    assert any("CF_API_TOKEN is deprecated" in w for w in s.warnings)


def test_api_base_url_default_and_override() -> None:
    """The API root defaults to Cloudflare's and follows CLOUDFLARE_API_BASE_URL without a trailing slash."""
    assert resolve_settings({}, require_credentials=False).api_base_url.value == DEFAULT_API_BASE_URL
    s = resolve_settings({"CLOUDFLARE_API_BASE_URL": "http://127.0.0.1:9/client/v4/"}, require_credentials=False)
    assert (s.api_base_url.value, s.api_base_url.source) == ("http://127.0.0.1:9/client/v4", "env CLOUDFLARE_API_BASE_URL")
    with pytest.raises(UserError):
        resolve_settings({"CLOUDFLARE_API_BASE_URL": "ftp://x"}, require_credentials=False)


def test_rate_limit_default_and_override() -> None:
    """The request budget defaults to Cloudflare's 1200/300 s and can be lowered with CFWORKER_RATE_LIMIT."""
    assert resolve_settings({}, require_credentials=False).rate_limit == (1200, 300.0)
    assert resolve_settings({"CFWORKER_RATE_LIMIT": "20/2"}, require_credentials=False).rate_limit == (20, 2.0)
    for bad in ("fast", "0/10", "10/0", "10"):
        with pytest.raises(UserError) as info:
            resolve_settings({"CFWORKER_RATE_LIMIT": bad}, require_credentials=False)
        assert "CFWORKER_RATE_LIMIT" in info.value.message
