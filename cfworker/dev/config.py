"""The workerd configuration `cfworker dev` runs, as Cap'n Proto text (pure).

`capnp_config(project, bundle, ...)` returns the text of `workerd.capnp` plus warnings. The
config holds:
  * the Worker: the facade (`cfworker.dev.js`) as main module, then the bundle's modules
    (esModule / text / data / wasm), embedded from files beside the config;
  * its compatibility date (clamped to the newest the workerd binary supports) and flags;
  * bindings: [vars] strings as `text`, other values as `json`, `.dev.vars` secrets as
    `fromEnvironment` (the values reach workerd through its environment, never this file),
    and each KV namespace as a `kvNamespace` pointing at the local KV service with the
    namespace in `props`;
  * the KV service and its Durable Object storage on local disk (only when KV is bound);
  * an `internet` network that also reaches private addresses (a local API, say);
  * with [assets]: the assets service (`cfworker.dev.assets_js`) as the socket's entry, in
    front of the Worker (or alone, for an assets-only Worker), reading the folder through a
    read-only `disk` service; its config (files, ETags, parsed `_headers`/`_redirects`) is the
    JSON file ASSETS_CONFIG_NAME, and `assets.binding` is a second instance of it the Worker
    calls (asset resolution only);
  * one HTTP socket, `http`, whose listening socket cfworker passes in with --socket-fd.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from cfworker.bindings.kind import BindingSpec
from cfworker.bindings.table import kind
from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import Project
from cfworker.dev.assets import AssetsConfig, assets_config, worker_flags
from cfworker.dev.assets_js import ASSETS_MODULE
from cfworker.dev.js import FACADE_MODULE, KV_CLASS, KV_MODULE

CONFIG_NAME = "workerd.capnp"
SOCKET_NAME = "http"
WORKER_SERVICE = "worker"
KV_SERVICE = "cfworker-kv"
KV_DISK_SERVICE = "cfworker-kv-disk"
KV_UNIQUE_KEY = "cfworker-kv"
# The KV service itself only needs a date that has Durable Object SQLite storage.
KV_COMPATIBILITY_DATE = "2025-04-01"
ASSETS_SERVICE = "cfworker-assets"  # the router in front of the Worker
ASSETS_BINDING_SERVICE = "cfworker-assets-binding"  # what env.<assets.binding> reaches
ASSETS_DISK_SERVICE = "cfworker-assets-files"
ASSETS_CONFIG_NAME = "cfworker-assets.json"
ASSETS_COMPATIBILITY_DATE = "2025-04-01"
SECRET_ENV_PREFIX = "CFWORKER_DEV_SECRET_"

_CAPNP_TYPES = {"esm": "esModule", "text": "text", "data": "data", "wasm": "wasm"}
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


@dataclass(frozen=True, slots=True)
class DevConfig:
    """The config text, the secrets' environment for workerd, and what the user should know."""

    text: str
    environment: dict[str, str]  # env var -> secret value, passed to the workerd process only
    warnings: tuple[str, ...] = ()
    compatibility_date: str = ""
    files: Mapping[str, bytes] = field(default_factory=dict)  # more files beside the config (the assets JSON)
    notes: tuple[str, ...] = ()  # what the user may like to know (rules parsed)


def capnp_string(value: str) -> str:
    """A Cap'n Proto text literal: quoted, with quotes, backslashes and control characters escaped."""
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 0x20 or ord(ch) == 0x7F:
            out.append(f"\\x{ord(ch):02x}")
        else:
            out.append(ch)  # UTF-8 is fine inside a literal
    return '"' + "".join(out) + '"'


def runtime_date(version: str) -> str:
    """The newest compatibility date a workerd release supports: 1.20261117.1 -> 2026-11-17."""
    digits = version.split(".")[1] if version.count(".") == 2 else ""
    if len(digits) != 8 or not digits.isdigit():
        raise ValueError(f"not a workerd version: {version!r}")
    return f"{digits[:4]}-{digits[4:6]}-{digits[6:]}"


def effective_date(project_date: str, supported: str) -> tuple[str, str | None]:
    """The compatibility date to run with, and a warning when the project's is too new for workerd."""
    if project_date <= supported:
        return project_date, None
    return supported, (
        f"compatibility_date {project_date} is newer than this workerd supports ({supported}); "
        f"running with {supported}"
    )


def kv_namespace_key(project: Project, spec: BindingSpec) -> str:
    """Which local store a KV binding uses: its namespace id, else its title (bindings sharing one share data)."""
    return str(spec.get("id") or project.resource_name(spec))


