"""Convert a wrangler config (wrangler.toml, .json or .jsonc) into a worker.toml (pure, no I/O).

worker.toml uses wrangler's key names, so most keys carry over as they are. The steps:
  refuse   wrangler v1 configs (`type = ...`) and Pages projects: ConfigError, nothing converted
  copy     every key `schema` accepts; unsupported and unknown keys are dropped with the
           reason and hint `schema` gives (local-development keys count as "ignored")
  fill in  `name` (--name, else the directory name) and `compatibility_date` (today) when
           missing; `node_compat = true` becomes compatibility_flags = ["nodejs_compat"]
  prune    validate the top level and every [env.NAME]; a value cfworker would refuse is
           dropped (a whole binding when a required key is bad); problems with name, main
           or compatibility_date cannot be dropped and are returned as blockers
  write    TOML text whose header lists what was not carried over.
`cfworker init --from-wrangler` does the file I/O around `parse_wrangler` and `convert_wrangler`.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cfworker.bindings.table import KINDS
from cfworker.config.checks import describe, leaf, suggest
from cfworker.config.diagnostics import Problem, config_error, index_path, key_path
from cfworker.config.jsonc import parse_jsonc
from cfworker.config.parse import parse_toml
from cfworker.config.pruning import prune
from cfworker.config.schema import (
    CREDENTIAL_KEYS,
    ENV,
    TOP,
    Envs,
    Node,
    Open,
    Table,
    unsupported,
)
from cfworker.config.tomlwriter import dumps
from cfworker.errors import ConfigError

DropKind = Literal["lost", "ignored"]

_V1_KEYS = ("type", "webpack_config", "target_type")
_V1_LEFTOVERS = ("zone_id", "kv-namespaces", "private", "webpack_config", "target_type")
_V1_HINT = ("move the project to wrangler v2+ first (remove `type`, set `main` to an ES module entry "
            "that does `export default { fetch }`; guide: "
            "https://developers.cloudflare.com/workers/wrangler/migration/v1-to-v2/), then rerun")
_ORDER = {key: i for i, key in enumerate(TOP.keys)}
_REMOVE_IT = re.compile(r"^remove (it|the key)(: |, or |; |$)|, or remove it$")
# Keys wrangler templates often leave as "" (the validator would warn on every load): an
# optional field of any binding kind (an empty id means "find or create it") and a few more.
_EMPTY_MEANS_ABSENT = frozenset({("top", "account_id"), ("env", "account_id"), ("top", "route"), ("env", "route"),
                                 *((k.key, f.key) for k in KINDS for f in k.fields if not f.required)})


@dataclass(frozen=True, slots=True)
class Dropped:
    """A wrangler key (or value) that is not in the worker.toml, and why."""

    path: str  # dotted key path in the wrangler config, e.g. kv_namespaces[0].preview_id
    reason: str
    hint: str
    kind: DropKind  # "ignored": local development only; "lost": the deployed Worker differs

    def render(self) -> str:
        """`path: reason (hint)`."""
        return f"{self.path}: {self.reason}" + (f" ({self.hint})" if self.hint else "")


@dataclass(frozen=True, slots=True)
class Conversion:
    """The worker.toml made from one wrangler config, with everything that did not carry over."""

    source: str  # the wrangler file as named in messages
    config: dict[str, Any]  # what worker.toml holds (the raw dict `validate` reads)
    text: str  # worker.toml text
    dropped: tuple[Dropped, ...]
    changes: tuple[str, ...]  # keys added or rewritten on the way
    blockers: tuple[Problem, ...]  # problems that keep the worker.toml from loading

    def blocking_error(self) -> ConfigError:
        """The ConfigError to show when there are blockers (call only when there are)."""
        error = config_error(self.source, self.blockers)
        return ConfigError(f"cannot convert {self.source}: {error.message}", notes=error.notes,
                           hint=error.hint if len(self.blockers) == 1 else
                           "fix these keys in the wrangler config (or pass --name), then rerun")


def parse_wrangler(text: str, file: str) -> dict[str, Any]:
    """Parse wrangler.toml, or wrangler.json/.jsonc (comments and trailing commas allowed)."""
    raw = parse_jsonc(text, file) if Path(file).suffix.lower() in (".json", ".jsonc") else parse_toml(text, file)
    if not isinstance(raw, dict):
        raise ConfigError(f"{file}: expected an object at the top level but got {describe(raw)}",
                          hint="a wrangler config is one object: { \"name\": ..., \"main\": ... }")
    return raw


def convert_wrangler(raw: dict[str, Any], *, source: str, today: datetime.date, name: str | None = None,
                     default_name: str | None = None) -> Conversion:
    """Convert a parsed wrangler config; ConfigError for v1 configs and Pages projects.

    `name` (from --name) replaces the config's name; `default_name` (the directory name)
    is used only when the config has none.
    """
    _refuse(raw, source)
    walker = _Walker()
    config = walker.table(TOP, raw, "")
    changes = walker.changes
    if name is not None:
        if config.get("name") != name:
            changes.append(f'name = "{name}" (from --name; {source} has {describe(config.get("name", "none"))})')
        config["name"] = name
    elif "name" not in config and default_name:
        config["name"] = default_name
        changes.append(f'name = "{default_name}" ({source} sets none; taken from the directory name)')
    if "compatibility_date" not in config:
        config["compatibility_date"] = today.isoformat()
        changes.append(f'compatibility_date = "{today.isoformat()}" ({source} sets none; today\'s date)')
    config = _ordered(config)
    removed, blockers = prune(config, walker.positions, today)
    for removal in removed:
        walker.drop(removal.path, removal.reason, removal.hint)
    if config.get("env") == {}:
        del config["env"]  # every environment key was dropped
    dropped = tuple(walker.dropped)
    return Conversion(source, config, dumps(config, header=_header(source, today, dropped)), dropped,
                      tuple(changes), tuple(blockers))


def _header(source: str, today: datetime.date, dropped: tuple[Dropped, ...]) -> list[str]:
    """The comment at the top of the new worker.toml: where it came from and what stayed behind."""
    name = Path(source).name
    lines = [f"Converted from {name} by `cfworker init --from-wrangler` on {today.isoformat()}."]
    lost = [d for d in dropped if d.kind == "lost"]
    if lost:
        lines.append(f"Not carried over from {name} (the deployed Worker will not have these):")
        lines += [f"  {d.path}: {d.reason}" for d in lost]
    ignored = sorted({leaf(d.path).strip('"') for d in dropped if d.kind == "ignored"})
    if ignored:
        lines.append(f"Left out as local-development or empty settings: {', '.join(ignored)}")
    return lines


def _refuse(raw: dict[str, Any], source: str) -> None:
    """Stop on configs that are not wrangler v2+ Worker configs."""
    layers = [("", raw)] + [(key_path("env", n), e) for n, e in _envs(raw).items()]
    v1 = [(key_path(prefix, k), layer[k]) for prefix, layer in layers for k in _V1_KEYS if k in layer]
    if v1:
        path, value = v1[0]
        others = [key_path(prefix, k) for prefix, layer in layers for k in _V1_LEFTOVERS if k in layer]
        build = raw.get("build")
        if isinstance(build, dict) and "upload" in build:
            others.append("build.upload")
        notes = [f"{p} = {describe(v)}" for p, v in v1]
        notes += [f"{p}: a wrangler v1 key" for p in others if p not in dict(v1)]
        raise ConfigError(f"{source} is a wrangler v1 config ({path} = {describe(value)}), which cfworker cannot "
                          "convert", notes=notes, hint=_V1_HINT)
    if "pages_build_output_dir" in raw:
        raise ConfigError(f"{source} is a Cloudflare Pages config (pages_build_output_dir = "
                          f"{describe(raw['pages_build_output_dir'])}), not a Worker",
                          hint="deploy it with `wrangler pages deploy`; cfworker deploys Workers")


def _envs(raw: dict[str, Any]) -> dict[str, dict[str, Any]]:
    env = raw.get("env")
    return {k: v for k, v in env.items() if isinstance(v, dict)} if isinstance(env, dict) else {}


def _ordered(config: dict[str, Any]) -> dict[str, Any]:
    """Top-level keys (and each env's) in worker.toml.example order: name, main, dates first."""
    out = dict(sorted(config.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER))))
    envs = out.get("env")
    if isinstance(envs, dict):
        for env_name, env in envs.items():
            if isinstance(env, dict):
                envs[env_name] = dict(sorted(env.items(), key=lambda kv: _ORDER.get(kv[0], len(_ORDER))))
    return out


