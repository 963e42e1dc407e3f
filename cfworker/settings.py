"""Resolve credentials, account id and API root, remembering where each came from (pure).

Precedence, first hit wins:
  credentials  CLOUDFLARE_API_KEY + CLOUDFLARE_EMAIL (global key), else CLOUDFLARE_API_TOKEN
               (wrangler's order; a warning says which one is used when both are set)
  account id   --account-id flag > CLOUDFLARE_ACCOUNT_ID > worker.toml account_id > the only
               account the credentials can see (looked up later by `resolve_account_id`)
  API root     CLOUDFLARE_API_BASE_URL > https://api.cloudflare.com/client/v4
The legacy CF_* spellings wrangler still reads are accepted with a warning. Values are
checked locally (printable ASCII, 32-hex ids) so a pasted ellipsis or an email used as an
account id fails here with a hint, not as an obscure API error. Secret values are
registered with the redactor and never appear in a source description or message.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from cfworker.errors import CredentialsError, UserError
from cfworker.redact import REDACTOR

log = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.cloudflare.com/client/v4"
# Cloudflare's global limit: 1200 requests per 5 minutes per user.
DEFAULT_RATE_LIMIT = (1200, 300.0)
RATE_LIMIT_VAR = "CFWORKER_RATE_LIMIT"
# The deadline of one API call, all its retries included (a large upload gets more).
DEFAULT_REQUEST_TIMEOUT = 60.0
REQUEST_TIMEOUT_VAR = "CFWORKER_REQUEST_TIMEOUT"
_HEX32 = re.compile(r"^[0-9a-f]{32}$")

# (current name, legacy alias wrangler still accepts)
TOKEN_VARS = ("CLOUDFLARE_API_TOKEN", "CF_API_TOKEN")
KEY_VARS = ("CLOUDFLARE_API_KEY", "CF_API_KEY")
EMAIL_VARS = ("CLOUDFLARE_EMAIL", "CF_EMAIL")
ACCOUNT_VARS = ("CLOUDFLARE_ACCOUNT_ID", "CF_ACCOUNT_ID")
BASE_URL_VARS = ("CLOUDFLARE_API_BASE_URL", "CF_API_BASE_URL")

MISSING_CREDENTIALS_HINT = (
    "set CLOUDFLARE_API_TOKEN to an API token (dash.cloudflare.com/profile/api-tokens), "
    "or CLOUDFLARE_API_KEY and CLOUDFLARE_EMAIL for a global API key"
)


@dataclass(frozen=True, slots=True)
class Sourced:
    """A resolved setting and a description of where it came from (never the secret itself)."""

    value: str
    source: str


@dataclass(frozen=True, slots=True)
class Credentials:
    """How to authenticate: a bearer token, or a global API key with its account email."""

    kind: Literal["token", "global_key"]
    secret: str = field(repr=False)
    email: str | None = None
    source: str = ""

    def headers(self) -> dict[str, str]:
        """The auth headers for this credential."""
        if self.kind == "token":
            return {"Authorization": f"Bearer {self.secret}"}
        assert self.email is not None
        return {"X-Auth-Key": self.secret, "X-Auth-Email": self.email}

    def describe(self) -> str:
        """A safe, human description: kind, source and length only."""
        what = "API token" if self.kind == "token" else f"global API key for {self.email}"
        return f"{what} from {self.source} (<{len(self.secret)} characters>)"


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a command needs to talk to Cloudflare, each value with its source."""

    credentials: Credentials | None
    account_id: Sourced | None
    api_base_url: Sourced
    warnings: tuple[str, ...] = ()
    rate_limit: tuple[int, float] = DEFAULT_RATE_LIMIT  # requests per window (seconds)
    request_timeout: float = DEFAULT_REQUEST_TIMEOUT  # seconds one API call may take, retries included

    def log_sources(self) -> None:
        """Log (for --debug) where each value came from, never the secret itself."""
        if self.credentials:
            log.debug("credentials: %s", self.credentials.describe())
        else:
            log.debug("credentials: none")
        if self.account_id:
            log.debug("account id %s from %s", self.account_id.value, self.account_id.source)
        log.debug("API base URL %s from %s", self.api_base_url.value, self.api_base_url.source)

    def require_credentials(self) -> Credentials:
        """The credentials, or a CredentialsError naming the variables to set."""
        if self.credentials is None:
            raise CredentialsError("no Cloudflare credentials found", hint=MISSING_CREDENTIALS_HINT)
        return self.credentials


def _first_env(environ: Mapping[str, str], names: tuple[str, str], warnings: list[str]) -> Sourced | None:
    current, legacy = names
    if current in environ:
        return Sourced(environ[current], f"env {current}")
    if legacy in environ:
        warnings.append(f"{legacy} is deprecated; rename it to {current}")
        return Sourced(environ[legacy], f"env {legacy}")
    return None


def check_secret_text(value: str, source: str) -> None:
    """Refuse an empty token/key, surrounding whitespace, or characters HTTP headers cannot carry."""
    name = source.removeprefix("env ")
    if not value.strip():
        raise CredentialsError(f"{name} is set but empty", hint=MISSING_CREDENTIALS_HINT)
    if value != value.strip():
        raise CredentialsError(
            f"{name} has leading or trailing whitespace (a pasted newline or space?)",
            hint=f"remove the whitespace around the value of {name}",
        )
    bad = [c for c in value if not (0x21 <= ord(c) <= 0x7E)]
    if bad:
        desc = "a space" if bad[0] == " " else f"the character U+{ord(bad[0]):04X}"
        raise CredentialsError(
            f"{name} contains {desc}, which cannot be part of a Cloudflare credential "
            "(copied from a page that shortened it with an ellipsis?)",
            hint=f"copy the full value again into {name}",
        )


