"""parse_metafile() and the helpers that read it: entry, assets, node imports, ?module fixes (pure)."""

from __future__ import annotations

import json

import pytest

from cfworker.bundle.esbuild import (
    apply_rewrites,
    is_file_path,
    node_imports,
    parse_metafile,
    query_rewrites,
)

# Shaped like esbuild 0.28's metafile for src/index.ts importing a .txt, a .wasm?module and node:buffer.
META = {
    "inputs": {
        "src/data/hello.txt": {"bytes": 11, "imports": []},
        "src/tiny.wasm?module": {"bytes": 8, "imports": []},
        "src/index.ts": {
            "bytes": 300,
            "imports": [
                {"path": "src/data/hello.txt", "kind": "import-statement", "original": "./data/hello.txt"},
                {"path": "src/tiny.wasm?module", "kind": "import-statement", "original": "./tiny.wasm?module"},
                {"path": "node:buffer", "kind": "import-statement", "external": True},
                {"path": "cloudflare:workers", "kind": "import-statement", "external": True},
            ],
            "format": "esm",
        },
        "<define:process.env.NODE_ENV>": {"bytes": 12, "imports": []},
    },
    "outputs": {
        "dist/hello-BQD4CPCM.txt": {
            "imports": [], "exports": [], "inputs": {"src/data/hello.txt": {"bytesInOutput": 11}}, "bytes": 11,
        },
        "dist/tiny-FV2RY22A.wasm": {
            "imports": [], "exports": [], "inputs": {"src/tiny.wasm?module": {"bytesInOutput": 8}}, "bytes": 8,
        },
        "dist/index.js.map": {"imports": [], "exports": [], "inputs": {}, "bytes": 953},
        "dist/index.js": {
            "imports": [
                {"path": "dist/hello-BQD4CPCM.txt", "kind": "import-statement"},
                {"path": "dist/tiny-FV2RY22A.wasm?module", "kind": "import-statement"},
                {"path": "node:buffer", "kind": "import-statement", "external": True},
            ],
            "exports": ["default"],
            "entryPoint": "src/index.ts",
            "inputs": {"src/index.ts": {"bytesInOutput": 520}},
            "bytes": 575,
        },
    },
}


def test_parse_metafile_finds_entry_exports_and_inputs() -> None:
    """The entry output carries its exports; inputs keep their import edges."""
    meta = parse_metafile(json.dumps(META))
    entry = meta.entry()
    assert entry.path == "dist/index.js"
    assert entry.exports == ("default",)
    assert entry.entry_point == "src/index.ts"
    index = next(i for i in meta.inputs if i.path == "src/index.ts")
    assert index.imports[0].original == "./data/hello.txt"
    assert index.imports[2].external is True


def test_assets_are_outputs_other_than_entry_and_map() -> None:
    """Copied rule files are the assets; the bundle and its map are not."""
    meta = parse_metafile(json.dumps(META).encode())
    assert [a.path for a in meta.assets()] == ["dist/hello-BQD4CPCM.txt", "dist/tiny-FV2RY22A.wasm"]
    assert meta.assets()[1].inputs == ("src/tiny.wasm?module",)


def test_source_files_skip_virtual_inputs() -> None:
    """Inputs like <define:...> are not files, so watch mode does not watch them."""
    assert "<define:process.env.NODE_ENV>" not in parse_metafile(json.dumps(META)).source_files()
    assert is_file_path("node_modules/x/index.js") and is_file_path("../shared/a.txt")
    assert not is_file_path("(disabled):fs") and not is_file_path("ns:thing")


@pytest.mark.parametrize("text", ["{}", "[]", "not json", '{"inputs": {}, "outputs": {"a": 1}}'])
def test_parse_metafile_rejects_malformed_input(text: str) -> None:
    """Anything that is not an esbuild metafile raises ValueError."""
    with pytest.raises(ValueError):
        parse_metafile(text)


def test_entry_missing_raises() -> None:
    """A metafile without an entry output raises ValueError."""
    with pytest.raises(ValueError, match="entry point"):
        parse_metafile('{"inputs": {}, "outputs": {}}').entry()


def test_node_imports_lists_external_node_specifiers_with_importer() -> None:
    """Only external node:* imports are reported, with the file that imports them."""
    assert node_imports(parse_metafile(json.dumps(META))) == [("src/index.ts", "node:buffer")]


def test_query_rewrites_strip_the_module_suffix() -> None:
    """A ?module import of a copied wasm maps to the plain module name."""
    entry = parse_metafile(json.dumps(META)).entry()
    assert query_rewrites(entry, "dist") == [("./tiny-FV2RY22A.wasm?module", "./tiny-FV2RY22A.wasm")]


def test_apply_rewrites_keeps_columns_stable() -> None:
    """The rewritten specifier is padded with spaces after its quote, so later columns do not move."""
    code = b'import t from"./tiny-X.wasm?module";import("./tiny-X.wasm?module").then(f)'
    out = apply_rewrites(code, [("./tiny-X.wasm?module", "./tiny-X.wasm")])
    assert out == b'import t from"./tiny-X.wasm"       ;import("./tiny-X.wasm"       ).then(f)'
    assert len(out) == len(code)
    assert out.index(b".then") == code.index(b".then")
