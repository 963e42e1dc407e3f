"""The validated project model: what worker.toml means once checked (pure).

`config.validate` turns raw TOML into these frozen dataclasses; every later stage
(bundle, upload form, planner, hooks, watch) reads only these types, never raw TOML.
Optional values use None for "not configured", which is different from an empty value:
`crons=None` leaves the remote schedules alone, `crons=()` clears them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from cfworker.bindings.kind import BindingSpec

ModuleRuleType = Literal["text", "data", "wasm"]

# From this date workerd turns Node.js compatibility on by default (api-notes §7.1).
NODEJS_COMPAT_DEFAULT_DATE = "2026-08-04"
NODEJS_COMPAT_V2_DATE = "2024-09-23"  # nodejs_compat means v2 (polyfills) from this date


@dataclass(frozen=True, slots=True)
class ModuleRule:
    """Imports matching any glob are kept out of the bundle and uploaded as their own module."""

    type: ModuleRuleType
    globs: tuple[str, ...]


DEFAULT_MODULE_RULES: tuple[ModuleRule, ...] = (
    ModuleRule("text", ("**/*.txt", "**/*.html", "**/*.sql")),
    ModuleRule("data", ("**/*.bin",)),
    ModuleRule("wasm", ("**/*.wasm", "**/*.wasm?module")),
)


@dataclass(frozen=True, slots=True)
class BuildSpec:
    """[build]: the custom command and the esbuild options."""

    command: str | None = None
    cwd: Path | None = None  # where `command` runs; default: the project root
    watch_dirs: tuple[Path, ...] = ()  # extra paths watch mode observes (absolute)
    minify: bool = False
    # External .map: None (default, as wrangler) writes it for local use (`cfworker dev`, the
    # start-up check) without uploading it; True also uploads it; False writes none.
    sourcemap: bool | None = None
    define: tuple[tuple[str, str], ...] = ()  # (identifier, JS expression)
    external: tuple[str, ...] = ()
    rules: tuple[ModuleRule, ...] = DEFAULT_MODULE_RULES  # user rules first, then defaults
    esbuild: Path | None = None  # explicit esbuild binary ([build] esbuild = "path")
    target: str = "es2022"
    keep_names: bool = True


@dataclass(frozen=True, slots=True)
class RouteSpec:
    """One entry of route/routes: a pattern with an optional zone, or a custom domain."""

    pattern: str
    zone_name: str | None = None
    zone_id: str | None = None
    custom_domain: bool = False


@dataclass(frozen=True, slots=True)
class VarSpec:
    """A [vars] entry: strings upload as plain_text, any other TOML value as json."""

    name: str
    value: Any

    @property
    def is_text(self) -> bool:
        return isinstance(self.value, str)


@dataclass(frozen=True, slots=True)
class MigrationSpec:
    """One [[migrations]] entry: a tag and the Durable Object class changes it applies."""

    tag: str
    new_classes: tuple[str, ...] = ()
    new_sqlite_classes: tuple[str, ...] = ()
    renamed_classes: tuple[tuple[str, str], ...] = ()  # (from, to)
    deleted_classes: tuple[str, ...] = ()
    transferred_classes: tuple[tuple[str, str, str], ...] = ()  # (from, from_script, to)

    def step(self) -> dict[str, Any]:
        """The migration step as the upload metadata carries it (wrangler's keys, minus the tag)."""
        step: dict[str, Any] = {}
        if self.new_classes:
            step["new_classes"] = list(self.new_classes)
        if self.new_sqlite_classes:
            step["new_sqlite_classes"] = list(self.new_sqlite_classes)
        if self.renamed_classes:
            step["renamed_classes"] = [{"from": a, "to": b} for a, b in self.renamed_classes]
        if self.deleted_classes:
            step["deleted_classes"] = list(self.deleted_classes)
        if self.transferred_classes:
            step["transferred_classes"] = [{"from": a, "from_script": s, "to": b} for a, s, b in self.transferred_classes]
        return step

    @property
    def destructive(self) -> bool:
        """Deleting a class loses its data; transferring one moves it away from its Worker."""
        return bool(self.deleted_classes or self.transferred_classes)


HtmlHandling = Literal["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"]
NotFoundHandling = Literal["none", "404-page", "single-page-application"]


@dataclass(frozen=True, slots=True)
class AssetsSpec:
    """[assets]: a folder of static files Cloudflare serves in front of (or instead of) the Worker."""

    directory: Path  # absolute
    binding: str | None = None  # the Worker reads them with env.<binding>.fetch()
    html_handling: HtmlHandling = "auto-trailing-slash"
    not_found_handling: NotFoundHandling = "none"
    run_worker_first: bool | tuple[str, ...] = False  # True, or route patterns (`/api/*`, `!/api/docs`)

    def config(self) -> dict[str, Any]:
        """`metadata.assets.config` as wrangler sends it (defaults left out)."""
        out: dict[str, Any] = {}
        if self.html_handling != "auto-trailing-slash":
            out["html_handling"] = self.html_handling
        if self.not_found_handling != "none":
            out["not_found_handling"] = self.not_found_handling
        if self.run_worker_first:
            out["run_worker_first"] = list(self.run_worker_first) if isinstance(self.run_worker_first, tuple) \
                else True
        return out


@dataclass(frozen=True, slots=True)
class QueueConsumerSpec:
    """A [[queues.consumers]] entry: this Worker consumes `queue` with these settings."""

    queue: str
    max_batch_size: int | None = None
    max_batch_timeout: float | None = None  # seconds
    max_retries: int | None = None
    dead_letter_queue: str | None = None
    max_concurrency: int | None = None
    retry_delay: int | None = None  # seconds

    def settings(self) -> dict[str, Any]:
        """The consumer `settings` the queues API takes (max_batch_timeout is sent in milliseconds)."""
        out: dict[str, Any] = {}
        if self.max_batch_size is not None:
            out["batch_size"] = self.max_batch_size
        if self.max_retries is not None:
            out["max_retries"] = self.max_retries
        if self.max_batch_timeout is not None:
            out["max_wait_time_ms"] = int(round(self.max_batch_timeout * 1000))
        if self.max_concurrency is not None:
            out["max_concurrency"] = self.max_concurrency
        if self.retry_delay is not None:
            out["retry_delay"] = self.retry_delay
        return out


DnsType = Literal["A", "AAAA", "CNAME", "MX", "TXT", "NS"]


@dataclass(frozen=True, slots=True)
class DnsRecordSpec:
    """A [[dns]] record managed by the post-deploy DNS hook."""

    type: DnsType
    name: str  # as written: relative to the zone ("www", "@") or fully qualified
    content: str
    ttl: int = 1  # 1 = automatic
    proxied: bool | None = None  # None: the API default (A/AAAA/CNAME only)
    priority: int | None = None  # MX only
    comment: str | None = None
    tags: tuple[str, ...] = ()
    zone: str | None = None  # zone name; default: the longest account zone that suffixes `name`


@dataclass(frozen=True, slots=True)
class PurgeSpec:
    """[purge]: what the post-deploy hook purges. Exactly one kind per API request."""

    everything: bool = False
    files: tuple[str, ...] = ()  # may contain "{routes}" / "{host}" placeholders, expanded at plan time
    tags: tuple[str, ...] = ()
    hosts: tuple[str, ...] = ()
    prefixes: tuple[str, ...] = ()
    zone: str | None = None  # zone name; default: the zones of the Worker's routes
    chunk_size: int = 100  # items per request (Enterprise may raise URL purges to 500)


@dataclass(frozen=True, slots=True)
class Project:
    """A fully validated worker.toml, with the selected [env.NAME] already applied."""

    config_path: Path
    root: Path  # directory holding worker.toml; relative paths resolve against it
    name: str
    main: Path | None  # absolute path of the entry module; None for an assets-only Worker
    compatibility_date: str
    env: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    account_id: str | None = None
    workers_dev: bool | None = None  # None: true when there are no routes (wrangler's default)
    preview_urls: bool | None = None
    routes: tuple[RouteSpec, ...] = ()
    vars: tuple[VarSpec, ...] = ()
    bindings: tuple[BindingSpec, ...] = ()  # every binding kind of the table (cfworker.bindings), in table order
    migrations: tuple[MigrationSpec, ...] = ()
    queue_consumers: tuple[QueueConsumerSpec, ...] = ()
    crons: tuple[str, ...] | None = None  # None: leave remote schedules untouched
    secrets: tuple[str, ...] = ()  # names that must exist on the script before deploy
    build: BuildSpec = field(default_factory=BuildSpec)
    dns: tuple[DnsRecordSpec, ...] | None = None  # None: DNS left alone; (): delete records cfworker created
    dns_batch_size: int | None = None  # cap on records per DNS batch (None: the zone plan's 200 / 3,500)
    purge: PurgeSpec | None = None
    keep_vars: bool = False  # keep vars set in the dashboard (keep_bindings plain_text/json)
    logpush: bool | None = None
    observability: dict[str, Any] | None = None  # sent as-is: {"enabled": bool, ...}
    placement: dict[str, Any] | None = None  # {"mode": "smart"} etc.
    usage_model: str | None = None
    tags: tuple[str, ...] = ()
    limits: dict[str, Any] | None = None  # {cpu_ms?, subrequests?}: versioned, sent in the upload metadata
    tail_consumers: tuple[dict[str, Any], ...] | None = None  # non-versioned: [{service, environment?}]
    streaming_tail_consumers: tuple[dict[str, Any], ...] | None = None  # non-versioned: [{service}]
    assets: AssetsSpec | None = None
    # Version annotations from --message / --tag (workers/message, workers/tag): not config keys
    annotations: tuple[tuple[str, str], ...] = ()
    # Secrets from `deploy --secrets-file` (never from a config file): uploaded with the version
    deploy_secrets: tuple[tuple[str, str], ...] = field(default=(), repr=False)
    config_digest: str | None = None  # sha256 of the text validated (write-back checks it is unchanged)
    # For a config a build wrote (the Vite plugin's), the user's own config and environment: where
    # provisioned ids are written back, so they survive the next build
    write_back_to: tuple[Path, str | None] | None = None

    @property
    def entry(self) -> Path:
        """`main`, for code that runs only when there is one (an assets-only Worker has no bundle)."""
        if self.main is None:
            raise ValueError(f"{self.name} is an assets-only Worker: it has no main module")
        return self.main

    @property
    def wants_workers_dev(self) -> bool:
        """Whether the workers.dev subdomain should be on (explicit, else: no routes)."""
        if self.workers_dev is not None:
            return self.workers_dev
        return not self.routes

    @property
    def nodejs_compat(self) -> bool:
        """True when node:* imports are allowed (nodejs_compat v1 or v2, from a flag or the date)."""
        return self.node_compat_mode in ("v1", "v2")

    @property
    def node_compat_mode(self) -> Literal["v2", "v1", "als"] | None:
        """workerd's Node.js mode (workers-utils compatibility-date.ts resolveNodejsCompat and
        miniflare getNodeCompat): "v2" bundles polyfills for what the runtime lacks, "v1" keeps
        node:* for the runtime, "als" provides node:async_hooks only. nodejs_compat is on from
        NODEJS_COMPAT_DEFAULT_DATE without a flag; it means v2 from NODEJS_COMPAT_V2_DATE.
        One corner differs from wrangler's formula: `no_nodejs_compat` after the default date
        turns v2 off too, since workerd implies v2 from nodejs_compat rather than the date."""
        date, flags = self.compatibility_date, set(self.compatibility_flags)
        default_on = date >= NODEJS_COMPAT_DEFAULT_DATE
        compat = "nodejs_compat" in flags or (default_on and "no_nodejs_compat" not in flags)
        if "nodejs_compat_v2" in flags or ("no_nodejs_compat_v2" not in flags and compat
                                           and (default_on or date >= NODEJS_COMPAT_V2_DATE)):
            return "v2"
        if compat:
            return "v1"
        return "als" if "nodejs_als" in flags else None

    def bindings_of(self, kind: str) -> tuple[BindingSpec, ...]:
        """The project's bindings of one kind (a key of the binding table, e.g. "kv_namespaces")."""
        return tuple(b for b in self.bindings if b.kind == kind)

    def resource_name(self, spec: BindingSpec) -> str:
        """The name a provisioned resource is found or created by: the configured one, else
        `<worker name>-<binding lowercased, _ -> ->` (wrangler's autoProvisionedResourceName)."""
        configured = {"kv_namespaces": "title", "r2_buckets": "bucket_name", "d1_databases": "database_name"}
        given = spec.get(configured.get(spec.kind, ""))
        if given:
            return str(given)
        return f"{self.name}-{spec.name.lower().replace('_', '-')}"
