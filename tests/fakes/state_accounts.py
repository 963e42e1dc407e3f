"""Authentication, users, accounts, memberships, token verification and zones.

`authenticate()` turns request headers into a `Principal`: global key + email beats a token
(wrangler's order, api-notes §0.2; what the server does with both is unverified), malformed
headers give 6003 with a 61xx chain (api-notes §5), an unknown token 9109 (1000 "Invalid API
Token" on the verify endpoints, chosen by the caller; codes.py cites each).
"""

from __future__ import annotations

import re
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state import Principal, State, Zone
from tests.fakes.wire import Fail, FakeRequest, Reply, new_id, paginate

# 37 hex characters, the classic global key (a 37-character key is what lornu-ai/lornu.ai#126 reports);
# third-party notes mention newer `cfk_` keys, which are not modelled (unverified).
_GLOBAL_KEY = re.compile(r"^[0-9a-f]{37}$")
# One printable token after "Bearer": wrangler refuses code points > 255 before sending (api-notes §0.3);
# that the server answers 6111 for anything else unprintable is the less forgiving guess (unverified).
_PRINTABLE = re.compile(r"^[\x21-\x7e]+$")


def authenticate(state: State, req: FakeRequest, *, allow_inactive: bool = False) -> Principal:
    """Who is calling; raises Fail for missing, malformed or unknown credentials."""
    h = req.headers
    key, email = h.get("x-auth-key"), h.get("x-auth-email")
    if key is not None or email is not None:
        chain = []
        if not email or "@" not in email:
            chain.append({"code": 6102, "message": "Invalid format for X-Auth-Email header"})
        if not key or not _GLOBAL_KEY.match(key):
            chain.append({"code": 6103, "message": "Invalid format for X-Auth-Key header"})
        if chain:
            raise Fail("bad_auth_headers", chain=chain)
        if email.lower() != state.user.email.lower() or key != state.user.global_key:  # type: ignore[union-attr]
            raise Fail("unknown_global_key")
        return Principal("global_key")
    auth = h.get("authorization")
    if auth is None:
        raise Fail("missing_auth")
    scheme, _, value = auth.partition(" ")
    if scheme.lower() != "bearer" or not _PRINTABLE.match(value):
        raise Fail("bad_auth_headers", chain=[{"code": 6111, "message": "Invalid format for Authorization header"}])
    token = state.tokens.get(value)
    # A disabled or expired token is refused like an unknown one (unverified); the verify endpoints
    # still answer with its status (schema: token verify result status active|disabled|expired).
    if token is None or (token.status != "active" and not allow_inactive):
        raise Fail("invalid_token")
    return Principal("token", token)


def _user_only(ctx: Ctx, key: str) -> None:
    """Refuse account-owned tokens on user-level endpoints (`key`: the error each one answers)."""
    if ctx.principal.token is not None and ctx.principal.token.owner == "account":
        raise Fail(key)


# -- user & tokens ------------------------------------------------------------------------------

def verify_user_token(ctx: Ctx) -> Reply:
    """GET /user/tokens/verify: only user-owned tokens verify here (real-api-quirks #8: 1000 otherwise)."""
    tok = ctx.principal.token
    if tok is None or tok.owner != "user":
        raise Fail("invalid_token_verify")
    return _verified(tok.id, tok.status)


def verify_account_token(ctx: Ctx) -> Reply:
    """GET /accounts/{a}/tokens/verify: account-owned tokens (research notes §7: same result shape).

    What a user-owned token gets here is undocumented: 1000, the less forgiving choice.
    """
    tok = ctx.principal.token
    if tok is None or tok.owner != "account":
        raise Fail("invalid_token_verify")
    return _verified(tok.id, tok.status)


def _verified(token_id: str, status: str) -> Reply:
    # "This API Token is valid and active" is the text clients match (projectdiscovery/nuclei-templates#3690);
    # the other statuses' texts and the message code are unverified.
    msg = "This API Token is valid and active" if status == "active" else f"This API Token is {status}"
    return Reply({"id": token_id, "status": status},
                 messages=[{"code": 10000, "message": msg, "type": None}])


def get_user(ctx: Ctx) -> dict[str, Any]:
    """GET /user: 9109 for an account-owned token (wrangler/src/user/whoami.ts getEmail)."""
    _user_only(ctx, "user_unauthorized")
    u = ctx.state.user
    plans = {z.plan for z in ctx.state.zones.values()}
    return {"id": u.id, "email": u.email, "username": u.id, "first_name": None, "last_name": None,
            "telephone": None, "country": None, "zipcode": None, "two_factor_authentication_enabled": False,
            "two_factor_authentication_locked": False, "suspended": False, "betas": [], "organizations": [],
            "has_pro_zones": "pro" in plans, "has_business_zones": "business" in plans,
            "has_enterprise_zones": "enterprise" in plans, "created_on": "2020-01-01T00:00:00Z",
            "modified_on": "2020-01-01T00:00:00Z"}


# -- accounts & memberships ---------------------------------------------------------------------

def _visible_accounts(ctx: Ctx) -> list[Any]:
    # Account-owned tokens may list accounts: wrangler relies on it (workers-sdk workers-auth/src/core/
    # factory.ts falls back to /accounts for them); a 2024 report saw 1001 instead (edgefirst-dev/starter#3).
    accts = [a for a in ctx.state.accounts.values() if ctx.principal.sees_account(a.id)]
    name = ctx.req.q("name")
    if name:  # exact match (schema: name parameter); operators are not modelled
        accts = [a for a in accts if a.name == name]
    # direction: schema enum; ordering by name is not documented (unverified)
    accts.sort(key=lambda a: a.name, reverse=ctx.req.q("direction") == "desc")
    return accts