class _Walker:
    """Copies the keys cfworker accepts and records the ones it drops (with original paths)."""

    def __init__(self) -> None:
        self.dropped: list[Dropped] = []
        self.changes: list[str] = []
        self.positions: dict[int, list[int]] = {}  # id(copied list) -> original index of each item

    def drop(self, path: str, reason: str, hint: str, kind: DropKind = "lost") -> None:
        # The schema's hints speak to someone editing worker.toml ("remove it: ..."); here the
        # key is already gone, so keep only what is left to do.
        hint = "" if kind == "ignored" else _REMOVE_IT.sub("", hint)
        self.dropped.append(Dropped(path, reason, hint, kind))

    def table(self, table: Table, value: dict[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        node_compat: tuple[Any, str] | None = None
        for key, item in value.items():
            child = key_path(path, key)
            if key.lower() in CREDENTIAL_KEYS:
                self.drop(child, "looks like a credential; its value is never copied into worker.toml",
                          "set CLOUDFLARE_API_TOKEN in the environment (e.g. from your CI's secret store)")
            elif item is None:
                self.drop(child, "is null, which TOML cannot express", "set a value in worker.toml if you need one",
                          "ignored")
            elif key == "node_compat" and table.name in ("top", "env"):
                node_compat = (item, child)  # applied last, so it adds to compatibility_flags
            elif key == "$schema" and not path:
                self.drop(child, "editor schema reference for wrangler's JSON config", "not needed in worker.toml",
                          "ignored")
            elif item == "" and (table.name, key) in _EMPTY_MEANS_ABSENT:
                self.drop(child, 'is empty (""), which means the same as leaving it out', "", "ignored")
            elif key in table.keys:
                if key == "compatibility_date" and isinstance(item, datetime.date):
                    item = item.isoformat()  # an unquoted TOML date means the same thing
                out[key] = self.node(table.keys[key], item, child, key)
            elif item == "" or item == []:
                self.drop(child, f"is empty ({describe(item)}), so nothing is lost", "", "ignored")
            else:
                self._unsupported(table, key, child, path)
        if node_compat is not None:
            self._node_compat(out, *node_compat)
        return out

    def node(self, node: Node, value: Any, path: str, key: str) -> Any:
        if isinstance(node, Table) and isinstance(value, dict):
            return self.table(node, value, path)
        if isinstance(node, Envs) and isinstance(value, dict):
            return self.envs(value, path)
        if isinstance(value, list):
            return self.list(node, value, path, key)
        if isinstance(node, Open) and isinstance(value, dict):
            return self.data(value, path, in_vars=key == "vars")
        return value

    def list(self, node: Node, value: list[Any], path: str, key: str) -> list[Any]:
        out, kept = [], []
        for i, item in enumerate(value):
            if item is None:
                self.drop(index_path(path, i), "is null, which TOML cannot express", "", "ignored")
                continue
            kept.append(i)
            out.append(self.node(node, item, index_path(path, i), key) if isinstance(item, (dict, list)) else item)
        self.positions[id(out)] = kept
        return out

    def data(self, value: dict[str, Any], path: str, *, in_vars: bool) -> dict[str, Any]:
        """An open table ([vars], [define], [observability]): copied, minus credentials and nulls."""
        out: dict[str, Any] = {}
        for key, item in value.items():
            child = key_path(path, key)
            if key.lower() in CREDENTIAL_KEYS:
                self.drop(child, "looks like a credential; its value is never copied into worker.toml",
                          f"list it in `secrets` and set it with `cfworker secret put {key}`" if in_vars else
                          "set CLOUDFLARE_API_TOKEN in the environment")
            elif item is None:
                self.drop(child, "is null, which TOML cannot express", "set a value in worker.toml if you need one")
            elif isinstance(item, dict):
                out[key] = self.data(item, child, in_vars=in_vars)
            elif isinstance(item, list):
                out[key] = self.list(Open(), item, child, key)
            else:
                out[key] = item
        return out

    def envs(self, value: dict[str, Any], path: str) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for env_name, env in value.items():
            child = key_path(path, env_name)
            if isinstance(env, dict):
                out[env_name] = self.table(ENV, env, child)
            elif env_name in TOP.keys or unsupported("top", env_name) is not None:
                self.drop(child, f"`{env_name}` is a top-level key placed under [env], so no environment uses it",
                          "move it above the [env] header, or into [env.<name>], in worker.toml by hand")
            else:
                self.drop(child, f"expected an environment table [env.{env_name}] but got {describe(env)}",
                          f"write the environment as an [env.{env_name}] section")
        return out

    def _node_compat(self, out: dict[str, Any], value: Any, path: str) -> None:
        if value is not True:
            self.drop(path, f"node_compat = {describe(value)} turns nothing on", "", "ignored")
            return
        flags = out.setdefault("compatibility_flags", [])
        if isinstance(flags, list) and "nodejs_compat" not in flags:
            flags.append("nodejs_compat")
        self.changes.append(f'{path} = true became compatibility_flags = ["nodejs_compat"] (wrangler v2 '
                            "polyfills are replaced by the runtime's Node.js compatibility)")

    def _unsupported(self, table: Table, key: str, path: str, parent: str) -> None:
        known = unsupported(table.name, key)
        if known is not None:
            self.drop(path, known.reason, known.hint, "ignored" if known.severity == "warning" else "lost")
            return
        if table.name not in ("top", "env") and (key in TOP.keys or unsupported("top", key)):
            self.drop(path, f"`{key}` is a top-level key, but it comes after the [{_table_name(parent)}] header, "
                      "so TOML put it inside that table and wrangler never used it there",
                      "if you meant it, add it to worker.toml above the first [table] header")
            return
        close = suggest(key, table.keys)
        self.drop(path, "is not a key cfworker knows", f"did you mean `{close}`?" if close else
                  "see worker.toml.example for every key cfworker accepts")


def _table_name(path: str) -> str:
    return re.sub(r"\[\d+\]$", "", path)
