"""What a build produces: the modules a Worker upload is made of (pure).

`Bundle` is the value `build_project()` returns and the uploader consumes directly: every
module's bytes are held in memory, so nothing downstream re-reads files from `outdir`.
`content_hash()` is deterministic over (name, type, bytes) of every uploaded part, so the
deploy step can skip an upload whose content did not change.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from cfworker.assets.manifest import AssetManifest

ModuleType = Literal["esm", "text", "data", "wasm", "sourcemap"]

CONTENT_TYPES: dict[str, str] = {
    "esm": "application/javascript+module",
    "text": "text/plain",
    "data": "application/octet-stream",
    "wasm": "application/wasm",
    "sourcemap": "application/source-map",
}


def gzip_size(data: bytes) -> int:
    """Size of `data` gzip-compressed at level 6 (node's default, which wrangler reports)."""
    # wbits=31 selects the gzip container; zlib avoids importing the gzip module at start-up.
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)
    return len(compressor.compress(data) + compressor.flush())


@dataclass(frozen=True, slots=True)
class Module:
    """One part of a Worker upload: its module name, its bytes and what kind of module it is."""

    name: str  # module name as the bundle imports it, relative to the main module: "index.js"
    content: bytes
    type: ModuleType

    @property
    def content_type(self) -> str:
        """The multipart Content-Type Cloudflare expects for this module type."""
        return CONTENT_TYPES[self.type]

    @property
    def size(self) -> int:
        """Size in bytes, uncompressed."""
        return len(self.content)

    def gzip_size(self) -> int:
        """Size in bytes after gzip (what the Workers size limits count)."""
        return gzip_size(self.content)


@dataclass(frozen=True, slots=True)
class Bundle:
    """A built Worker: main module first, then extra modules; the source map kept apart.

    `sourcemap` is the map as it would be uploaded (the start-up check maps errors through it
    either way); `upload_sourcemap` says whether it is (`upload_source_maps`, off by default
    as in wrangler).
    """

    main_module: str
    modules: tuple[Module, ...]
    sourcemap: Module | None
    outdir: Path
    upload_sourcemap: bool = True
    assets: AssetManifest | None = None  # the [assets] folder, read and hashed
    warnings: tuple[str, ...] = ()
    inputs: tuple[Path, ...] = ()  # source files esbuild read (watch mode observes these)
    exports: tuple[str, ...] | None = None  # names the main module exports (esbuild metafile); None: unknown
    esbuild_ms: float = 0.0
    command_ms: float | None = None  # the [build] command, when one is configured
    total_ms: float = 0.0

    def __post_init__(self) -> None:
        if self.assets_only:
            if self.modules or self.assets is None:
                raise ValueError("an assets-only bundle has assets and no modules")
            return
        if not self.modules or self.modules[0].name != self.main_module:
            raise ValueError(f"the first module must be the main module {self.main_module!r}")

    @property
    def assets_only(self) -> bool:
        """No Worker code: Cloudflare serves the assets folder alone (main_module is "")."""
        return self.main_module == ""

    @property
    def main(self) -> Module:
        """The entry module (an ES module); an assets-only bundle has none."""
        if self.assets_only:
            raise ValueError("an assets-only bundle has no main module")
        return self.modules[0]

    @property
    def parts(self) -> tuple[Module, ...]:
        """Everything that is uploaded: the modules, then the source map if it is uploaded."""
        return self.modules + ((self.sourcemap,) if self.sourcemap and self.upload_sourcemap else ())

    @property
    def total_size(self) -> int:
        """Bytes of all modules (the source map does not count towards the script size)."""
        return sum(m.size for m in self.modules)

    def gzip_size(self) -> int:
        """Sum of the modules' gzip sizes, as wrangler reports it against the Workers limits."""
        return sum(m.gzip_size() for m in self.modules)

    def content_hash(self) -> str:
        """A sha256 hex digest over (name, type, bytes) of every uploaded part, in order."""
        import hashlib  # lazily: loading OpenSSL costs ~3 ms, and `cfworker build` rarely needs it

        digest = hashlib.sha256()
        if self.assets is not None:
            digest.update(b"assets\0" + self.assets.digest().encode())
        for part in self.parts:
            for field in (part.name.encode(), part.type.encode(), part.content):
                # Length-prefix each field so ("ab", "c") and ("a", "bc") hash differently.
                digest.update(len(field).to_bytes(8, "big"))
                digest.update(field)
        return digest.hexdigest()
