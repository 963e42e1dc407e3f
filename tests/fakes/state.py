"""The fake Cloudflare's in-memory state: one `State` object holding every product's data.

Core records (user, accounts, zones, API tokens) are defined here; each product module
(state_workers, state_assets, state_triggers, state_kv, state_dns, state_cache, state_queues,
state_workflows, state_storage) defines its own records and handlers and keeps them in the matching `State`
field. `new_state()` builds the default world:
one user, one account with a fixed id, one all-permission token, no zones.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from tests.fakes.wire import now_iso

if TYPE_CHECKING:
    from tests.fakes.state_assets import AssetSession, CompletionToken, StoredAsset
    from tests.fakes.state_cache import Purge, TokenBucket
    from tests.fakes.state_kv import Namespace
    from tests.fakes.state_queues import Queue
    from tests.fakes.state_storage import Bucket, Database
    from tests.fakes.state_triggers import CustomDomain, WorkerRoute
    from tests.fakes.state_workers import Script
    from tests.fakes.state_workflows import Workflow

DEFAULT_ACCOUNT_ID = "9a7806061c88ada191ed06f989cc3dac"
DEFAULT_ACCOUNT_NAME = "cfworker-tests"
DEFAULT_TOKEN = "cfwtest-allperms-0123456789abcdefghijklm"  # 40 chars, like real tokens
DEFAULT_TOKEN_ID = "ed17574386854bf78a67040be0a770b0"
DEFAULT_EMAIL = "dev@example.com"
DEFAULT_GLOBAL_KEY = "0123456789abcdef0123456789abcdef01234"  # 37 hex, like real global keys
DEFAULT_USER_ID = "7c5dae5552338874e5053f2534d2767a"

# Permission scopes a token may hold, one per permission group the schema's operations name
# (x-cfPermissionsRequired / x-api-token-group, cited at each module's ROUTES). ":write" implies
# ":read": the schema's GET .../secrets accepts "Workers Scripts Write" as well as "... Read".
ALL_PERMISSIONS = frozenset({
    "user:read", "account:read", "zone:read", "zone:write", "dns:read", "dns:write", "cache:purge",
    "workers_scripts:read", "workers_scripts:write", "workers_routes:read", "workers_routes:write",
    "workers_kv:read", "workers_kv:write",
    # Issue 14. "queues:write" and "d1:write" are scopes of wrangler's OAuth catalog (workers-sdk
    # workers-auth/src/core/scopes.ts); that catalog has no R2 or Workflows scope (wrangler reaches
    # both with its broader workers scopes), so "r2:*" and "workflows:*" are the fake's own names:
    # separate scopes are the less forgiving choice, a token must hold them explicitly.
    "queues:read", "queues:write", "workflows:read", "workflows:write", "r2:read", "r2:write",
    "d1:read", "d1:write",
})

# Zone plan ids and names as zone objects show them (plan.id / plan.name; the names are unverified).
PLAN_NAMES = {"free": "Free Website", "pro": "Pro Website", "business": "Business Website",
              "enterprise": "Enterprise Website"}


@dataclass
class Account:
    """A Cloudflare account."""

    id: str
    name: str
    created_on: str = field(default_factory=now_iso)

    def as_api(self) -> dict[str, Any]:
        """The account object as `/accounts` returns it."""
        return {"id": self.id, "name": self.name, "type": "standard", "created_on": self.created_on,
                "settings": {"enforce_twofactor": False, "abuse_contact_email": None}}


@dataclass
class Zone:
    """A zone (domain) in an account."""

    id: str
    name: str
    account_id: str
    status: str = "active"
    plan: str = "free"
    created_on: str = field(default_factory=now_iso)
    purge_max_items: int | None = None  # None: 100, or 500 URLs on enterprise (api-notes §6.3); a test knob

    def as_api(self, account_name: str) -> dict[str, Any]:
        """The zone object as `/zones` returns it."""
        return {
            "id": self.id, "name": self.name, "status": self.status, "paused": False, "type": "full",
            "development_mode": 0, "name_servers": ["ada.ns.cloudflare.com", "bob.ns.cloudflare.com"],
            "original_name_servers": None, "original_registrar": None, "original_dnshost": None,
            "created_on": self.created_on, "modified_on": self.created_on, "activated_on": self.created_on,
            "meta": {"step": 2, "custom_certificate_quota": 0, "page_rule_quota": 3, "phishing_detected": False},
            "owner": {"id": None, "type": "user", "email": None},
            "account": {"id": self.account_id, "name": account_name},
            "tenant": {"id": None, "name": None}, "tenant_unit": {"id": None},
            "permissions": ["#zone:read", "#zone:edit"],
            "plan": {"id": self.plan, "name": PLAN_NAMES.get(self.plan, self.plan), "price": 0, "currency": "USD",
                     "frequency": "", "is_subscribed": True, "can_subscribe": False,
                     "legacy_id": self.plan, "legacy_discount": False, "externally_managed": False},
        }

    @property
    def max_purge_items(self) -> int:
        """How many URLs one purge request may carry on this zone (other kinds: at most 100, state_cache)."""
        if self.purge_max_items is not None:
            return self.purge_max_items
        return 500 if self.plan == "enterprise" else 100


@dataclass
class Token:
    """An API token: its permission scopes and optional account/zone restrictions."""

    value: str = field(repr=False)
    id: str
    permissions: frozenset[str] = ALL_PERMISSIONS
    status: Literal["active", "disabled", "expired"] = "active"
    owner: Literal["user", "account"] = "user"
    account_ids: frozenset[str] | None = None  # None: every account of the user
    zone_ids: frozenset[str] | None = None  # None: all zones ("All zones" resource, api-notes §1.4c)


@dataclass
class User:
    """The one user behind the default credentials."""

    id: str = DEFAULT_USER_ID
    email: str = DEFAULT_EMAIL
    global_key: str = field(default=DEFAULT_GLOBAL_KEY, repr=False)


@dataclass
class Principal:
    """Who sent a request: a token, or the user's global key (which may do everything)."""

    kind: Literal["token", "global_key", "assets_session"]  # assets_session: an assets upload jwt (state_assets)
    token: Token | None = None

    def allows(self, scope: str | None) -> bool:
        """Whether the credentials hold `scope` (a write scope implies its read scope)."""
        if scope is None or self.token is None:
            return True
        perms = self.token.permissions
        return scope in perms or (scope.endswith(":read") and scope[:-5] + ":write" in perms)

    def sees_account(self, account_id: str) -> bool:
        """Whether the credentials reach this account."""
        return self.token is None or self.token.account_ids is None or account_id in self.token.account_ids

    def sees_zone(self, zone: Zone) -> bool:
        """Whether the credentials reach this zone."""
        if not self.sees_account(zone.account_id):
            return False
        return self.token is None or self.token.zone_ids is None or zone.id in self.token.zone_ids

    @property
    def all_zones(self) -> bool:
        """True unless the token is restricted to specific zones (wrangler's 10000 fallback case)."""
        return self.token is None or self.token.zone_ids is None