def _module_entry(module: Module) -> str:
    kind = _CAPNP_TYPES[module.type]
    name = capnp_string(module.name)
    return f"(name = {name}, {kind} = embed {name})"


def _bindings(project: Project, secret_names: Sequence[str],
              assets_binding: str | None = None) -> tuple[list[str], dict[str, str]]:
    bindings: dict[str, str] = {}
    for var in project.vars:
        if var.is_text:
            bindings[var.name] = f"text = {capnp_string(var.value)}"
        else:
            bindings[var.name] = f"json = {capnp_string(json.dumps(var.value, default=str))}"
    environment_names: dict[str, str] = {}
    for index, name in enumerate(secret_names):  # .dev.vars wins over [vars], as in wrangler
        env_name = f"{SECRET_ENV_PREFIX}{index}"
        environment_names[name] = env_name
        bindings.pop(name, None)
        bindings[name] = f"fromEnvironment = {capnp_string(env_name)}"
    for spec in project.bindings_of("kv_namespaces"):
        props = capnp_string(json.dumps({"namespace": kv_namespace_key(project, spec)}))
        bindings[spec.name] = (
            f"kvNamespace = (name = {capnp_string(KV_SERVICE)}, props = (json = {props}))"
        )
    if assets_binding:
        bindings[assets_binding] = f"service = {capnp_string(ASSETS_BINDING_SERVICE)}"
    lines = [f"(name = {capnp_string(name)}, {value})" for name, value in bindings.items()]
    return lines, environment_names


def _unsupported(project: Project) -> list[str]:
    """A warning per kind of binding deploy uploads but the local runtime does not provide (yet).

    Which kinds run locally is one column of the binding table (`BindingKind.dev`).
    """
    names: dict[str, list[str]] = {}
    for spec in project.bindings:
        if kind(spec.kind).dev != "local":
            names.setdefault(spec.kind, []).append(spec.name)
    lines = []
    for key, found in names.items():
        k = kind(key)
        why = k.dev_note or f"cfworker dev does not provide {k.label}s yet"
        lines.append(f"{why}; not bound: {', '.join(found)}")
    return lines


def capnp_config(
    project: Project,
    bundle: Bundle,
    *,
    secrets: Mapping[str, str],
    kv_dir: Path,
    supported_date: str,
) -> DevConfig:
    """The workerd config for `project` built into `bundle`, with `.dev.vars` `secrets`.

    Module files are embedded by name from the config's directory (the caller writes them
    there, with the facade as FACADE_MODULE and the KV service as KV_MODULE). `kv_dir` is
    where the KV Durable Objects keep their SQLite files; `supported_date` is the newest
    compatibility date the workerd binary accepts.
    """
    date, date_warning = effective_date(project.compatibility_date, supported_date)
    warnings = [w for w in (date_warning,) if w] + _unsupported(project)
    has_worker = not bundle.assets_only
    assets = _assets(project, bundle, has_worker)
    flag_list = worker_flags(project.compatibility_flags) if assets is not None else project.compatibility_flags
    binding = project.assets.binding if assets is not None and project.assets is not None and has_worker else None
    bindings, env_names = _bindings(project, list(secrets), binding)
    modules = [f"(name = {capnp_string(FACADE_MODULE)}, esModule = embed {capnp_string(FACADE_MODULE)})"]
    modules += [_module_entry(m) for m in bundle.modules]
    flags = ", ".join(capnp_string(f) for f in flag_list)
    services = [f"(name = {capnp_string(WORKER_SERVICE)}, worker = .worker)"] if has_worker else []
    if project.bindings_of("kv_namespaces") and has_worker:
        services += [
            f"(name = {capnp_string(KV_SERVICE)}, worker = .kv)",
            f"(name = {capnp_string(KV_DISK_SERVICE)}, disk = (path = {capnp_string(str(kv_dir))}, writable = true))",
        ]
    if assets is not None:
        assert bundle.assets is not None
        services += [
            f"(name = {capnp_string(ASSETS_SERVICE)}, worker = .assets)",
            (f"(name = {capnp_string(ASSETS_DISK_SERVICE)}, disk = (path = "
             f"{capnp_string(str(bundle.assets.directory))}, writable = false, allowDotfiles = true))"),
        ]
        if binding:
            services.append(f"(name = {capnp_string(ASSETS_BINDING_SERVICE)}, worker = .assetsBinding)")
        warnings += assets.warnings
    services.append('(name = "internet", network = (allow = ["public", "private"], '
                    "tlsOptions = (trustBrowserCas = true)))")
    entry = ASSETS_SERVICE if assets is not None else WORKER_SERVICE
    worker = [
        "",
        "const worker :Workerd.Worker = (",
        "  modules = [",
        *(f"    {m}," for m in modules),
        "  ],",
        f"  compatibilityDate = {capnp_string(date)},",
        f"  compatibilityFlags = [{flags}],",
        "  bindings = [",
        *(f"    {b}," for b in bindings),
        "  ],",
        ");",
    ] if has_worker else []
    text = "\n".join([
        f"# Generated by `cfworker dev` for {project.name}; rewritten on every rebuild. Do not edit.",
        'using Workerd = import "/workerd/workerd.capnp";',
        "",
        "const config :Workerd.Config = (",
        "  services = [",
        *(f"    {s}," for s in services),
        "  ],",
        (f'  sockets = [(name = "{SOCKET_NAME}", address = "127.0.0.1:0", http = (), '
         f"service = {capnp_string(entry)})],"),
        ");",
        *worker,
        *(_kv_worker(supported_date) if project.bindings_of("kv_namespaces") and has_worker else []),
        *(_assets_workers(supported_date, has_worker, bool(binding)) if assets is not None else []),
        "",
    ])
    environment = {env_names[name]: value for name, value in secrets.items()}
    files = {ASSETS_CONFIG_NAME: json.dumps(assets.data, separators=(",", ":")).encode()} if assets else {}
    return DevConfig(text, environment, tuple(warnings), date, files, assets.notes if assets else ())


