"""The asset manifest: every file of the [assets] folder with the hash Cloudflare keys it by.

Read the folder once, skip what `.assetsignore` (gitignore syntax, through pathspec) and the
always-ignored names exclude, check the limits before anything is sent, and hash each file as
the assets service does (api-notes §2.5, wrangler deploy/helpers/hash.ts): the first 32 hex
digits of BLAKE3 over the file's base64 text followed by its extension without the dot.
The manifest is a value: the deploy sends `wire()`, the content hash takes `digest()`, and
`cfworker dev` serves the same files.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from cfworker.errors import BundleError
from cfworker.tools.cache import FINGERPRINT_AGE, stat_fingerprint

if TYPE_CHECKING:
    import pathspec

MAX_FILE_BYTES = 25 * 1024 * 1024  # per file (workers-shared utils/constants.ts MAX_ASSET_SIZE)
MAX_FILES = 100_000  # per Worker version (MAX_ASSET_COUNT for paid plans; free plans allow 20 000)
IGNORE_FILE = ".assetsignore"
HEADERS_FILE = "_headers"
REDIRECTS_FILE = "_redirects"
# Never uploaded as assets: the ignore file itself and the two rule files, which travel in the
# upload's metadata instead (wrangler getAssetsIgnore / workers-shared).
ALWAYS_IGNORED = (IGNORE_FILE, HEADERS_FILE, REDIRECTS_FILE)
HASH_HEX = 32
CACHE_VERSION = 1
# A Pages project's server code: refused as an asset unless an .assetsignore exists (wrangler
# errorOnLegacyPagesWorkerJSAsset), as it would be served to anyone.
PAGES_WORKER = "_worker.js"


def asset_hash(content: bytes, path: str) -> str:
    """Cloudflare's key for one file: blake3(base64(content) + extension)[:32], hex."""
    import blake3  # a compiled extension: loaded only when assets are hashed

    extension = PurePosixPath(path).suffix[1:]
    return blake3.blake3(base64.b64encode(content) + extension.encode()).hexdigest()[:HASH_HEX]


@dataclass(frozen=True, slots=True)
class AssetFile:
    path: str  # the manifest key: "/" + the path inside the folder, posix separators
    file: Path
    hash: str
    size: int


@dataclass(frozen=True, slots=True)
class AssetManifest:
    """The files to serve, and the `_headers`/`_redirects` rules sent beside them."""

    directory: Path
    files: tuple[AssetFile, ...]
    headers: str | None = None
    redirects: str | None = None

    def wire(self) -> dict[str, dict[str, object]]:
        """The manifest the upload session takes: {"/path": {"hash", "size"}}."""
        return {f.path: {"hash": f.hash, "size": f.size} for f in self.files}

    @property
    def total_size(self) -> int:
        return sum(f.size for f in self.files)

    def by_hash(self) -> dict[str, AssetFile]:
        """One file per hash (identical files share a hash and are uploaded once)."""
        out: dict[str, AssetFile] = {}
        for f in self.files:
            out.setdefault(f.hash, f)
        return out

    def by_path(self) -> dict[str, AssetFile]:
        return {f.path: f for f in self.files}

    def digest(self) -> str:
        """sha256 over paths, hashes, sizes and the two rule files: what the content hash includes."""
        h = hashlib.sha256()
        for f in self.files:
            h.update(f"{f.path}\0{f.hash}\0{f.size}\n".encode())
        for name, text in ((HEADERS_FILE, self.headers), (REDIRECTS_FILE, self.redirects)):
            h.update(f"{name}\0{len(text) if text is not None else -1}\0".encode())
            h.update((text or "").encode())
        return h.hexdigest()


def _ignore_spec(directory: Path) -> pathspec.GitIgnoreSpec | None:
    """The .assetsignore rules (gitignore syntax), or None when there is no such file."""
    path = directory / IGNORE_FILE
    if not path.is_file():
        return None
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(path.read_text(encoding="utf-8", errors="replace").splitlines())


