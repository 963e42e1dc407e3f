"""The fake's routing table: (method, path template) -> handler, plus the handler context.

Each product module exports `ROUTES`, a list of `Route`s; `Router` compiles their templates to
regexes once and matches the percent-encoded request path (parameters are decoded after the
match, so a KV key containing `%2F` stays one segment). Templates with more literal segments win.
A handler takes a `Ctx` and returns a result (wrapped in the envelope) or a `Reply`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Callable
from urllib.parse import unquote

from tests.fakes.state import Principal, State, Zone
from tests.fakes.wire import Fail, FakeRequest


@dataclass
class Ctx:
    """What a handler sees: state, the request, decoded path parameters, the caller."""

    state: State
    req: FakeRequest
    p: dict[str, str]
    principal: Principal

    def body(self) -> Any:
        """The JSON body."""
        return self.req.json()

    @property
    def account_id(self) -> str:
        """The `{account_id}` path parameter (already checked to exist)."""
        return self.p["account_id"]

    @property
    def zone(self) -> Zone:
        """The zone named by `{zone_id}` (already checked to exist)."""
        return self.state.zones[self.p["zone_id"]]


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Route:
    """One endpoint: method, template, handler and the permission scope it needs."""

    method: str
    template: str
    handler: Handler
    scope: str | None = None
    # Query parameters the real API honours beyond what the OpenAPI subset declares for this
    # path; every entry cites its evidence where the route is defined. The fake drops every
    # other undeclared parameter before the handler runs, as the real API ignores them.
    extra_params: tuple[str, ...] = ()
    # How the caller is authenticated: "api" (token or global key, state_accounts.authenticate) or
    # "assets_jwt" (an assets upload session jwt instead of a token, state_assets.authenticate_upload).
    auth: str = "api"


@dataclass(frozen=True)
class _Compiled:
    route: Route
    regex: re.Pattern[str]
    names: tuple[str, ...]
    literals: int


def _compile(route: Route) -> _Compiled:
    names = tuple(re.findall(r"\{([^}]+)\}", route.template))
    pattern = "".join("([^/]+)" if seg.startswith("{") else re.escape(seg)
                      for seg in re.split(r"(\{[^}]+\})", route.template) if seg)
    literals = sum(1 for s in route.template.split("/") if s and not s.startswith("{"))
    return _Compiled(route, re.compile(f"^{pattern}/?$"), names, literals)


class Router:
    """Match requests to routes; tell 'unknown path' apart from 'wrong method'."""

    def __init__(self, routes: list[Route]) -> None:
        compiled = sorted((_compile(r) for r in routes), key=lambda c: -c.literals)
        self._by_method: dict[str, list[_Compiled]] = {}
        for c in compiled:
            self._by_method.setdefault(c.route.method, []).append(c)
        self._all = compiled

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]]:
        """The route and decoded parameters; raises Fail('no_route' | 'method_not_allowed')."""
        for c in self._by_method.get(method, ()):
            m = c.regex.match(path)
            if m:
                return c.route, {n: unquote(v) for n, v in zip(c.names, m.groups())}
        if any(c.regex.match(path) for c in self._all):
            raise Fail("method_not_allowed", method=method)
        raise Fail("no_route")