def list_accounts(ctx: Ctx) -> Reply:
    """GET /accounts (page pagination, 20 per page by default, max 50: schema)."""
    return paginate([a.as_api() for a in _visible_accounts(ctx)], ctx.req, default_per_page=20, max_per_page=50)


def get_account(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}."""
    return ctx.state.accounts[ctx.account_id].as_api()


def list_memberships(ctx: Ctx) -> Reply:
    """GET /memberships: user tokens and the global key only (api-notes §0.7: 9106 otherwise).

    Filters `account.name` and `status` and page size 20/50: schema. `order` is not modelled
    (always by account name, unverified); the membership id is made up.
    """
    _user_only(ctx, "account_token_not_allowed")
    items = []
    for a in sorted(ctx.state.accounts.values(), key=lambda a: a.name):
        if not ctx.principal.sees_account(a.id):
            continue
        if ctx.req.q("account.name") and a.name != ctx.req.q("account.name"):
            continue
        items.append({"id": a.id[::-1], "status": "accepted", "account": a.as_api(),
                      "roles": ["Super Administrator - All Privileges"],
                      "permissions": {"zones": {"read": True, "write": True}}})
    if ctx.req.q("status") not in (None, "accepted"):
        items = []
    return paginate(items, ctx.req, default_per_page=20, max_per_page=50)


# -- zones --------------------------------------------------------------------------------------

# `name` matches exactly unless it carries one of the operators the SDK docstring lists (api-notes
# §6.1); their wire syntax (`op:value`) is unverified.
def _name_filter(expr: str) -> Any:
    op, sep, value = expr.partition(":")
    if not sep or op not in {"equal", "not_equal", "starts_with", "ends_with", "contains",
                             "starts_with_case_sensitive", "ends_with_case_sensitive", "contains_case_sensitive"}:
        op, value = "equal", expr
    cs = op.endswith("_case_sensitive")
    op = op.removesuffix("_case_sensitive")

    def test(name: str) -> bool:
        n, v = (name, value) if cs else (name.lower(), value.lower())
        return {"equal": n == v, "not_equal": n != v, "starts_with": n.startswith(v),
                "ends_with": n.endswith(v), "contains": v in n}[op]
    return test


def list_zones(ctx: Ctx) -> Reply:
    """GET /zones with name / account.id / account.name / status filters, page pagination.

    Schema: parameters, page size default 20 / max 50. `match=any` is not modelled: filters
    always combine with AND, which never returns more than asked for. Default order by name
    (the schema declares no default; unverified).
    """
    st, q = ctx.state, ctx.req.q
    zones = [z for z in st.zones.values() if ctx.principal.sees_zone(z)]
    if q("name"):
        test = _name_filter(q("name") or "")
        zones = [z for z in zones if test(z.name)]
    if q("account.id"):
        zones = [z for z in zones if z.account_id == q("account.id")]
    if q("account.name"):
        test = _name_filter(q("account.name") or "")
        zones = [z for z in zones if test(st.accounts[z.account_id].name)]
    if q("status"):
        zones = [z for z in zones if z.status == q("status")]
    order = q("order") or "name"
    keys = {"name": lambda z: z.name, "status": lambda z: z.status, "account.id": lambda z: z.account_id,
            "account.name": lambda z: st.accounts[z.account_id].name}
    zones.sort(key=keys.get(order, keys["name"]), reverse=q("direction") == "desc")
    items = [z.as_api(st.accounts[z.account_id].name) for z in zones]
    return paginate(items, ctx.req, default_per_page=20, max_per_page=50)


def get_zone(ctx: Ctx) -> dict[str, Any]:
    """GET /zones/{z}."""
    z = ctx.zone
    return z.as_api(ctx.state.accounts[z.account_id].name)


def create_zone(ctx: Ctx) -> dict[str, Any]:
    """POST /zones: the new zone starts out `pending` (schema: zone status enum; a new zone waits for
    its name servers, unverified here).

    The same name may exist in other accounts (api-notes §1.4.1: wrangler adds `account.id` to
    zone lookups so that same-named zones of other accounts are not picked); only a second one
    in the same account is refused (1061, codes.py).
    """
    body = ctx.body()
    account_id = (body.get("account") or {}).get("id", "")
    if account_id not in ctx.state.accounts:
        raise Fail("bad_object_id", path=f"/accounts/{account_id}")
    if not ctx.principal.sees_account(account_id):
        raise Fail("forbidden")
    name = str(body["name"]).lower()
    if ctx.state.zone_by_name(name, account_id) is not None:
        raise Fail("zone_exists", name=name)
    zone = Zone(new_id(), name, account_id, status="pending")
    ctx.state.zones[zone.id] = zone
    return zone.as_api(ctx.state.accounts[account_id].name)


# Scopes: schema x-cfPermissionsRequired (#organization:read for /accounts, user.read for /user,
# #zone:read for a zone); the verify endpoints need none (schema: security api_token only). Paths
# the schema lacks and /memberships, /zones (no requirement listed) take the neighbouring scope.
ROUTES = [
    Route("GET", "/user/tokens/verify", verify_user_token),
    Route("GET", "/accounts/{account_id}/tokens/verify", verify_account_token),
    Route("GET", "/user", get_user, "user:read"),
    Route("GET", "/accounts", list_accounts, "account:read"),
    Route("GET", "/accounts/{account_id}", get_account, "account:read"),
    Route("GET", "/memberships", list_memberships, "account:read"),
    Route("GET", "/zones", list_zones, "zone:read"),
    Route("POST", "/zones", create_zone, "zone:write"),
    Route("GET", "/zones/{zone_id}", get_zone, "zone:read"),
]