@dataclass
class Config:
    """Knobs tests may turn: limits and optional emulations."""

    # 10 MB, the paid plans' Worker size "after compression" (Workers limits page: 3 MB Free / 10 MB paid,
    # cloudflare-docs PR #18400; a newer copy says 64 MiB). The fake counts raw bytes: the less forgiving reading.
    script_size_limit: int = 10 * 1024 * 1024
    # records per DNS batch by zone plan (real-api-quirks #10, research notes 12-13 §1.3)
    dns_batch_limits: dict[str, int] = field(default_factory=lambda: {"free": 200, "pro": 3500, "business": 3500,
                                                                      "enterprise": 3500})
    purge_rate_limit: bool = False  # token bucket for tag/host/prefix/everything purges (api-notes §6.3)
    # workers.dev for a script first uploaded over the API: off until enabled (no evidence found for
    # the server default; the less forgiving choice, since wrangler always POSTs it, api-notes §1.4a)
    new_script_subdomain_enabled: bool = False
    # Scheduled Workflows need a paid Workers plan (10208, workers-sdk deploy-helpers error-codes.ts;
    # 403 in wrangler/src/__tests__/deploy/workflows.test.ts). Which plan a test account is on is a
    # test's choice: free by default, the less forgiving one.
    workers_paid_plan: bool = False
    # A `d1` binding must name a database of the account (binding check, state_workers). Off by
    # default because tests/e2e/test_init_deploy.py deploys a corpus file whose D1 id no test seeds
    # (and tests/fakes may not edit that file); tests that want the real behaviour turn it on.
    d1_bindings_must_exist: bool = False
    # Static assets (state_assets): how a session groups the files it asks for. Buckets are
    # server-decided (UNVERIFIED sizes); the nearest evidence is wrangler's client-side bucketing
    # of the same kind of upload for Pages, 2000 files and 40 MiB per bucket (packages/wrangler/
    # src/pages/constants.ts MAX_BUCKET_FILE_COUNT, MAX_BUCKET_SIZE), and the deploy helper's
    # comment "50 MiB per bucket" (research-16 A3). Tests that need many buckets lower these.
    asset_bucket_max_files: int = 2000
    asset_bucket_max_bytes: int = 40 * 1024 * 1024
    # Lifetime of upload and completion jwts: "valid for one hour" (Cloudflare docs, static-assets/direct-upload)
    asset_jwt_ttl: float = 3600.0


