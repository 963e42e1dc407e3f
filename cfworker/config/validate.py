"""Raw worker.toml dict -> (Project | None, Diagnostics), with [env.NAME] applied (pure, no I/O).

Credentials are refused and dropped, keys are checked in every environment, then the top
level and the selected env are validated as two layers and merged by wrangler's rules
(api-notes §7.2): inheritable keys fall back to the top, `name` becomes `<name>-<env>`,
vars/bindings/secrets/define/queue consumers are not inherited (with a warning; the binding
table marks the few inheritable kinds), migrations and limits are, and neither are the hooks
([[dns]], [purge], dns_batch_size: they act outside the Worker, so a staging deploy must not
touch production's records or cache); routes and triggers are.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cfworker.bindings.check import check_layer, check_unique_names
from cfworker.bindings.kind import BindingSpec
from cfworker.bindings.table import KINDS
from cfworker.config import bindings as b
from cfworker.config import sections as s
from cfworker.config.assets import check_assets
from cfworker.config.build import BuildLayer, check_build, compose_build
from cfworker.config.checks import describe, expect_bool, expect_str_list, expect_table
from cfworker.config.consumers import check_consumers
from cfworker.config.diagnostics import Diagnostics, key_path
from cfworker.config.hooks import check_dns, check_dns_batch_size, check_purge
from cfworker.config.locate import LineIndex
from cfworker.config.migrations import check_migrations
from cfworker.config.model import (
    AssetsSpec,
    DnsRecordSpec,
    MigrationSpec,
    Project,
    PurgeSpec,
    QueueConsumerSpec,
    RouteSpec,
    VarSpec,
)
from cfworker.config.schema import NOT_INHERITED
from cfworker.config.structure import check_structure, strip_credentials


@dataclass
class _Layer:
    """What one level (the top, or one [env.NAME]) sets; None means not set there."""

    raw: dict[str, Any]
    prefix: str
    main: Path | None = None
    compatibility_date: str | None = None
    compatibility_flags: tuple[str, ...] | None = None
    account_id: str | None = None
    workers_dev: bool | None = None
    preview_urls: bool | None = None
    routes: tuple[RouteSpec, ...] | None = None
    crons: tuple[str, ...] | None = None
    build: BuildLayer = field(default_factory=BuildLayer)
    dns: tuple[DnsRecordSpec, ...] | None = None
    dns_batch_size: int | None = None
    purge: PurgeSpec | None = None
    logpush: bool | None = None
    observability: dict[str, Any] | None = None
    placement: dict[str, Any] | None = None
    usage_model: str | None = None
    tags: tuple[str, ...] | None = None
    keep_vars: bool | None = None
    limits: dict[str, Any] | None = None
    tail_consumers: tuple[dict[str, Any], ...] | None = None
    streaming_tail_consumers: tuple[dict[str, Any], ...] | None = None
    migrations: tuple[MigrationSpec, ...] | None = None
    assets: AssetsSpec | None = None
    vars: tuple[VarSpec, ...] | None = None
    secrets: tuple[str, ...] | None = None
    bindings: dict[str, tuple[BindingSpec, ...]] = field(default_factory=dict)  # kind key -> what this layer sets
    consumers: tuple[QueueConsumerSpec, ...] | None = None
    names: b.Names = field(default_factory=list)

    def path(self, key: str) -> str:
        return key_path(self.prefix, key)


def validate(raw: dict[str, Any], *, config_path: Path, source_text: str | None = None, env: str | None = None,
             today: datetime.date | None = None, display_path: str | None = None,
             is_file: Callable[[Path], bool] | None = None,
             line_of: Callable[[str], int | None] | None = None) -> tuple[Project | None, Diagnostics]:
    """Check a parsed worker.toml and build the Project for `env` (None: the top level).

    `line_of` maps a key path to its line (default: read from `source_text` as TOML; a wrangler
    JSON config brings its own, `cfworker.config.jsonc.JsonIndex`).
    `today` bounds compatibility_date (the loader passes it; None reads the local date);
    `is_file`, when given, is asked whether `main` exists so that problem is reported with
    all the others.
    """
    d = Diagnostics(display_path or str(config_path), line_of=line_of or LineIndex(source_text).line_of)
    clean = strip_credentials(d, raw)
    check_structure(d, clean)
    root = config_path.parent
    today = today or datetime.date.today()
    top = _layer(d, clean, "", root, today)
    envs = expect_table(d, "env", clean["env"], hint="write environments as [env.NAME] tables") if "env" in clean else {}
    env_layer = None
    if env is not None:
        chosen = (envs or {}).get(env)
        if isinstance(chosen, dict):
            env_layer = _layer(d, chosen, key_path("env", env), root, today)
        elif chosen is None:
            defined = ", ".join(sorted(k for k, v in (envs or {}).items() if isinstance(v, dict)))
            d.error(key_path("env", env), f'environment "{env}" is not defined in this file',
                    f"environments defined here: {defined}" if defined else
                    f"this file has no [env.*] tables; add [env.{env}] or deploy without --env", line=0)
    project = _compose(d, config_path, top, env_layer, env, today)
    # With a [build] command, main may be what the command makes: the build checks it after running it.
    if (project is not None and project.main is not None and is_file is not None and not project.build.command
            and not is_file(project.main)):
        where = env_layer.path("main") if env_layer is not None and "main" in env_layer.raw else "main"
        d.error(where, f"the entry module {project.main} does not exist",
                f"create it, or set main to your entry module (relative to {root})")

    return (None if d.has_errors() else project), d


def _layer(d: Diagnostics, raw: dict[str, Any], prefix: str, root: Path, today: datetime.date) -> _Layer:
    """Validate every key one level sets (name is checked in _compose, which knows the env)."""
    layer = _Layer(raw, prefix)
    p = layer.path
    if "main" in raw:
        layer.main = s.check_main(d, p("main"), raw["main"], root)
    if "compatibility_date" in raw:
        layer.compatibility_date = s.check_compatibility_date(d, p("compatibility_date"), raw["compatibility_date"], today)
    if "compatibility_flags" in raw:
        layer.compatibility_flags = expect_str_list(d, p("compatibility_flags"), raw["compatibility_flags"],
                                                    hint='write compatibility_flags = ["nodejs_compat"]')
    if "account_id" in raw:
        layer.account_id = s.check_account_id(d, p("account_id"), raw["account_id"])
    for key in ("workers_dev", "preview_urls", "logpush", "keep_vars"):
        if key in raw:
            setattr(layer, key, expect_bool(d, p(key), raw[key]))
    layer.routes = s.check_routes(d, raw, prefix)
    if "triggers" in raw:
        layer.crons = s.check_crons(d, p("triggers"), raw["triggers"])
    layer.build = check_build(d, raw, prefix, root)
    if "vars" in raw:
        layer.vars = b.check_vars(d, p("vars"), raw["vars"], layer.names)
    if "secrets" in raw:
        layer.secrets = b.check_secrets(d, p("secrets"), raw["secrets"], layer.names)
    if "assets" in raw:
        layer.assets = check_assets(d, p("assets"), raw["assets"], root)
        if layer.assets is not None and layer.assets.binding:
            layer.names.append((layer.assets.binding, key_path(p("assets"), "binding")))
    layer.bindings = check_layer(d, raw, prefix, layer.names)
    check_unique_names(d, layer.names)
    if isinstance(raw.get("queues"), dict) and "consumers" in raw["queues"]:
        layer.consumers = check_consumers(d, p("queues.consumers"), raw["queues"]["consumers"])
    if "migrations" in raw:
        layer.migrations = check_migrations(d, p("migrations"), raw["migrations"])
    if "limits" in raw:
        layer.limits = s.check_limits(d, p("limits"), raw["limits"])
    for key in ("tail_consumers", "streaming_tail_consumers"):
        if key in raw:
            setattr(layer, key, s.check_tail_consumers(d, p(key), raw[key], environment=key == "tail_consumers"))
    if "dns" in raw:
        layer.dns = check_dns(d, p("dns"), raw["dns"])
    if "dns_batch_size" in raw:
        layer.dns_batch_size = check_dns_batch_size(d, p("dns_batch_size"), raw["dns_batch_size"])
    if "purge" in raw:
        layer.purge = check_purge(d, p("purge"), raw["purge"])
    if "observability" in raw:
        layer.observability = s.check_observability(d, p("observability"), raw["observability"])
    if "placement" in raw:
        layer.placement = s.check_placement(d, p("placement"), raw["placement"])
    if "usage_model" in raw:
        layer.usage_model = s.check_usage_model(d, p("usage_model"), raw["usage_model"])
    if "tags" in raw:
        layer.tags = s.check_tags(d, p("tags"), raw["tags"])
    return layer


def _compose(d: Diagnostics, config_path: Path, top: _Layer, env: _Layer | None, env_name: str | None,
             today: datetime.date) -> Project | None:
    """Merge the layers into a Project (wrangler's inheritance); None when required keys are missing."""

    def inherit(attr: str) -> Any:
        own = getattr(env, attr) if env is not None else None
        return own if own is not None else getattr(top, attr)

    name = _name(d, top, env, env_name)
    if env is not None and env_name is not None:
        _warn_not_inherited(d, top, env)
    assets = inherit("assets")
    for key, example in (("main", '"src/index.ts"'), ("compatibility_date", f'"{today.isoformat()}"')):
        if key not in top.raw and (env is None or key not in env.raw):
            if key == "main" and (assets is not None or "assets" in top.raw or (env and "assets" in env.raw)):
                continue  # an assets-only Worker: Cloudflare serves the folder, no code is uploaded
            d.error(key, "is required", f"add {key} = {example} at the top of the file"
                    + (" (or an [assets] directory for a static site)" if key == "main" else ""))
    main, compatibility_date = inherit("main"), inherit("compatibility_date")
    selected = env if env is not None else top
    build = compose_build(d, top.build, env.build if env else None, env.prefix if env else None)
    if main is None and assets is not None:  # an assets-only Worker: nothing runs, so nothing binds (wrangler's rules)
        where = env.prefix + ".assets" if env is not None and "assets" in env.raw else "assets"
        if assets.binding:
            d.error(key_path(where, "binding"), "an assets-only Worker (no main) has no code to use a binding",
                    "remove binding, or set main to a Worker script that uses it")
        if assets.run_worker_first:
            d.error(key_path(where, "run_worker_first"), "an assets-only Worker (no main) has no Worker to run first",
                    "remove run_worker_first, or set main to a Worker script")
    if name is None or (main is None and assets is None) or compatibility_date is None:
        return None
    bindings: list[BindingSpec] = []
    for kind in KINDS:  # not inherited by [env.X], except the kinds the table marks inheritable
        own = selected.bindings.get(kind.key)
        bindings += own if own is not None else (top.bindings.get(kind.key, ()) if kind.inheritable else ())
    return Project(
        config_path=config_path, root=config_path.parent, name=name, main=main,
        compatibility_date=compatibility_date, env=env_name,
        compatibility_flags=inherit("compatibility_flags") or (), account_id=inherit("account_id"),
        workers_dev=inherit("workers_dev"), preview_urls=inherit("preview_urls"), routes=inherit("routes") or (),
        crons=inherit("crons"), build=build, dns=selected.dns, purge=selected.purge,
        dns_batch_size=selected.dns_batch_size,
        keep_vars=bool(top.keep_vars), logpush=inherit("logpush"), observability=inherit("observability"),
        placement=inherit("placement"), usage_model=inherit("usage_model"), tags=inherit("tags") or (),
        vars=selected.vars or (), secrets=selected.secrets or (), bindings=tuple(bindings),
        queue_consumers=selected.consumers or (), migrations=inherit("migrations") or (),
        # tail consumers are @nonInheritable in wrangler (workers-utils config/environment.ts): an
        # [env.X] without its own keeps none rather than tailing into production's consumer.
        limits=inherit("limits"), tail_consumers=selected.tail_consumers,
        streaming_tail_consumers=selected.streaming_tail_consumers, assets=assets,
    )


def _name(d: Diagnostics, top: _Layer, env: _Layer | None, env_name: str | None) -> str | None:
    """The Worker name: the env's own `name`, else `<top name>-<env>`, else the top-level name."""
    top_name = s.check_name(d, "name", top.raw["name"]) if "name" in top.raw else None
    if env is not None and "name" in env.raw:
        return s.check_name(d, env.path("name"), env.raw["name"])
    if "name" not in top.raw:
        where = f" (or in [{env.prefix}])" if env is not None else ""
        d.error("name", "is required", f'add name = "my-worker" at the top of the file{where}')
        return None
    if top_name is None or env is None:
        return top_name
    return s.check_name(d, env.prefix, f"{top_name}-{env_name}", derived=f'"{top_name}" + "-{env_name}"')


def _warn_not_inherited(d: Diagnostics, top: _Layer, env: _Layer) -> None:
    """Wrangler's notInheritable warnings, plus custom domains an env would take over."""
    for key in NOT_INHERITED:
        if key in ("dns", "purge") and key in top.raw and key not in env.raw:
            d.warn(env.prefix, f"`{key}` is set at the top level but not in [{env.prefix}]; post-deploy hooks are "
                   "not inherited, so deploying this environment never touches the top level's "
                   f"{'DNS records' if key == 'dns' else 'cache'}", f"add {key} to [{env.prefix}] if it needs its own")
        elif key != "define" and key in top.raw and key not in env.raw:
            d.warn(env.prefix, f"`{key}` is set at the top level but not in [{env.prefix}]; it is not inherited, "
                   "so this environment has none", f"add {key} to [{env.prefix}]; an empty one silences this")
    inherits_routes = "route" not in env.raw and "routes" not in env.raw
    domains = [r.pattern for r in top.routes or () if r.custom_domain]
    if inherits_routes and domains:
        d.warn(env.prefix, f"inherits the top-level custom domain(s) {describe(domains)}; deploying it would move "
               "them to this environment's Worker", f"set routes in [{env.prefix}] (routes = [] for none)")
