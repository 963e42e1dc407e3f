"""Token verification, the current user, and the accounts the credentials can see."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api.client import CloudflareClient


@dataclass(frozen=True, slots=True)
class TokenStatus:
    """What `GET /user/tokens/verify` says about an API token."""

    id: str
    status: str  # active | disabled | expired
    expires_on: str | None = None

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> TokenStatus:
        return cls(id=str(d.get("id", "")), status=str(d.get("status", "unknown")), expires_on=d.get("expires_on"))


@dataclass(frozen=True, slots=True)
class Account:
    """An account the credentials can act on."""

    id: str
    name: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> Account:
        return cls(id=str(d["id"]), name=str(d.get("name", "")))


@dataclass(frozen=True, slots=True)
class User:
    """The user behind a global API key."""

    id: str
    email: str

    @classmethod
    def from_api(cls, d: dict[str, Any]) -> User:
        return cls(id=str(d.get("id", "")), email=str(d.get("email", "")))


# /user/tokens/verify answers 1000 "Invalid API Token" for a token owned by an account, not a
# user; such a token verifies at /accounts/{a}/tokens/verify (real-api-quirks #8; wrangler's
# whoami.ts getTokenType reads code 1000 the same way, research notes §7).
ACCOUNT_TOKEN_HINT = 1000


def verify_token(client: CloudflareClient) -> TokenStatus:
    """Check a user-owned API token (`GET /user/tokens/verify`)."""
    return TokenStatus.from_api(client.call_object("GET", "/user/tokens/verify", required=()))


def verify_account_token(client: CloudflareClient, account_id: str) -> TokenStatus:
    """Check an account-owned API token (`GET /accounts/{a}/tokens/verify`)."""
    return TokenStatus.from_api(client.call_object("GET", f"/accounts/{account_id}/tokens/verify", required=()))


def get_user(client: CloudflareClient) -> User:
    """The user a global API key belongs to (`GET /user`)."""
    return User.from_api(client.call_object("GET", "/user", required=()))


def list_accounts(client: CloudflareClient) -> list[Account]:
    """Every account the credentials can see (`GET /accounts`, all pages)."""
    return [Account.from_api(d) for d in client.paginate_pages("/accounts", per_page=50)]


def choose_account(accounts: list[Account]) -> Account | None:
    """The account to use when none was configured: the only one, else None (pure)."""
    return accounts[0] if len(accounts) == 1 else None
