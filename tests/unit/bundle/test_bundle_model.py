"""Module and Bundle: content types, sizes and the deterministic content hash (pure)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from cfworker.bundle.model import Bundle, Module, gzip_size


def make_bundle(*extra: Module, sourcemap: Module | None = None, main: bytes = b"export default {}") -> Bundle:
    return Bundle("index.js", (Module("index.js", main, "esm"), *extra), sourcemap, Path("/p/dist"))


@pytest.mark.parametrize(
    ("type_", "content_type"),
    [
        ("esm", "application/javascript+module"),
        ("text", "text/plain"),
        ("data", "application/octet-stream"),
        ("wasm", "application/wasm"),
        ("sourcemap", "application/source-map"),
    ],
)
def test_module_content_type_per_type(type_: str, content_type: str) -> None:
    """Each module type maps to the Content-Type wrangler uploads it with."""
    assert Module("m", b"", type_).content_type == content_type  # type: ignore[arg-type]


def test_gzip_size_matches_a_real_gzip_stream() -> None:
    """gzip_size is the length of an actual level-6 gzip of the bytes (header size aside)."""
    data = b"export default { fetch() { return new Response('hi') } }" * 50
    assert abs(gzip_size(data) - len(gzip.compress(data, compresslevel=6, mtime=0))) <= 2
    assert gzip_size(data) < len(data)


def test_sizes_exclude_the_source_map() -> None:
    """total_size and gzip_size count modules only; parts adds the map last."""
    sm = Module("index.js.map", b"{}" * 100, "sourcemap")
    b = make_bundle(Module("a-X.txt", b"hello", "text"), sourcemap=sm)
    assert b.total_size == len(b"export default {}") + 5
    assert b.gzip_size() == b.modules[0].gzip_size() + b.modules[1].gzip_size()
    assert [p.name for p in b.parts] == ["index.js", "a-X.txt", "index.js.map"]


def test_main_module_must_come_first() -> None:
    """A Bundle whose first module is not the main module is rejected."""
    with pytest.raises(ValueError, match="main module"):
        Bundle("index.js", (Module("other.js", b"", "esm"),), None, Path("/p"))


def test_content_hash_is_deterministic() -> None:
    """Equal bundles hash equal, independent of outdir, timings and warnings."""
    a = make_bundle(Module("a-X.txt", b"hello", "text"))
    b = Bundle(a.main_module, a.modules, None, Path("/elsewhere"), warnings=("w",), esbuild_ms=5, total_ms=9)
    assert a.content_hash() == b.content_hash()
    assert len(a.content_hash()) == 64


@pytest.mark.parametrize(
    "other",
    [
        make_bundle(Module("a-X.txt", b"hellO", "text")),
        make_bundle(Module("a-Y.txt", b"hello", "text")),
        make_bundle(Module("a-X.txt", b"hello", "data")),
        make_bundle(Module("a-X.txt", b"hello", "text"), sourcemap=Module("index.js.map", b"{}", "sourcemap")),
        make_bundle(Module("a-X.txt", b"hello", "text"), main=b"export default {} "),
    ],
)
def test_content_hash_changes_with_name_type_bytes_or_map(other: Bundle) -> None:
    """Changing any module's name, type or bytes, or the source map, changes the hash."""
    assert make_bundle(Module("a-X.txt", b"hello", "text")).content_hash() != other.content_hash()


def test_content_hash_fields_are_length_prefixed() -> None:
    """Moving bytes between the name and the content cannot produce the same hash."""
    a = make_bundle(Module("ab", b"c", "text"))
    b = make_bundle(Module("a", b"bc", "text"))
    assert a.content_hash() != b.content_hash()
