"""Which keys worker.toml accepts where, and what happens to wrangler keys it does not (pure).

The one place that lists keys: `TOP`/`ENV` and their sub-tables drive the unknown-key
check (and the worker.toml.example test), `UNSUPPORTED` says per wrangler key whether it
is an error (with what to do instead) or a warning (local dev only, ignored), and
`CREDENTIAL_KEYS` are refused anywhere. `NOT_INHERITED` follows wrangler's env rules.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Union

from cfworker.bindings.table import KINDS
from cfworker.config.assets import KEYS as ASSETS_KEYS
from cfworker.config.consumers import KEYS as CONSUMER_KEYS
from cfworker.config.migrations import KEYS as MIGRATION_KEYS


@dataclass(frozen=True, slots=True)
class Table:
    """A table (or each table of an array of tables) with a known set of keys."""

    name: str  # section name used by UNSUPPORTED and in messages
    keys: dict[str, Node] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Open:
    """A table whose keys are user data (vars, define) or passed through (observability)."""


@dataclass(frozen=True, slots=True)
class Envs:
    """The [env] table: any names, each an environment table."""


Node = Union[Table, Open, Envs, None]  # None: a scalar or a list of scalars
OPEN = Open()

ROUTE = Table("routes", {"pattern": None, "zone_name": None, "zone_id": None, "custom_domain": None})
TRIGGERS = Table("triggers", {"crons": None})
RULE = Table("rules", {"type": None, "globs": None, "fallthrough": None})
BUILD = Table("build", {
    "command": None, "cwd": None, "watch_dir": None, "minify": None, "sourcemap": None, "keep_names": None,
    "define": OPEN, "external": None, "rules": RULE, "loader": RULE, "esbuild": None, "target": None,
})
PLACEMENT = Table("placement", {"mode": None, "hint": None})
SECRETS = Table("secrets", {"required": None})
DNS = Table("dns", {"type": None, "name": None, "content": None, "ttl": None, "proxied": None,
                    "priority": None, "comment": None, "tags": None, "zone": None})
PURGE = Table("purge", {"everything": None, "files": None, "tags": None, "hosts": None, "prefixes": None,
                        "chunk_size": None, "zone": None})
MIGRATIONS = Table("migrations", {key: None for key in MIGRATION_KEYS})
CONSUMER = Table("queues.consumers", {key: None for key in CONSUMER_KEYS})
LIMITS = Table("limits", {"cpu_ms": None, "subrequests": None})
TAIL = Table("tail_consumers", {"service": None, "environment": None})
STREAMING_TAIL = Table("streaming_tail_consumers", {"service": None})
ASSETS = Table("assets", {key: None for key in ASSETS_KEYS})


def _binding_tables() -> dict[str, Node]:
    """The schema of every binding kind, from the binding table (nested kinds under their parent)."""
    out: dict[str, Node] = {}
    parents: dict[str, dict[str, Node]] = {"queues": {"consumers": CONSUMER}}
    for kind in KINDS:
        table = Table(kind.key, {f.key: None for f in kind.fields})
        if kind.parent is None:
            out[kind.key] = table
        else:
            parents.setdefault(kind.parent, {})[kind.child] = table
    for parent, children in parents.items():
        out[parent] = Table(parent, children)
    return out


_LAYER_KEYS: dict[str, Node] = {
    "name": None, "main": None, "compatibility_date": None, "compatibility_flags": None, "account_id": None,
    "workers_dev": None, "preview_urls": None, "route": ROUTE, "routes": ROUTE,
    "vars": OPEN, **_binding_tables(), "migrations": MIGRATIONS,
    "secrets": SECRETS, "triggers": TRIGGERS, "build": BUILD,
    "minify": None, "define": OPEN, "rules": RULE, "keep_names": None, "upload_source_maps": None,
    "dns": DNS, "dns_batch_size": None, "purge": PURGE, "logpush": None, "observability": OPEN, "placement": PLACEMENT,
    "usage_model": None, "tags": None, "limits": LIMITS, "tail_consumers": TAIL,
    "streaming_tail_consumers": STREAMING_TAIL, "assets": ASSETS,
}
TOP = Table("top", {**_LAYER_KEYS, "keep_vars": None, "env": Envs()})
ENV = Table("env", dict(_LAYER_KEYS))

# Keys an [env.NAME] does not inherit (wrangler warns when only the top level has them): every binding
# kind but the inheritable ones (the table says which), vars, secrets, define, queue consumers. The hooks
# act outside the Worker (DNS records, cache purges), so they belong to the table they are written in,
# or a staging deploy would act on production (real-api-quirks #12, api-notes §7.2).
NOT_INHERITED = ("vars", *sorted({k.parent or k.key for k in KINDS if not k.inheritable}), "secrets", "define",
                 "dns", "purge", "tail_consumers", "streaming_tail_consumers")  # tails: @nonInheritable in wrangler
# Wrangler's top-level spellings of [build] keys: key at the top level -> key in [build].
BUILD_ALIASES = {"minify": "minify", "define": "define", "rules": "rules", "keep_names": "keep_names",
                 "upload_source_maps": "sourcemap"}

CREDENTIAL_KEYS = frozenset({"api_token", "api_key", "token", "cloudflare_api_token", "cloudflare_api_key",
                             "cf_api_token", "cf_api_key", "global_api_key"})


@dataclass(frozen=True, slots=True)
class Unsupported:
    """A wrangler key cfworker does not act on: an error with what to do, or a warning (ignored)."""

    severity: Literal["error", "warning"]
    reason: str
    hint: str


def _err(reason: str, hint: str) -> Unsupported:
    return Unsupported("error", reason, hint)


def _dev_only(reason: str = "only affects local development (wrangler dev); cfworker ignores it") -> Unsupported:
    return Unsupported("warning", reason, "remove it to silence this warning")


_V1 = "remove it: cfworker bundles `main` with esbuild and uploads an ES module Worker"
_NO_ASSETS = "serve static files from R2 or Cloudflare Pages, or deploy this Worker with wrangler"
_NOT_YET = "remove it, or deploy this Worker with wrangler"
_BUNDLE = "remove it: cfworker always bundles `main` with esbuild (a [build] command can prebuild)"


def _ignored_binding_keys() -> dict[tuple[str, str], Unsupported]:
    """Wrangler keys of binding tables that cfworker accepts and ignores (the binding table lists them)."""
    return {(kind.key, key): _dev_only(reason) for kind in KINDS for key, reason in kind.ignored}


# (section, key) -> what cfworker does with that wrangler key. Section "env" falls back to "top".
UNSUPPORTED: dict[tuple[str, str], Unsupported] = {
    **_ignored_binding_keys(),
    ("top", "type"): _err("wrangler v1 project type, not used by cfworker", _V1),
    ("top", "webpack_config"): _err("wrangler v1 webpack build, not supported",
                                    "run webpack in [build] command and point `main` at its output"),
    ("top", "zone_id"): _err("top-level zone_id is a wrangler v1 key",
                             'give each route its zone: routes = [{ pattern = "example.com/*", zone_id = "..." }]'),
    ("top", "private"): _err("wrangler v1 key, not used by cfworker", "remove it"),
    ("top", "target_type"): _err("wrangler v1 key, not used by cfworker", _V1),
    ("top", "kv-namespaces"): _err("wrangler v1 spelling of kv_namespaces", "rename it to kv_namespaces"),
    ("top", "node_compat"): _err("wrangler v2 Node.js polyfills are not supported",
                                 'use compatibility_flags = ["nodejs_compat"] instead'),
    ("top", "legacy_env"): _err("removed in wrangler v3", "remove it: each [env.NAME] deploys as the Worker <name>-<env>"),
    ("top", "site"): _err("Workers Sites are not supported by cfworker", _NO_ASSETS),
    ("assets", "experimental_serve_directly"): _err("replaced by run_worker_first in wrangler",
                                                    "remove it; run_worker_first = true runs the Worker first"),
    ("top", "pages_build_output_dir"): _err("this is a Cloudflare Pages project",
                                            "deploy it with `wrangler pages deploy`; cfworker deploys Workers"),
    ("top", "containers"): _err("containers are not supported by cfworker: they need a container image built "
                                "with Docker and pushed to Cloudflare's registry", _NOT_YET),
    ("top", "exports"): _err("the declarative `exports` map of Durable Object classes is not supported",
                             'declare the classes with [[migrations]] (tag = "v1", new_sqlite_classes = [...])'),
    ("top", "cloudchamber"): _err("Cloudchamber (containers) is not supported by cfworker", _NOT_YET),
    ("top", "previews"): _err("per-preview settings are not supported by cfworker", "remove it"),
    ("top", "cache"): _err("the `cache` settings are not supported by cfworker yet", _NOT_YET),
    ("top", "compliance_region"): _err("FedRAMP compliance regions are not supported by cfworker", _NOT_YET),
    ("top", "first_party_worker"): _err("first-party Workers are Cloudflare-internal", "remove it"),
    ("top", "python_modules"): _err("Python Workers are not supported by cfworker", _NOT_YET),
    ("top", "unsafe_hello_world"): _err("a wrangler test binding, not for deploys", "remove it"),
    ("unsafe", "metadata"): _err("unsafe metadata is not supported by cfworker", _NOT_YET),
    ("unsafe", "capnp"): _err("unsafe capnp schemas are not supported by cfworker", _NOT_YET),
    ("top", "wasm_modules"): _err("service-worker module globals are not supported",
                                  "import the file from your code; [build] rules decide how it is uploaded"),
    ("top", "text_blobs"): _err("service-worker module globals are not supported",
                                "import the file from your code; [build] rules decide how it is uploaded"),
    ("top", "data_blobs"): _err("service-worker module globals are not supported",
                                "import the file from your code; [build] rules decide how it is uploaded"),
    ("top", "no_bundle"): _err("cfworker always bundles", _BUNDLE),
    ("top", "find_additional_modules"): _err("cfworker always bundles", _BUNDLE),
    ("top", "preserve_file_names"): _err("cfworker always bundles", _BUNDLE),
    ("top", "base_dir"): _err("cfworker always bundles", _BUNDLE),
    ("top", "alias"): _err("import aliases are not supported by cfworker",
                           'use "imports" in package.json or "paths" in tsconfig.json, which esbuild reads'),
    ("top", "jsx_factory"): _err("not supported by cfworker", "set jsxFactory in tsconfig.json (esbuild reads it)"),
    ("top", "jsx_fragment"): _err("not supported by cfworker", "set jsxFragmentFactory in tsconfig.json"),
    ("top", "tsconfig"): _err("not supported by cfworker", "remove it: esbuild finds tsconfig.json next to your code"),
    ("top", "dev"): _dev_only(),
    ("top", "send_metrics"): _dev_only("wrangler telemetry setting; cfworker ignores it"),
    ("top", "miniflare"): _dev_only("miniflare (local test runner) setting; cfworker ignores it"),
    # wrangler's `access` holds only `dev` (workers-sdk workers-utils config/environment.ts, interface
    # Access): a simulated Cloudflare Access identity for wrangler dev. Seen in cloudflare/templates.
    ("top", "access"): _dev_only("only simulates Cloudflare Access for local development (wrangler dev); "
                                 "cfworker ignores it"),
    ("env", "keep_vars"): _err("can only be set at the top level", "move keep_vars above the first [env.*] table"),
    ("routes", "enabled"): _err("not supported by cfworker", "remove it"),
    ("routes", "previews_enabled"): _err("not supported by cfworker", "remove it"),
    ("queues.consumers", "visibility_timeout_ms"): _err("applies to HTTP pull consumers, which a deploy does not "
                                                        "attach", "remove it; set it on the pull consumer"),
    ("durable_objects", "classes"): _err("wrangler v1 spelling",
                                         'use [[durable_objects.bindings]] with name = "..." and class_name = "..."'),
    ("queues", "bindings"): _err("pre-release queues syntax",
                                 'use [[queues.producers]] with binding = "..." and queue = "..."'),
    ("build", "upload"): _err("[build.upload] is a wrangler v1 table",
                              "remove it: set `main` to your entry file; file rules go in [build] rules"),
    ("build", "upload_dir"): _err("wrangler v1 key, not used by cfworker", _V1),
    ("build", "upload_format"): _err("wrangler v1 key, not used by cfworker", _V1),
}


def unsupported(section: str, key: str) -> Unsupported | None:
    """What to do about a wrangler key cfworker does not accept here (None: simply unknown)."""
    found = UNSUPPORTED.get((section, key))
    if found is None and section == "env":
        found = UNSUPPORTED.get(("top", key))
    return found
