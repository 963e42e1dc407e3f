"""Id write-back into worker.toml: the file stays as the user wrote it, and an edit is never clobbered."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from cfworker.config.writeback import text_digest, write_kv_ids

ID = "0123456789abcdef0123456789abcdef"
TOML = '# my worker\nname = "app"\n\n[[kv_namespaces]]\nbinding = "CACHE"  # the cache\n\n[vars]\nA = "1"\n'


def test_adds_only_the_id_line_and_keeps_comments(tmp_path: Path) -> None:
    """The one id line is added; comments, order and blank lines stay."""
    path = tmp_path / "worker.toml"
    path.write_text(TOML)
    result = write_kv_ids(path, None, {"CACHE": ID}, loaded_digest=text_digest(TOML))
    assert result.written == ["CACHE"] and not result.manual and not result.reread
    assert path.read_text() == TOML.replace('# the cache\n', f'# the cache\nid = "{ID}"\n')


def test_keeps_a_byte_order_mark_and_crlf_line_ends(tmp_path: Path) -> None:
    """A file saved with a BOM and CRLF keeps both, the new line included."""
    path = tmp_path / "worker.toml"
    crlf = TOML.replace("\n", "\r\n")
    path.write_bytes(("\ufeff" + crlf).encode())
    write_kv_ids(path, None, {"CACHE": ID}, loaded_digest=text_digest(crlf))
    data = path.read_bytes()
    assert data.startswith("\ufeff".encode()) and b"\n" not in data.replace(b"\r\n", b"")
    assert f'id = "{ID}"\r\n'.encode() in data
    assert tomllib.loads(data.decode("utf-8-sig"))["kv_namespaces"][0]["id"] == ID


def test_follows_a_symlink_and_writes_its_target(tmp_path: Path) -> None:
    """worker.toml as a symlink: the target gets the id, the link stays a link."""
    real = tmp_path / "shared" / "worker.toml"
    real.parent.mkdir()
    real.write_text(TOML)
    link = tmp_path / "worker.toml"
    link.symlink_to(real)
    assert write_kv_ids(link, None, {"CACHE": ID}).written == ["CACHE"]
    assert link.is_symlink() and f'id = "{ID}"' in real.read_text()


def test_read_only_file_is_left_alone_and_the_ids_are_given_to_add_by_hand(tmp_path: Path) -> None:
    """A read-only worker.toml is not written; the caller gets the ids and the reason."""
    path = tmp_path / "worker.toml"
    path.write_text(TOML)
    os.chmod(path, 0o444)
    try:
        result = write_kv_ids(path, None, {"CACHE": ID})
    finally:
        os.chmod(path, 0o644)
    assert result.written == [] and result.manual == [("kv_namespaces", "CACHE", {"id": ID})] and result.reason == "it is read-only"
    assert path.read_text() == TOML
    assert result.by_hand(None) == f'[[kv_namespaces]] binding = "CACHE" id = "{ID}"'


def test_an_edit_during_the_deploy_is_kept_and_only_the_id_applied(tmp_path: Path) -> None:
    """The file changed since it was loaded but still parses: the edit stays, the id is added to it."""
    path = tmp_path / "worker.toml"
    edited = TOML.replace('A = "1"', 'A = "2"\nB = "new"')
    path.write_text(edited)
    result = write_kv_ids(path, None, {"CACHE": ID}, loaded_digest=text_digest(TOML))
    assert result.written == ["CACHE"] and result.reread
    doc = tomllib.loads(path.read_text())
    assert doc["vars"] == {"A": "2", "B": "new"} and doc["kv_namespaces"][0]["id"] == ID


def test_an_edit_that_broke_the_file_is_never_overwritten(tmp_path: Path) -> None:
    """The file no longer parses (mid-edit): nothing is written, the ids come back to print."""
    path = tmp_path / "worker.toml"
    broken = TOML + "[vars\n"
    path.write_text(broken)
    result = write_kv_ids(path, None, {"CACHE": ID}, loaded_digest=text_digest(TOML))
    assert result.written == [] and result.manual == [("kv_namespaces", "CACHE", {"id": ID})] and "not valid TOML" in (result.reason or "")
    assert path.read_text() == broken


def test_env_entries_are_written_into_their_env(tmp_path: Path) -> None:
    """With env, the id goes into [[env.NAME.kv_namespaces]], not the top level."""
    path = tmp_path / "worker.toml"
    text = TOML + '\n[env.staging]\n[[env.staging.kv_namespaces]]\nbinding = "CACHE"\n'
    path.write_text(text)
    write_kv_ids(path, "staging", {"CACHE": ID})
    doc = tomllib.loads(path.read_text())
    assert doc["env"]["staging"]["kv_namespaces"][0]["id"] == ID and "id" not in doc["kv_namespaces"][0]
