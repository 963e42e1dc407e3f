"""Write provisioned ids back into worker.toml without disturbing the rest of the file.

After a deploy finds or creates the KV namespace of a `[[kv_namespaces]]` entry that has
no `id`, the id is added to that entry so the config pins it from then on. tomlkit keeps
comments, key order, quoting and blank lines; only the one `id = "..."` line is added.
The file is replaced atomically, so an interrupted write cannot leave half a config.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any


def _kv_array(doc: Any, env: str | None) -> Any:
    if env is None:
        return doc.get("kv_namespaces")
    env_table = doc.get("env", {}).get(env)
    return None if env_table is None else env_table.get("kv_namespaces")


def write_kv_ids(config_path: Path, env: str | None, ids: Mapping[str, str]) -> list[str]:
    """Set `id` on each kv_namespaces entry (of [env.NAME] when env is given) named in ids.

    Entries that already have an id are left alone. Returns the bindings written.
    """
    import tomlkit

    text = config_path.read_text(encoding="utf-8")
    doc = tomlkit.parse(text)
    entries = _kv_array(doc, env)
    if entries is None:
        return []
    written = []
    for entry in entries:
        binding = entry.get("binding")
        if binding in ids and not entry.get("id"):
            entry["id"] = ids[binding]
            written.append(str(binding))
    if written:
        atomic_write_text(config_path, tomlkit.dumps(doc))
    return written


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