def check_account_id(value: str, source: str) -> str:
    """Return a valid 32-hex account id, or raise a UserError that names where it came from."""
    candidate = value.strip()
    if not _HEX32.match(candidate):
        shown = candidate if len(candidate) <= 64 else candidate[:61] + "..."
        hint = "an account id is 32 hexadecimal characters; copy it from the dashboard's Workers overview"
        if "@" in candidate:
            hint = "that looks like an email address; " + hint
        elif "." in candidate:
            hint = "that looks like a domain name; " + hint
        raise UserError(f"account id {shown!r} from {source} is not valid", hint=hint)
    return candidate


def _resolve_credentials(environ: Mapping[str, str], warnings: list[str]) -> Credentials | None:
    key = _first_env(environ, KEY_VARS, warnings)
    email = _first_env(environ, EMAIL_VARS, warnings)
    token = _first_env(environ, TOKEN_VARS, warnings)
    if key is not None and email is None:
        raise CredentialsError(
            f"{key.source.removeprefix('env ')} is set but CLOUDFLARE_EMAIL is not",
            hint="a global API key needs the account email in CLOUDFLARE_EMAIL; "
            "or unset it and use CLOUDFLARE_API_TOKEN",
        )
    if key is not None and email is not None:
        REDACTOR.add(key.value)
        check_secret_text(key.value, key.source)
        if not email.value.strip() or "@" not in email.value:
            raise CredentialsError(
                f"{email.source} is not an email address", hint="set it to the email of the Cloudflare account"
            )
        if token is not None:
            REDACTOR.add(token.value)
            warnings.append(
                f"both a global API key and {token.source.removeprefix('env ')} are set; "
                "using the global key (wrangler's order); unset one to silence this"
            )
        return Credentials("global_key", key.value, email=email.value.strip(), source=key.source)
    if token is not None:
        REDACTOR.add(token.value)
        check_secret_text(token.value, token.source)
        return Credentials("token", token.value, source=token.source)
    return None


def _resolve_base_url(environ: Mapping[str, str], warnings: list[str]) -> Sourced:
    found = _first_env(environ, BASE_URL_VARS, warnings)
    if found is None:
        return Sourced(DEFAULT_API_BASE_URL, "default")
    url = found.value.strip().rstrip("/")
    if not re.match(r"^https?://[^\s/]+", url):
        raise UserError(
            f"{found.source} is not an http(s) URL: {found.value!r}",
            hint="unset it to use https://api.cloudflare.com/client/v4",
        )
    return Sourced(url, found.source)


def resolve_settings(
    environ: Mapping[str, str],
    *,
    account_id_flag: str | None = None,
    project_account_id: str | None = None,
    project_path: Path | None = None,
    require_credentials: bool = True,
) -> Settings:
    """Resolve settings from flags, environment and worker.toml (see the module docstring)."""
    warnings: list[str] = []
    credentials = _resolve_credentials(environ, warnings)
    if credentials is None and require_credentials:
        raise CredentialsError("no Cloudflare credentials found", hint=MISSING_CREDENTIALS_HINT)

    account: Sourced | None = None
    env_account = _first_env(environ, ACCOUNT_VARS, warnings)
    if account_id_flag is not None:
        account = Sourced(account_id_flag, "--account-id")
    elif env_account is not None and env_account.value.strip():
        account = env_account
    elif project_account_id:
        where = f"account_id in {project_path}" if project_path else "account_id in worker.toml"
        account = Sourced(project_account_id, where)
    if account is not None:
        account = Sourced(check_account_id(account.value, account.source), account.source)
        if env_account is not None and project_account_id and account.source == env_account.source:
            if project_account_id.strip() != account.value:
                warnings.append(
                    f"account_id in worker.toml differs from {env_account.source.removeprefix('env ')}; "
                    "using the environment variable"
                )

    return Settings(
        credentials=credentials,
        account_id=account,
        api_base_url=_resolve_base_url(environ, warnings),
        warnings=tuple(warnings),
        rate_limit=parse_rate_limit(environ.get(RATE_LIMIT_VAR)),
        request_timeout=parse_request_timeout(environ.get(REQUEST_TIMEOUT_VAR)),
    )


def parse_request_timeout(value: str | None) -> float:
    """CFWORKER_REQUEST_TIMEOUT in seconds (default 60): how long one API call may take, retries included."""
    if value is None or not value.strip():
        return DEFAULT_REQUEST_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        seconds = 0.0
    if not 0 < seconds <= 3600:
        raise UserError(f"{REQUEST_TIMEOUT_VAR}={value!r} is not a number of seconds between 0 and 3600",
                        hint=f"e.g. {REQUEST_TIMEOUT_VAR}=120 for a slow network")
    return seconds


def parse_rate_limit(value: str | None) -> tuple[int, float]:
    """CFWORKER_RATE_LIMIT as "REQUESTS/SECONDS" (e.g. "600/300" for a shared token); default 1200/300."""
    if value is None or not value.strip():
        return DEFAULT_RATE_LIMIT
    count, _, window = value.strip().partition("/")
    try:
        parsed = (int(count), float(window))
    except ValueError:
        parsed = (0, 0.0)
    if parsed[0] < 1 or parsed[1] <= 0:
        raise UserError(f"{RATE_LIMIT_VAR}={value!r} is not REQUESTS/SECONDS",
                        hint=f'e.g. {RATE_LIMIT_VAR}="600/300" to use half of Cloudflare\'s 1200 per 5 minutes')
    return parsed
