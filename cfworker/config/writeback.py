"""Write provisioned ids back into worker.toml without disturbing the rest of the file.

After a deploy finds or creates what a binding points at (the KV namespace of a
`[[kv_namespaces]]` entry without `id`, the D1 database of one without `database_id`, the
R2 bucket of one without `bucket_name`), the value is added to that entry so the config
pins it from then on. tomlkit keeps comments, key order, quoting and blank lines; only
the one `id = "..."` line is added, and
the file keeps what the user wrote around it: a UTF-8 byte-order mark and CRLF line ends
stay. A symlinked worker.toml is followed and its target written. The file is replaced
atomically, so an interrupted write cannot leave half a config.

The file is never clobbered: when it changed on disk since the deploy loaded it (an edit
during the deploy), it is read again and only the id lines are applied if it still parses;
when it does not parse, or is read-only, nothing is written and the caller prints the ids
to add by hand. None of this changes a deploy's exit code.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BOM = "\ufeff"


def text_digest(text: str) -> str:
    """The digest the loader records of the text it validated (compared before writing back)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


Update = tuple[str, str, Mapping[str, Any]]  # (binding table key, binding name, fields to set)


@dataclass
class WriteBack:
    """What a write-back did: bindings written, or why not and what to add by hand."""

    written: list[str] = field(default_factory=list)
    manual: list[Update] = field(default_factory=list)  # what could not be written
    reason: str | None = None  # why `manual` is not empty
    reread: bool = False  # the file had changed since it was loaded; values applied to the new text

    def by_hand(self, env: str | None) -> str:
        """The TOML a user adds for `manual` (one `[[kv_namespaces]] binding = ... id = ...` per entry)."""
        from cfworker.bindings.table import kind

        out = []
        for key, binding, fields in self.manual:
            table = f"env.{env}.{key}" if env else key
            values = " ".join(f'{k} = "{v}"' for k, v in fields.items())
            out.append(f'[[{table}]] {kind(key).name_key} = "{binding}" {values}')
        return "  ".join(out)


def _entries(doc: Any, env: str | None, key: str) -> Any:
    table = doc
    if env is not None:
        table = doc.get("env", {}).get(env)
    for part in key.split("."):
        if table is None or not hasattr(table, "get"):
            return None
        table = table.get(part)
    return table if isinstance(table, list) else None


def write_kv_ids(config_path: Path, env: str | None, ids: Mapping[str, str], *,
                 loaded_digest: str | None = None) -> WriteBack:
    """Set `id` on each kv_namespaces entry (of [env.NAME] when env is given) named in ids."""
    return write_binding_fields(config_path, env, [("kv_namespaces", b, {"id": i}) for b, i in ids.items()],
                                loaded_digest=loaded_digest)


def write_binding_fields(config_path: Path, env: str | None, updates: list[Update], *,
                         loaded_digest: str | None = None) -> WriteBack:
    """Set fields on binding entries (of [env.NAME] when env is given): each (table key, binding, fields).

    Fields an entry already has are left alone. `loaded_digest` is the digest of the text the
    deploy validated; a different text on disk means someone edited the file meanwhile.
    """
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    from cfworker.bindings.table import kind

    target = Path(os.path.realpath(config_path))
    result = WriteBack()
    try:
        raw = target.read_bytes().decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return _manual(result, updates, f"it cannot be read now ({getattr(exc, 'strerror', None) or exc})")
    bom = raw.startswith(BOM)
    text = raw[1:] if bom else raw
    result.reread = loaded_digest is not None and text_digest(text) != loaded_digest
    if target.suffix.lower() in (".json", ".jsonc"):
        return _finish(target, text, bom, result, *_json_updates(text, env, updates, result))
    try:
        doc = tomlkit.parse(text)
    except (TOMLKitError, ValueError):
        return _manual(result, updates, "it changed during the deploy and is not valid TOML now")
    done: list[Update] = []
    for key, binding, fields in updates:
        name_key = kind(key).name_key
        for entry in _entries(doc, env, key) or ():
            if not hasattr(entry, "get") or entry.get(name_key) != binding:
                continue
            todo = {k: v for k, v in fields.items() if not entry.get(k)}
            if todo:
                for k, v in todo.items():
                    entry[k] = v
                done.append((key, binding, todo))
                result.written.append(binding)
            break
    if not result.written:
        return result
    return _finish(target, text, bom, result, tomlkit.dumps(doc), done)


def _json_updates(text: str, env: str | None, updates: list[Update], result: WriteBack) -> tuple[str | None, list[Update]]:
    """wrangler.json(c): each missing field inserted into its binding's object in the text itself, so
    comments, order and trailing commas stay (cfworker.config.jsonc.insert_members)."""
    from cfworker.bindings.table import kind
    from cfworker.config.diagnostics import index_path, key_path
    from cfworker.config.jsonc import JsonIndex, insert_members, parse_jsonc
    from cfworker.errors import ConfigError

    try:
        doc = parse_jsonc(text, "config")
    except ConfigError:
        _manual(result, updates, "it changed during the deploy and is not valid JSON now")
        return None, []
    done: list[Update] = []
    for key, binding, fields in updates:
        name_key = kind(key).name_key
        prefix = key_path(key_path("env", env), key) if env else key
        for i, entry in enumerate(_entries(doc, env, key) or ()):
            if not isinstance(entry, dict) or entry.get(name_key) != binding:
                continue
            todo = {k: v for k, v in fields.items() if not entry.get(k)}
            edited = insert_members(text, JsonIndex(text), index_path(prefix, i), dict(todo)) if todo else None
            if edited is not None:
                text = edited
                done.append((key, binding, todo))
                result.written.append(binding)
            break
    return (text if result.written else None), done


def _finish(target: Path, text: str, bom: bool, result: WriteBack, out: str | None, done: list[Update]) -> WriteBack:
    """Write `out` in place of the file's text (keeping its BOM and CRLF), or say what to add by hand."""
    if out is None or not result.written:
        return result
    if "\r\n" in text:  # new lines are written with \n; keep the file's CRLF
        out = out.replace("\r\n", "\n").replace("\n", "\r\n")
    if not _writable(target):
        result.written = []
        return _manual(result, done, "it is read-only")
    try:
        atomic_write_text(target, (BOM if bom else "") + out)
    except OSError as exc:
        result.written = []
        return _manual(result, done, f"it could not be written ({exc.strerror or exc})")
    return result


def _manual(result: WriteBack, updates: list[Update], reason: str) -> WriteBack:
    result.manual.extend(updates)
    result.reason = reason
    return result


def _writable(path: Path) -> bool:
    """The file has a write bit and it and its folder can be written (the atomic replace needs both).

    The write bits are checked too: root may write anything, but a file without them was
    made read-only on purpose.
    """
    mode = path.stat().st_mode
    has_bit = bool(mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    return has_bit and os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def atomic_write_text(path: Path, text: str) -> None:
    """Replace a file's content atomically, keeping its permission bits."""
    mode = path.stat().st_mode & 0o777 if path.exists() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