def walk(directory: Path) -> Iterator[tuple[str, str, os.stat_result]]:
    """(posix path inside the folder, file path, stat) for every regular file, in sorted order. A link
    to a file is its target's bytes; a linked folder is not entered (wrangler's recursive readdir,
    research-16 A2). os.scandir and plain strings: a site has thousands of files."""
    stack = [(str(directory), "")]
    while stack:
        folder, prefix = stack.pop()
        with os.scandir(folder) as entries:
            found = sorted(entries, key=lambda e: e.name)
        subdirs = []
        for entry in found:
            rel = prefix + entry.name
            if entry.is_dir(follow_symlinks=False):
                subdirs.append((entry.path, rel + "/"))
                continue
            try:
                st = entry.stat()  # follows a link to a file
            except OSError:
                continue  # a dangling link
            if stat.S_ISREG(st.st_mode):
                yield rel, entry.path, st
        stack.extend(reversed(subdirs))


def build_manifest(directory: Path, *, max_file_bytes: int = MAX_FILE_BYTES, max_files: int = MAX_FILES,
                   display: str | None = None, cache: Path | None = None, now: float | None = None) -> AssetManifest:
    """Read and hash the folder; BundleError naming the file when a limit is exceeded (nothing is sent).

    `cache` is a JSON file of hashes by stat fingerprint (size, mtime, ctime, inode: what no
    write leaves unchanged, cfworker.tools.cache): a file whose fingerprint is recorded is not
    read again, so an unchanged redeploy of a large site only stats it.
    """
    shown = display or str(directory)
    if not directory.is_dir():
        raise BundleError(f"assets.directory: {shown} does not exist or is not a folder",
                          hint="run the site build that writes it (e.g. `npm run build`), or set [build] command "
                               "so cfworker runs it, or fix the path in [assets] directory")
    ignore = _ignore_spec(directory)
    known = _load_cache(cache)
    fresh: dict[str, str] = {}
    now = time.time() if now is None else now
    files: list[AssetFile] = []
    for rel, full, st in walk(directory):
        if rel in ALWAYS_IGNORED or (ignore is not None and ignore.match_file(rel)):
            continue
        if ignore is None and rel.startswith(PAGES_WORKER):
            raise BundleError(
                f"assets: {shown}/{rel} is a Pages {PAGES_WORKER} and would be public as an asset, exposing "
                "server-side code", hint=f'add {PAGES_WORKER} to {shown}/{IGNORE_FILE} to leave it out (an empty '
                f"{IGNORE_FILE} uploads it on purpose)")
        size = st.st_size
        if size > max_file_bytes:
            raise BundleError(
                f"assets: {shown}/{rel} is {size / 1048576:.1f} MiB; Cloudflare serves files of at most "
                f"{max_file_bytes // 1048576} MiB", hint=f"add {rel} to {shown}/{IGNORE_FILE}, or serve it from R2")
        if len(files) >= max_files:
            raise BundleError(f"assets: {shown} has more than {max_files} files, the most one Worker may serve",
                              hint=f"list what need not be served in {shown}/{IGNORE_FILE}")
        fingerprint = stat_fingerprint(st)
        key = f"{rel}\0{fingerprint}" if fingerprint else None
        digest = known.get(key) if key else None
        if digest is None:
            with open(full, "rb") as f:
                content = f.read()
            digest, size = asset_hash(content, rel), len(content)
        if key and now - st.st_ctime > FINGERPRINT_AGE:  # a write in the same clock tick would hide
            fresh[key] = digest
        files.append(AssetFile("/" + rel, Path(full), digest, size))
    if cache is not None and fresh != known:
        _save_cache(cache, fresh)
    return AssetManifest(directory, tuple(files), headers=_read_rules(directory / HEADERS_FILE),
                         redirects=_read_rules(directory / REDIRECTS_FILE))


def _load_cache(path: Path | None) -> dict[str, str]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("version") != CACHE_VERSION or not isinstance(data.get("hashes"), dict):
        return {}
    return {str(k): str(v) for k, v in data["hashes"].items()}


def _save_cache(path: Path, hashes: dict[str, str]) -> None:
    """Best effort: a cache that cannot be written only means the next run reads the files again."""
    from cfworker.tools.install import write_atomic

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(path, json.dumps({"version": CACHE_VERSION, "hashes": hashes}).encode(), mode=0o644)
    except OSError:
        pass


def _read_rules(path: Path) -> str | None:
    return path.read_text(encoding="utf-8") if path.is_file() else None
