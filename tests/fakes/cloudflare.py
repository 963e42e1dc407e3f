"""FakeCloudflare: a stateful, schema-checking stand-in for the Cloudflare v4 API.

`handle(FakeRequest) -> FakeResponse` is the whole API; `FakeServer` (server.py) serves it over
HTTP and `transport()` wraps it in an `httpx.MockTransport`. Per request, in order:
global rate limit -> injected fault -> route match (7000/7001) -> credentials (9106/6003/9109; the assets upload endpoint takes an
upload session jwt instead, state_assets)
-> account/zone ids in the path (7003, or 10000 when the token cannot see them) -> permission
scope (10000) -> OpenAPI validation (10001, recorded in `schema_violations`) -> handler.
Every request is recorded in `requests` with credentials redacted. State changes happen under
one lock; `Slow` faults sleep outside it.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import math
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Iterable
from urllib.parse import urlencode

from tests.fakes import (state_accounts, state_assets, state_cache, state_dns, state_kv, state_queues, state_settings,
                         state_storage, state_triggers, state_workers, state_workflows)
from tests.fakes.codes import DEFAULT_ERRORS, ErrorSpec
from tests.fakes.faults import (REWRITES, Chaos, Drop, Fault, FaultPlan, Injection, RateLimit, Slow, Status,
                                parse_kinds)
from tests.fakes.multipart import Part
from tests.fakes.openapi import RELAXED_SPEC, load_spec
from tests.fakes.routing import Ctx, Router
from tests.fakes.state import ALL_PERMISSIONS, Account, Principal, State, Token, Zone, new_state
from tests.fakes.wire import (DropConnection, Fail, FakeRequest, FakeResponse, Reply, envelope, new_id, new_uuid,
                              ray_id)

ALL_ROUTES = (state_accounts.ROUTES + state_workers.ROUTES + state_assets.ROUTES + state_settings.ROUTES
              + state_triggers.ROUTES + state_kv.ROUTES + state_dns.ROUTES + state_cache.ROUTES + state_queues.ROUTES
              + state_workflows.ROUTES + state_storage.ROUTES)
REDACTED = "REDACTED"
_SECRET_HEADERS = frozenset({"authorization", "x-auth-key"})
_JSON = "application/json"


@dataclass
class RecordedRequest:
    """One request as the fake saw it; credentials redacted, body kept for assertions."""

    method: str
    path: str  # below /client/v4, percent-encoded, no query
    query: str
    headers: dict[str, str]
    body_size: int
    status: int | None  # None: the connection was dropped
    fault: str | None = None
    route: str | None = None  # matched route template
    elapsed_ms: float = 0.0
    body: bytes = field(default=b"", repr=False)

    def json(self) -> Any:
        """The request body parsed as JSON."""
        return json.loads(self.body)


@dataclass
class SchemaViolation:
    """A request the OpenAPI document rejects."""

    method: str
    path: str
    operation_id: str
    errors: list[str]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.operation_id}): " + "; ".join(self.errors)


class _Fmt(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


class FakeCloudflare:
    """In-memory Cloudflare API. See the module docstring for the request pipeline."""

    def __init__(self, *, validate: bool = True, spec_path: Any = RELAXED_SPEC) -> None:
        self.lock = threading.RLock()
        self.spec = load_spec(spec_path) if validate else None
        self.router = Router(ALL_ROUTES)
        self.base_url: str | None = None  # set by FakeServer
        self.reset()

    def reset(self) -> None:
        """Forget everything: state, recorded requests, faults, error-table overrides."""
        with self.lock:
            self.state: State = new_state()
            self.errors: dict[str, ErrorSpec] = dict(DEFAULT_ERRORS)
            self.requests: list[RecordedRequest] = []
            self.schema_violations: list[SchemaViolation] = []
            self.unvalidated_paths: set[str] = set()
            self.unknown_requests: list[RecordedRequest] = []
            self.internal_errors: list[str] = []
            self.faults = FaultPlan()
            self.schema_violations_expected = False
            self.ignored_query: list[tuple[str, str, tuple[str, ...]]] = []  # (method, template, names)

    # -- the API ----------------------------------------------------------------------------------
    def handle(self, req: FakeRequest) -> FakeResponse:
        """Answer one request (raises DropConnection for injected drops)."""
        t0 = time.perf_counter()
        path = req.api_path
        # A request that arrived before reset() (a killed client's, held by a Slow fault) must
        # not be applied to the next test's fresh state: remember which state it belongs to.
        state = self.state
        wait = self.faults.check_rate()
        if wait is not None:
            resp = self._error(Fail("rate_limited", headers={"Retry-After": str(max(1, math.ceil(wait)))}), path)
            return self._finish(req, resp, "rate_limited", None, t0)
        fault = self.faults.take(req.method, path)
        if isinstance(fault, Slow):
            time.sleep(fault.seconds)
        elif isinstance(fault, Status):
            headers, body = fault.render()
            return self._finish(req, FakeResponse(fault.status, headers, body), fault.kind, None, t0)
        elif isinstance(fault, Drop) and not fault.after_apply:
            self._finish(req, None, fault.kind, None, t0)
            raise DropConnection()
        resp, template = self._serve(req, path, state)
        if state is not self.state:
            return resp  # stale: not applied, and not logged into the next test's request list
        if isinstance(fault, REWRITES):
            resp = fault.rewrite(req, resp)
        if isinstance(fault, Drop):
            self._finish(req, None, fault.kind, template, t0)
            raise DropConnection()
        return self._finish(req, resp, fault.kind if fault else None, template, t0)

    def _serve(self, req: FakeRequest, path: str, state: State | None = None) -> tuple[FakeResponse, str | None]:
        template = None
        with self.lock:
            if state is not None and state is not self.state:
                return FakeResponse(503, {"Content-Type": _JSON}, b'{"success":false,"errors":[],"messages":[],'
                                    b'"result":null}'), None
            try:
                route, params = self.router.match(req.method, path)
                template = route.template
                principal = (state_assets.authenticate_upload(self.state, req) if route.auth == "assets_jwt"
                             else self._authenticate(req, template))
                self._check_ids(params, principal, path)
                if not principal.allows(route.scope):
                    raise Fail("forbidden")
                self._validate(req, path, template)
                declared = self._declared_only(req, path, route)
                return self._success(route.handler(Ctx(self.state, declared, params, principal))), template
            except Fail as f:
                return self._error(f, path), template
            except Exception:  # a bug in the fake (or a body shape no schema guards): make it loud
                self.internal_errors.append(f"{req.method} {path}\n{traceback.format_exc()}")
                return self._error(Fail("server_error"), path), template

    def _authenticate(self, req: FakeRequest, template: str) -> Principal:
        verify = template.endswith("/tokens/verify")
        try:
            return state_accounts.authenticate(self.state, req, allow_inactive=verify)
        except Fail as f:
            if verify and f.key in ("invalid_token", "unknown_global_key"):
                raise Fail("invalid_token_verify") from None
            raise

    def _check_ids(self, params: dict[str, str], principal: Principal, path: str) -> None:
        if "account_id" in params:
            aid = params["account_id"]
            if aid not in self.state.accounts:
                raise Fail("bad_object_id", path="/client/v4" + path)
            if not principal.sees_account(aid):
                raise Fail("forbidden")
        if "zone_id" in params:
            zone = self.state.zones.get(params["zone_id"])
            if zone is None:
                raise Fail("bad_object_id", path="/client/v4" + path)
            if not principal.sees_zone(zone):
                raise Fail("forbidden")

    def _validate(self, req: FakeRequest, path: str, template: str) -> None:
        if self.spec is None:
            return
        found = self.spec.match(req.method, path)
        if found is None:
            self.unvalidated_paths.add(f"{req.method} {template}")
            return
        op, path_params = found
        errors = op.validate(path_params, req)
        if errors:
            self.schema_violations.append(SchemaViolation(req.method, path, op.operation_id, errors))
            raise Fail("schema_violation", detail="; ".join(errors))

    def _declared_only(self, req: FakeRequest, path: str, route: Any) -> FakeRequest:
        """The request without query parameters the path does not take (the real API ignores them).

        Declared = the OpenAPI operation's query parameters plus the route's `extra_params`
        (each with its evidence). A path the document does not cover takes only its
        extra_params: the less forgiving choice where no evidence exists. This is what
        makes a `page=2` sent to the unpaginated routes list come back as the full list
        (real-api-quirks #1) and a `page` sent to the KV keys list restart at the first
        page (#2).
        """
        declared = set(route.extra_params)
        spec = self.spec if self.spec is not None else load_spec(RELAXED_SPEC)
        found = spec.match(req.method, path)
        if found is not None:
            declared |= {p.name for p in found[0].params if p.location == "query"}
        ignored = sorted(set(req.query) - declared)
        if not ignored:
            return req
        self.ignored_query.append((req.method, route.template, tuple(ignored)))
        return dataclasses.replace(req, query={k: v for k, v in req.query.items() if k in declared})

    def _success(self, result: Any) -> FakeResponse:
        if isinstance(result, Reply):
            if result.raw is not None:
                return FakeResponse(result.status, {"Content-Type": result.content_type}, result.raw)
            body = envelope(result.result, messages=result.messages, result_info=result.result_info)
            return FakeResponse(result.status, {"Content-Type": _JSON}, body)
        return FakeResponse(200, {"Content-Type": _JSON}, envelope(result))

    def _error(self, f: Fail, path: str) -> FakeResponse:
        spec = self.errors[f.key]
        err: dict[str, Any] = {"code": spec.code, "message": spec.message.format_map(_Fmt({"path": path, **f.fmt}))}
        if f.chain:
            err["error_chain"] = f.chain
        if f.meta:
            err["meta"] = f.meta
        return FakeResponse(spec.status, {"Content-Type": _JSON, **f.headers}, envelope(None, success=False, errors=[err]))

    def _finish(self, req: FakeRequest, resp: FakeResponse | None, fault: str | None, template: str | None,
                t0: float) -> FakeResponse:
        rec = RecordedRequest(
            req.method, req.api_path, urlencode(req.query, doseq=True),
            {k: REDACTED if k in _SECRET_HEADERS else v for k, v in req.headers.items()},
            len(req.body), resp.status if resp else None, fault, template, (time.perf_counter() - t0) * 1000, req.body)
        with self.lock:
            self.requests.append(rec)
            if template is None and fault is None and resp is not None and resp.status in (404, 405):
                self.unknown_requests.append(rec)
        if resp is None:
            return FakeResponse(0, {}, b"")
        resp.headers.setdefault("cf-ray", ray_id())
        return resp

    # -- httpx integration ------------------------------------------------------------------------
    def handle_httpx(self, request: Any) -> Any:
        """`httpx.MockTransport` handler: same pipeline, drops become RemoteProtocolError."""
        import httpx
        target = request.url.raw_path.decode("ascii")
        req = FakeRequest.build(request.method, target, dict(request.headers), request.read())
        try:
            resp = self.handle(req)
        except DropConnection:
            raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from None
        return httpx.Response(resp.status, headers=resp.headers, content=resp.body, request=request)

    def transport(self) -> Any:
        """An `httpx.MockTransport` serving this fake in-process (no socket)."""
        import httpx
        return httpx.MockTransport(self.handle_httpx)

    # -- credentials and environment --------------------------------------------------------------
    @property
    def account_id(self) -> str:
        """The default account's id."""
        return next(iter(self.state.accounts))

    @property
    def token(self) -> str:
        """A valid token holding every permission."""
        return next(iter(self.state.tokens))

    @property
    def email(self) -> str:
        """The user's email (for global-key auth)."""
        return self.state.user.email

    @property
    def global_key(self) -> str:
        """The user's global API key."""
        return self.state.user.global_key

    @property
    def env(self) -> dict[str, str]:
        """Environment for a cfworker subprocess or CliRunner pointed at this fake."""
        if self.base_url is None:
            raise RuntimeError("this FakeCloudflare is not served; start a FakeServer (or use the fake_cf fixture)")
        return {"CLOUDFLARE_API_TOKEN": self.token, "CLOUDFLARE_ACCOUNT_ID": self.account_id,
                "CLOUDFLARE_API_BASE_URL": self.base_url}

    # -- faults -----------------------------------------------------------------------------------
    def inject(self, method: str = "*", path_glob: str = "*", fault: Fault | None = None, *,
               times: int | None = 1, after: int = 0) -> Injection:
        """Script a fault for matching requests (see faults.py); returns it to inspect `.fired`."""
        if fault is None:
            raise ValueError("inject() needs a fault: Status(...), Slow(...) or Drop(...)")
        inj = Injection(method, path_glob, fault, times, after)
        with self.faults._lock:
            self.faults.injections.append(inj)
        return inj

    def chaos(self, rate: float | None = 0.2, seed: int = 0, kinds: Iterable[str | Fault] | None = None, *,
              method: str = "*", path_glob: str = "*") -> None:
        """Random faults on a `rate` share of matching requests; `rate=None` turns chaos off."""
        self.faults.chaos = None if rate is None else Chaos(rate, seed, parse_kinds(list(kinds) if kinds else None),
                                                            method, path_glob)

    def rate_limit(self, requests: int | None, window: float = 60.0) -> None:
        """Allow `requests` per `window` seconds overall (429 + Retry-After beyond); None = off."""
        self.faults.rate_limit = None if requests is None else RateLimit(requests, window)

    @property
    def fault_counts(self) -> dict[str, int]:
        """How many faults of each kind fired (`status:503`, `drop`, `rate_limited`, ...)."""
        return dict(self.faults.counts)

    def expect_schema_violations(self) -> None:
        """Tell the pytest fixture that this test sends schema-violating requests on purpose."""
        self.schema_violations_expected = True

    # -- request log --------------------------------------------------------------------------------
    def writes(self) -> list[RecordedRequest]:
        """Recorded requests other than GET/HEAD."""
        return [r for r in self.requests if r.method not in ("GET", "HEAD")]

    def count(self, method: str | None = None, path_glob: str | None = None) -> int:
        """How many recorded requests match `method` and the path glob."""
        return sum(1 for r in self.requests if (method is None or r.method == method.upper())
                   and (path_glob is None or fnmatch.fnmatchcase(r.path, path_glob)))

    # -- seeding state (tests call these directly) --------------------------------------------------
    def add_account(self, name: str, account_id: str | None = None) -> str:
        """Add an account the default credentials can see; returns its id."""
        with self.lock:
            acct = Account(account_id or new_id(), name)
            self.state.accounts[acct.id] = acct
            return acct.id

    def add_zone(self, name: str, plan: str = "free", *, account_id: str | None = None, status: str = "active",
                 zone_id: str | None = None) -> str:
        """Add a zone; returns its id."""
        with self.lock:
            zone = Zone(zone_id or new_id(), name.lower(), account_id or self.account_id, status, plan)
            self.state.zones[zone.id] = zone
            return zone.id

    def add_token(self, permissions: Iterable[str] | None = None, *, value: str | None = None,
                  owner: str = "user", accounts: Iterable[str] | None = None, zones: Iterable[str] | None = None,
                  status: str = "active") -> str:
        """Create a token (all permissions unless given; see state.ALL_PERMISSIONS); returns its value."""
        perms = ALL_PERMISSIONS if permissions is None else frozenset(permissions)
        unknown = perms - ALL_PERMISSIONS
        if unknown:
            raise ValueError(f"unknown permissions {sorted(unknown)}; known: {sorted(ALL_PERMISSIONS)}")
        with self.lock:
            tok = Token(value or "cfwtest-" + new_id(), new_id(), perms, status, owner,  # type: ignore[arg-type]
                        None if accounts is None else frozenset(accounts), None if zones is None else frozenset(zones))
            self.state.tokens[tok.value] = tok
            return tok.value

    def set_workers_subdomain(self, subdomain: str | None, account_id: str | None = None) -> None:
        """Register (or with None remove) the account's workers.dev subdomain."""
        with self.lock:
            aid = account_id or self.account_id
            if subdomain is None:
                self.state.subdomains.pop(aid, None)
            else:
                self.state.subdomains[aid] = subdomain

    def add_kv_namespace(self, title: str, account_id: str | None = None) -> str:
        """Create a KV namespace; returns its id."""
        with self.lock:
            ns = state_kv.Namespace(new_id(), account_id or self.account_id, title)
            self.state.kv[ns.id] = ns
            return ns.id

    def add_queue(self, name: str, *, account_id: str | None = None, settings: dict[str, Any] | None = None) -> str:
        """Create a queue (no name checks); returns its id."""
        with self.lock:
            q = state_queues.Queue(new_id(), account_id or self.account_id, name)
            q.settings.update(settings or {})
            self.state.queues[q.id] = q
            return q.id

    def add_queue_consumer(self, queue: str, script: str | None, *, settings: dict[str, Any] | None = None,
                           dead_letter_queue: str | None = None, account_id: str | None = None) -> str:
        """Attach a consumer to the queue called `queue` (`script=None`: an http_pull consumer; no
        checks, as a previous deploy or the dashboard would have left it); returns its id."""
        with self.lock:
            q = self.queue(queue, account_id)
            consumer = state_queues.Consumer(new_id(), "worker" if script else "http_pull", script,
                                             dict(settings or {}), dead_letter_queue)
            q.consumers.append(consumer)
            return consumer.id

    def add_r2_bucket(self, name: str, jurisdiction: str | None = None, *, account_id: str | None = None,
                      location: str | None = None, storage_class: str = "Standard") -> str:
        """Create an R2 bucket in a jurisdiction (None: the default one; no name checks); returns its name."""
        with self.lock:
            b = state_storage.Bucket(account_id or self.account_id, name, jurisdiction or "default", location,
                                     storage_class)
            self.state.r2_buckets[(b.account_id, b.jurisdiction, b.name)] = b
            return b.name

    def add_d1_database(self, name: str, *, account_id: str | None = None, uuid: str | None = None) -> str:
        """Create a D1 database (no name checks); returns its uuid."""
        with self.lock:
            db = state_storage.Database(uuid or new_uuid(), account_id or self.account_id, name)
            self.state.d1[db.uuid] = db
            return db.uuid

    def add_workflow(self, name: str, script_name: str, class_name: str, *, account_id: str | None = None,
                     limits: dict[str, Any] | None = None, schedules: list[str] | None = None) -> str:
        """Register a Workflow (no checks: the script need not exist); returns its id."""
        with self.lock:
            aid = account_id or self.account_id
            wf = state_workflows.Workflow(new_uuid(), aid, name, script_name, class_name, limits,
                                          [{"cron": c} for c in schedules or []])
            self.state.workflows[(aid, name)] = wf
            return wf.id

    def add_dns_record(self, zone_id: str, type: str, name: str, content: str, **fields: Any) -> str:
        """Create a DNS record (conflict rules apply); returns its id."""
        with self.lock:
            records = self.state.dns.setdefault(zone_id, {})
            rec = state_dns.create_in(records, self.state.zones[zone_id], {"type": type, "name": name,
                                                                           "content": content, **fields})
            return str(rec["id"])

    def add_route(self, zone_id: str, pattern: str, script: str | None) -> str:
        """Create a zone route (no ownership checks); returns its id."""
        with self.lock:
            route = state_triggers.WorkerRoute(new_id(), zone_id, pattern, script)
            self.state.zone_routes.setdefault(zone_id, []).append(route)
            return route.id

    def add_script(self, name: str, content: bytes = b"export default { fetch() { return new Response('ok') } }",
                   *, bindings: list[dict[str, Any]] | None = None, account_id: str | None = None,
                   metadata: dict[str, Any] | None = None) -> state_workers.Script:
        """Upload a one-module Worker directly (as a previous deploy would have).

        Every upload check applies (bindings must name existing resources, DO bindings need
        their class exported and migrated); `metadata={"migrations": ...}` applies migrations.
        """
        aid = account_id or self.account_id
        meta = {"main_module": "index.js", "bindings": bindings or [], "compatibility_date": "2025-01-01",
                **(metadata or {})}
        parts = [Part("metadata", None, _JSON, json.dumps(meta).encode()),
                 Part("index.js", "index.js", "application/javascript+module", content)]
        req = FakeRequest("PUT", f"/accounts/{aid}/workers/scripts/{name}")
        with self.lock:
            ctx = Ctx(self.state, req, {"account_id": aid, "script_name": name}, Principal("global_key"))
            scripts = self.state.account_scripts(aid)
            existing = scripts.get(name)
            version, secret_set, removed = state_workers.build_version(ctx, existing, parts, strict_inherit=False)
            plan = state_workers.plan_migrations(ctx, existing, version.metadata)
            script = existing or state_workers.Script(name, aid)
            scripts[name] = script
            script.versions.append(version)
            state_assets.redeem(self.state, version)
            state_workers.apply_secrets(script, secret_set, removed)
            state_workers.apply_migrations(ctx, script, plan)
            state_workers.deploy(script, version)
            return script

    def foreign_deploy(self, name: str, *, content: bytes | None = None, vars: dict[str, str] | None = None,
                       source: str = "wrangler", percentage: float = 100.0,
                       account_id: str | None = None) -> state_workers.Version:
        """Another tool puts different code live on a script, as wrangler, the dashboard, a
        rollback or `wrangler versions deploy` do: a new version (without cfworker's
        annotations) and a new deployment. The script's tags stay exactly as they were:
        wrangler keeps tags it does not own and version deploys never touch them
        (real-api-quirks #4, workers-sdk deploy-helpers deploy.ts). `vars` edits plain-text
        vars the way the dashboard's Variables page does; `percentage` < 100 leaves the
        rest of the traffic on the version that was live (a gradual deployment, api-notes §4.4).
        """
        with self.lock:
            script = self.script(name, account_id)
            cur = script.current
            modules = dict(cur.modules)
            main = cur.main_module or cur.body_part or next(iter(modules))
            old = modules[main]
            body = content if content is not None else old.content + f"\n// deployed by {source}\n".encode()
            modules[main] = state_workers.Module(old.name, old.content_type, body)
            bindings = [dict(b) for b in cur.bindings]
            for var, text in (vars or {}).items():
                bindings = [b for b in bindings if b["name"] != var] + [{"type": "plain_text", "name": var, "text": text}]
            metadata = {k: v for k, v in cur.metadata.items() if k != "annotations"}
            metadata["bindings"] = bindings
            version = state_workers.Version(
                new_uuid(), len(script.versions) + 1, modules, metadata, bindings, cur.main_module, cur.body_part,
                state_workers.content_hash(body), {"workers/triggered_by": "upload"}, source=source, assets=cur.assets)
            script.versions.append(version)
            split = [{"version_id": version.id, "percentage": float(percentage)}]
            if percentage < 100:
                split.append({"version_id": cur.id, "percentage": 100.0 - float(percentage)})
            script.deployments.append(state_workers.Deployment(new_uuid(), split, {}, source=source))
            return version

    # -- static assets (state_assets) -----------------------------------------------------------------
    @property
    def asset_uploads(self) -> list[tuple[str, list[str]]]:
        """Accepted bucket uploads, oldest first: (session jwt, [hashes in part order]) per request."""
        return [(jwt, list(hashes)) for jwt, hashes in self.state.asset_uploads]

    @property
    def asset_store(self) -> dict[str, bytes]:
        """The default account's stored asset files: hash -> decoded bytes."""
        return {h: a.data for h, a in self.state.asset_store.get(self.account_id, {}).items()}

    @property
    def asset_content_types(self) -> dict[str, str | None]:
        """The Content-Type each stored file was uploaded with (None: `application/null` or none)."""
        return {h: a.content_type for h, a in self.state.asset_store.get(self.account_id, {}).items()}

    @property
    def asset_sessions(self) -> list[state_assets.AssetSession]:
        """The default account's upload sessions, oldest first (`.manifest`, `.buckets`, `.missing`, `.jwt`)."""
        return [s for s in self.state.asset_sessions.values() if s.account_id == self.account_id]

    def add_asset(self, hash: str, data: bytes, *, content_type: str | None = None,  # noqa: A002 - the API's word
                  account_id: str | None = None) -> None:
        """Put a file in the account's asset store, as an earlier deploy would have (no checks)."""
        with self.lock:
            state_assets.account_store(self.state, account_id or self.account_id)[hash] = \
                state_assets.StoredAsset(data, content_type)

    def script_assets(self, name: str, account_id: str | None = None) -> state_assets.VersionAssets | None:
        """The live version's assets of a Worker (`.manifest`: path -> {hash, size}; `.config`: the
        uploaded metadata.assets.config), or None. KeyError if the Worker was never uploaded."""
        return self.script(name, account_id).current.assets

    def expire_asset_sessions(self, *, completion_tokens: bool = False) -> int:
        """Expire every upload session now (uploads then get 401 `assets_session_expired`), and with
        `completion_tokens=True` every unredeemed completion token (script uploads: 400
        `assets_jwt_expired`); returns how many. The jwts' `exp` claims are not rewritten: to hand
        out jwts whose `exp` is already past, set `state.config.asset_jwt_ttl` to a negative number."""
        with self.lock:
            return state_assets.expire(self.state, completion_tokens=completion_tokens)

    # -- reading state ------------------------------------------------------------------------------
    @property
    def scripts(self) -> dict[str, state_workers.Script]:
        """The default account's Workers by name."""
        return self.state.account_scripts(self.account_id)

    def script(self, name: str, account_id: str | None = None) -> state_workers.Script:
        """One Worker (KeyError if it was never uploaded)."""
        return self.state.account_scripts(account_id or self.account_id)[name]

    @property
    def kv(self) -> dict[str, state_kv.Namespace]:
        """KV namespaces of every account by id."""
        return self.state.kv

    def kv_namespace(self, title: str, account_id: str | None = None) -> state_kv.Namespace:
        """The namespace with this title (KeyError if none)."""
        aid = account_id or self.account_id
        for ns in self.state.kv.values():
            if ns.title == title and ns.account_id == aid:
                return ns
        raise KeyError(title)

    @property
    def queues(self) -> dict[str, state_queues.Queue]:
        """The default account's queues by name."""
        return {q.name: q for q in self.state.queues.values() if q.account_id == self.account_id}

    def queue(self, name: str, account_id: str | None = None) -> state_queues.Queue:
        """The queue called `name` (KeyError if none)."""
        q = state_queues.find_queue(self.state, account_id or self.account_id, name)
        if q is None:
            raise KeyError(name)
        return q

    @property
    def r2_buckets(self) -> list[state_storage.Bucket]:
        """The default account's R2 buckets in every jurisdiction (each has `.jurisdiction`), by name."""
        return sorted((b for b in self.state.r2_buckets.values() if b.account_id == self.account_id),
                      key=lambda b: (b.name, b.jurisdiction))

    @property
    def d1_databases(self) -> dict[str, state_storage.Database]:
        """The default account's D1 databases by name."""
        return {d.name: d for d in self.state.d1.values() if d.account_id == self.account_id}

    @property
    def workflows(self) -> dict[str, state_workflows.Workflow]:
        """The default account's Workflows by name."""
        return {name: wf for (aid, name), wf in self.state.workflows.items() if aid == self.account_id}

    def dns_records(self, zone_id: str) -> list[dict[str, Any]]:
        """The zone's DNS records."""
        return list(self.state.dns.get(zone_id, {}).values())

    def routes(self, zone_id: str) -> list[state_triggers.WorkerRoute]:
        """The zone's Worker routes."""
        return list(self.state.zone_routes.get(zone_id, []))

    @property
    def domains(self) -> list[state_triggers.CustomDomain]:
        """Every custom domain."""
        return list(self.state.domains.values())

    @property
    def purges(self) -> list[state_cache.Purge]:
        """Accepted cache purges, oldest first."""
        return list(self.state.purges)
