"""The asset manifest: Cloudflare's hash on fixed vectors, ignores, limits, the Pages _worker.js guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfworker.assets.manifest import asset_hash, build_manifest
from cfworker.errors import BundleError


# (content, path, hash): the first four are hard-coded in wrangler's own tests
# (packages/wrangler/src/__tests__/deploy/assets.test.ts), the rest computed the same way (research-16 A1).
@pytest.mark.parametrize(("content", "path", "expected"), [
    (b"Content of file-1", "/file-1.txt", "0de3dd5df907418e9730fd2bd747bd5e"),
    (b"Content of file-2", "/boop/file#1.txt", "7574a8cd3094a050388ac9663af1c1d6"),
    (b"Content of file-3", "/b\u00e9\u00ebp/boo^p.txt", "ff5016e92f039aa743a4ff7abb3180fa"),
    (b"something-binary", "/foobar.greg", "80e40c1f2422528cb2fba3f9389ce315"),
    (b"hello", "/index.html", "a2b82584e50075886b08927390f2f573"),
    (b"hello", "/LICENSE", "324ea05bea4d7f75b8d9ed695e65b2ca"),
    (b"", "/empty.txt", "f9bc91770fa5e997cbd47fba833629fc"),
    (b"hello", "/a.tar.gz", "eff1b44fe82af50f960f49761d2262ae"),
])
def test_hash_matches_the_assets_service(content: bytes, path: str, expected: str) -> None:
    assert asset_hash(content, path) == expected


def site(root: Path, files: dict[str, bytes | str]) -> Path:
    for rel, data in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data if isinstance(data, bytes) else data.encode())
    return root


def test_manifest_keys_sizes_and_rule_files(tmp_path: Path) -> None:
    """Keys are "/" + posix path; the root _headers/_redirects/.assetsignore are not assets (a nested
    _headers is); the rule files' text travels beside the manifest."""
    root = site(tmp_path, {"index.html": "hello", "sub/_headers": "x", "_headers": "/*\n  X-A: 1\n",
                           "_redirects": "/old /new 301\n", ".well-known/a.txt": "dot", ".assetsignore": "*.map\n",
                           "app.js.map": "{}"})
    manifest = build_manifest(root)
    assert manifest.wire() == {
        "/.well-known/a.txt": {"hash": asset_hash(b"dot", "a.txt"), "size": 3},
        "/index.html": {"hash": "a2b82584e50075886b08927390f2f573", "size": 5},
        "/sub/_headers": {"hash": asset_hash(b"x", "_headers"), "size": 1},
    }
    assert manifest.headers == "/*\n  X-A: 1\n" and manifest.redirects == "/old /new 301\n"


def test_assetsignore_uses_gitignore_rules(tmp_path: Path) -> None:
    root = site(tmp_path, {".assetsignore": "# comment\nnode_modules\n/drafts/\n*.psd\n!keep.psd\n",
                           "a.html": "a", "node_modules/x/i.js": "x", "drafts/d.html": "d", "sub/drafts/s.html": "s",
                           "art.psd": "p", "keep.psd": "k"})
    assert sorted(build_manifest(root).wire()) == ["/a.html", "/keep.psd", "/sub/drafts/s.html"]


def test_a_file_over_25_mib_is_refused_naming_it(tmp_path: Path) -> None:
    root = site(tmp_path, {"ok.bin": b"x"})
    (root / "big.bin").write_bytes(b"\0" * (25 * 1024 * 1024 + 1))
    with pytest.raises(BundleError, match=r"big\.bin is 25\.0 MiB; Cloudflare serves files of at most 25 MiB") as info:
        build_manifest(root, display="public")
    assert info.value.hint and ".assetsignore" in info.value.hint


def test_exactly_25_mib_is_allowed(tmp_path: Path) -> None:
    (tmp_path / "edge.bin").write_bytes(b"\0" * (25 * 1024 * 1024))
    assert build_manifest(tmp_path).files[0].size == 25 * 1024 * 1024


def test_too_many_files_is_refused(tmp_path: Path) -> None:
    site(tmp_path, {f"f{i}.txt": str(i) for i in range(4)})
    with pytest.raises(BundleError, match="more than 3 files"):
        build_manifest(tmp_path, max_files=3)


def test_pages_worker_js_is_refused_unless_an_assetsignore_exists(tmp_path: Path) -> None:
    root = site(tmp_path, {"index.html": "i", "_worker.js/index.js": "export default {}"})
    with pytest.raises(BundleError, match="_worker.js/index.js is a Pages _worker.js"):
        build_manifest(root)
    (root / ".assetsignore").write_text("")  # an empty one uploads it on purpose
    assert "/_worker.js/index.js" in build_manifest(root).wire()


def test_identical_files_share_one_hash(tmp_path: Path) -> None:
    site(tmp_path, {"a/x.css": "same", "b/y.css": "same"})
    manifest = build_manifest(tmp_path)
    assert len(manifest.files) == 2 and len(manifest.by_hash()) == 1


def test_digest_changes_with_content_and_rules(tmp_path: Path) -> None:
    site(tmp_path, {"a.html": "1"})
    first = build_manifest(tmp_path).digest()
    (tmp_path / "_redirects").write_text("/a /b\n")
    second = build_manifest(tmp_path).digest()
    (tmp_path / "a.html").write_text("2")
    assert len({first, second, build_manifest(tmp_path).digest()}) == 3


def test_hash_cache_skips_unchanged_files_and_sees_every_write(tmp_path: Path) -> None:
    """A file whose stat fingerprint is recorded is not read again; any write (same size, too) changes
    the fingerprint, so the new bytes are hashed."""
    import json
    import time

    root = site(tmp_path / "site", {"a.html": "aaaa", "b.html": "bbbb"})
    cache = tmp_path / "hashes.json"
    later = time.time() + 60  # the files are old enough for their fingerprints to be trusted
    first = build_manifest(root, cache=cache, now=later)
    recorded = json.loads(cache.read_text())["hashes"]
    assert len(recorded) == 2
    # a recorded entry is trusted without reading the file (proved by a planted value)
    key = next(k for k in recorded if k.startswith("a.html\0"))
    cache.write_text(json.dumps({"version": 1, "hashes": {**recorded, key: "f" * 32}}))
    assert build_manifest(root, cache=cache, now=later).by_path()["/a.html"].hash == "f" * 32
    (root / "a.html").write_text("AAAA")  # same size, new bytes: a new ctime and mtime
    after = build_manifest(root, cache=cache, now=time.time() + 120)
    assert after.by_path()["/a.html"].hash == asset_hash(b"AAAA", "a.html") != first.by_path()["/a.html"].hash
    assert after.by_path()["/b.html"].hash == first.by_path()["/b.html"].hash


def test_fresh_files_are_not_recorded(tmp_path: Path) -> None:
    """Within FINGERPRINT_AGE of a write the clock may not have ticked: such a file is hashed every time."""
    root = site(tmp_path / "site", {"a.html": "a"})
    cache = tmp_path / "hashes.json"
    build_manifest(root, cache=cache)
    assert not cache.exists() or '"a.html' not in cache.read_text()
