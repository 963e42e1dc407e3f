"""Key-level checks over the whole raw tree: credentials, unknown and unsupported keys (pure).

Runs before any value check and over every [env.NAME], selected or not. Credentials are
refused wherever they appear and dropped, so no later message can echo them. Unknown
keys get a did-you-mean; a top-level key that TOML scoping moved into a table (because it
was written after that table's header) gets a hint saying so.
"""

from __future__ import annotations

import re
from typing import Any

from cfworker.config.checks import describe, suggest
from cfworker.config.diagnostics import Diagnostics, index_path, key_path
from cfworker.config.schema import CREDENTIAL_KEYS, ENV, TOP, Envs, Node, Table, unsupported

_INDEX = re.compile(r"\[\d+\]$")
_ENV_HINT = "remove it and set CLOUDFLARE_API_TOKEN in the environment, e.g. from your CI's secret store"
_VAR_HINT = ("vars are uploaded as plain text; list the name in `secrets` and set the value as a Worker secret "
             "with `cfworker secret put NAME`")


def strip_credentials(d: Diagnostics, value: Any, path: str = "", *, in_vars: bool = False) -> Any:
    """A copy of the tree without credential keys; each one found is an error that never shows its value."""
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            child = key_path(path, key)
            if isinstance(key, str) and key.lower() in CREDENTIAL_KEYS:
                d.error(child, "looks like a credential; credentials are never read from worker.toml "
                        "and its value is not shown here", _VAR_HINT if in_vars else _ENV_HINT)
                continue
            out[key] = strip_credentials(d, item, child, in_vars=in_vars or key == "vars")
        return out
    if isinstance(value, list):
        return [strip_credentials(d, item, index_path(path, i), in_vars=in_vars) for i, item in enumerate(value)]
    return value


def check_structure(d: Diagnostics, raw: dict[str, Any]) -> None:
    """Report unknown and unsupported keys everywhere, including environments not selected."""
    _check_table(d, TOP, raw, "")


def _check_node(d: Diagnostics, node: Node, value: Any, path: str) -> None:
    if isinstance(node, Table):
        if isinstance(value, dict):
            _check_table(d, node, value, path)
        elif isinstance(value, list):
            for i, item in enumerate(value):
                if isinstance(item, dict):
                    _check_table(d, node, item, index_path(path, i))
    elif isinstance(node, Envs) and isinstance(value, dict):
        _check_envs(d, value, path)
    # Open tables and scalars: nothing to check at key level.


def _check_table(d: Diagnostics, table: Table, value: dict[str, Any], path: str) -> None:
    for key, item in value.items():
        child = key_path(path, key)
        if key in table.keys:
            _check_node(d, table.keys[key], item, child)
            continue
        known = unsupported(table.name, key)
        if known is not None:
            (d.error if known.severity == "error" else d.warn)(child, known.reason, known.hint)
        else:
            d.error(child, "unknown key", _unknown_hint(table, key, path))


def _unknown_hint(table: Table, key: str, path: str) -> str:
    if table.name not in ("top", "env") and (key in TOP.keys or unsupported("top", key)):
        # `routes = ...` written after `[ai]` lands in the ai table: TOML scoping, not a typo.
        header = f"[[{_INDEX.sub('', path)}]]" if path.endswith("]") else f"[{path}]"
        return (f"`{key}` is a top-level key, but it comes after the {header} header so TOML puts it inside "
                f"that table; move it above the first [table] header")
    close = suggest(key, table.keys)
    if close:
        return f"did you mean `{close}`?"
    keys = ", ".join(sorted(table.keys))
    return f"keys accepted in this table: {keys}" if len(table.keys) <= 12 else "see worker.toml.example for every key"


def _check_envs(d: Diagnostics, envs: dict[str, Any], path: str) -> None:
    for name, env in envs.items():
        child = key_path(path, name)
        if isinstance(env, dict):
            _check_table(d, ENV, env, child)
            continue
        misplaced = name in TOP.keys or unsupported("top", name) is not None
        hint = (f"`{name}` is a top-level key placed under [env]; move it above the [env] header, or into "
                f"[env.<name>] for one environment" if misplaced else
                f"write the environment as an [env.{name}] section")
        d.error(child, f"expected an environment table [env.{name}] but got {describe(env)}", hint)
