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


def verify_token(client: CloudflareClient) -> TokenStatus:
    """Check an API token (`GET /user/tokens/verify`)."""
    return TokenStatus.from_api(client.call("GET", "/user/tokens/verify"))


def get_user(client: CloudflareClient) -> User:
    """The user a global API key belongs to (`GET /user`)."""
    return User.from_api(client.call("GET", "/user"))


def list_accounts(client: CloudflareClient) -> list[Account]:
    """Every account the credentials can see (`GET /accounts`, all pages)."""
    return [Account.from_api(d) for d in client.paginate_pages("/accounts", per_page=50)]


def choose_account(accounts: list[Account]) -> Account | None:
    """The account to use when none was configured: the only one, else None (pure)."""
    return accounts[0] if len(accounts) == 1 else None