@dataclass
class State:
    """Everything the fake knows. Mutated only under `FakeCloudflare.lock`."""

    user: User
    accounts: dict[str, Account]
    tokens: dict[str, Token]
    zones: dict[str, Zone] = field(default_factory=dict)
    scripts: dict[str, dict[str, Script]] = field(default_factory=dict)  # account id -> name -> Script
    subdomains: dict[str, str] = field(default_factory=dict)  # account id -> workers.dev subdomain
    kv: dict[str, Namespace] = field(default_factory=dict)  # namespace id -> Namespace
    zone_routes: dict[str, list[WorkerRoute]] = field(default_factory=dict)  # zone id -> routes
    domains: dict[str, CustomDomain] = field(default_factory=dict)  # domain id -> CustomDomain
    dns: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # zone id -> record id -> record
    purges: list[Purge] = field(default_factory=list)
    purge_buckets: dict[str, TokenBucket] = field(default_factory=dict)  # "account id:plan" -> bucket
    queues: dict[str, Queue] = field(default_factory=dict)  # queue id -> Queue
    r2_buckets: dict[tuple[str, str, str], Bucket] = field(default_factory=dict)  # (account, jurisdiction, name)
    d1: dict[str, Database] = field(default_factory=dict)  # database uuid -> Database
    workflows: dict[tuple[str, str], Workflow] = field(default_factory=dict)  # (account id, name) -> Workflow
    asset_store: dict[str, dict[str, StoredAsset]] = field(default_factory=dict)  # account id -> hash -> file
    asset_sessions: dict[str, AssetSession] = field(default_factory=dict)  # session jwt -> session
    asset_completions: dict[str, CompletionToken] = field(default_factory=dict)  # completion jwt -> token
    asset_uploads: list[tuple[str, list[str]]] = field(default_factory=list)  # (session jwt, hashes) per bucket
    config: Config = field(default_factory=Config)

    def account_scripts(self, account_id: str) -> dict[str, Script]:
        """The scripts of one account (created on first use)."""
        return self.scripts.setdefault(account_id, {})

    def zone_by_name(self, name: str, account_id: str | None = None) -> Zone | None:
        """The zone called `name` (optionally within one account); names compare case-insensitively."""
        for z in self.zones.values():
            if z.name == name.lower() and (account_id is None or z.account_id == account_id):
                return z
        return None

    def zone_for_host(self, host: str, account_id: str) -> Zone | None:
        """The account's zone with the longest name that is a suffix of `host` (wrangler tries the most
        specific name first, api-notes §1.4.1; how the server picks is unverified)."""
        host = host.lower()
        best: Zone | None = None
        for z in self.zones.values():
            if z.account_id == account_id and (host == z.name or host.endswith("." + z.name)):
                if best is None or len(z.name) > len(best.name):
                    best = z
        return best


def new_state() -> State:
    """The default world: one user, one account, one all-permission token."""
    account = Account(DEFAULT_ACCOUNT_ID, DEFAULT_ACCOUNT_NAME)
    token = Token(DEFAULT_TOKEN, DEFAULT_TOKEN_ID)
    return State(user=User(), accounts={account.id: account}, tokens={token.value: token})