def _assets(project: Project, bundle: Bundle, has_worker: bool) -> AssetsConfig | None:
    if project.assets is None or bundle.assets is None:
        return None
    root = project.root
    try:
        shown = Path(bundle.assets.directory).relative_to(root).as_posix()
    except ValueError:
        shown = str(bundle.assets.directory)
    return assets_config(project.assets, bundle.assets, has_worker=has_worker,
                         compatibility_date=project.compatibility_date,
                         compatibility_flags=project.compatibility_flags, relpath=shown)


def _assets_workers(supported_date: str, has_worker: bool, binding: bool) -> list[str]:
    date = capnp_string(min(ASSETS_COMPATIBILITY_DATE, supported_date))
    common = [
        f"(name = \"CONFIG\", json = embed {capnp_string(ASSETS_CONFIG_NAME)})",
        f"(name = \"FILES\", service = {capnp_string(ASSETS_DISK_SERVICE)})",
    ]
    out = []
    for name, role, extra in (("assets", "router", has_worker), ("assetsBinding", "binding", False)):
        if name == "assetsBinding" and not binding:
            continue
        bindings = [f"(name = \"ROLE\", text = {capnp_string(role)})", *common]
        if extra:
            bindings.append(f"(name = \"USER_WORKER\", service = {capnp_string(WORKER_SERVICE)})")
        out += [
            "",
            f"const {name} :Workerd.Worker = (",
            f"  modules = [(name = {capnp_string(ASSETS_MODULE)}, esModule = embed {capnp_string(ASSETS_MODULE)})],",
            f"  compatibilityDate = {date},",
            "  bindings = [",
            *(f"    {b}," for b in bindings),
            "  ],",
            ");",
        ]
    return out


def run_files(bundle: Bundle, config: DevConfig) -> dict[str, bytes]:
    """Every file workerd reads beside the config: the facade, the KV service, the config, the modules,
    and with [assets] the assets service and its JSON config."""
    from cfworker.dev.assets_js import assets_source
    from cfworker.dev.js import KV_SERVICE, facade_source

    files: dict[str, bytes] = {CONFIG_NAME: config.text.encode(), **config.files}
    if not bundle.assets_only:
        files.update({FACADE_MODULE: facade_source(bundle.main_module).encode(), KV_MODULE: KV_SERVICE.encode(),
                      **{m.name: m.content for m in bundle.modules}})
    if ASSETS_CONFIG_NAME in config.files:
        files[ASSETS_MODULE] = assets_source().encode()
    return files


def _kv_worker(supported_date: str) -> list[str]:
    return [
        "",
        "const kv :Workerd.Worker = (",
        f"  modules = [(name = {capnp_string(KV_MODULE)}, esModule = embed {capnp_string(KV_MODULE)})],",
        f"  compatibilityDate = {capnp_string(min(KV_COMPATIBILITY_DATE, supported_date))},",
        (f"  durableObjectNamespaces = [(className = {capnp_string(KV_CLASS)}, "
         f"uniqueKey = {capnp_string(KV_UNIQUE_KEY)}, enableSql = true)],"),
        f"  durableObjectStorage = (localDisk = {capnp_string(KV_DISK_SERVICE)}),",
        f"  bindings = [(name = \"STORE\", durableObjectNamespace = {capnp_string(KV_CLASS)})],",
        ");",
    ]
