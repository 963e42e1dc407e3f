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

ModuleRuleType = Literal["text", "data", "wasm"]

# From this date workerd turns Node.js compatibility on by default (api-notes §7.1).
NODEJS_COMPAT_DEFAULT_DATE = "2026-08-04"


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
    sourcemap: bool = True  # external .map, uploaded as an application/source-map part
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
class KVNamespaceSpec:
    """A [[kv_namespaces]] entry. Without `id`, deploy finds the namespace by title or creates it."""

    binding: str
    id: str | None = None
    title: str | None = None  # default title: "<worker name>-<binding lowercased, _ -> ->"


@dataclass(frozen=True, slots=True)
class R2BucketSpec:
    binding: str
    bucket_name: str
    jurisdiction: str | None = None


@dataclass(frozen=True, slots=True)
class D1DatabaseSpec:
    binding: str
    database_id: str
    database_name: str | None = None


@dataclass(frozen=True, slots=True)
class ServiceSpec:
    binding: str
    service: str
    environment: str | None = None
    entrypoint: str | None = None


@dataclass(frozen=True, slots=True)
class DurableObjectSpec:
    name: str
    class_name: str
    script_name: str | None = None
    environment: str | None = None


@dataclass(frozen=True, slots=True)
class QueueProducerSpec:
    binding: str
    queue: str
    delivery_delay: int | None = None


@dataclass(frozen=True, slots=True)
class AnalyticsEngineSpec:
    binding: str
    dataset: str | None = None


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
    main: Path  # absolute path of the entry module
    compatibility_date: str
    env: str | None = None
    compatibility_flags: tuple[str, ...] = ()
    account_id: str | None = None
    workers_dev: bool | None = None  # None: true when there are no routes (wrangler's default)
    preview_urls: bool | None = None
    routes: tuple[RouteSpec, ...] = ()
    vars: tuple[VarSpec, ...] = ()
    kv_namespaces: tuple[KVNamespaceSpec, ...] = ()
    r2_buckets: tuple[R2BucketSpec, ...] = ()
    d1_databases: tuple[D1DatabaseSpec, ...] = ()
    services: tuple[ServiceSpec, ...] = ()
    durable_objects: tuple[DurableObjectSpec, ...] = ()
    queue_producers: tuple[QueueProducerSpec, ...] = ()
    analytics_engine_datasets: tuple[AnalyticsEngineSpec, ...] = ()
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
    config_digest: str | None = None  # sha256 of the text validated (write-back checks it is unchanged)

    @property
    def wants_workers_dev(self) -> bool:
        """Whether the workers.dev subdomain should be on (explicit, else: no routes)."""
        if self.workers_dev is not None:
            return self.workers_dev
        return not self.routes

    @property
    def nodejs_compat(self) -> bool:
        """True when node:* imports are allowed (kept external for the runtime to provide).

        On from the flags, or by default from compatibility date 2026-08-04 unless a
        no_nodejs_compat flag turns it off (api-notes §7.1).
        """
        flags = set(self.compatibility_flags)
        if flags & {"no_nodejs_compat", "no_nodejs_compat_v2"}:
            return False
        if flags & {"nodejs_compat", "nodejs_compat_v2"}:
            return True
        return self.compatibility_date >= NODEJS_COMPAT_DEFAULT_DATE

    def kv_title(self, spec: KVNamespaceSpec) -> str:
        """The title a KV namespace without an id is found or created by."""
        if spec.title:
            return spec.title
        return f"{self.name}-{spec.binding.lower().replace('_', '-')}"
