"""The workerd config `cfworker dev` writes: modules, bindings, secrets, KV, dates, escaping."""

from __future__ import annotations

from pathlib import Path

import pytest

from cfworker.bundle.model import Bundle, Module
from cfworker.config.model import VarSpec
from cfworker.dev.config import (
    capnp_config,
    capnp_string,
    effective_date,
    kv_namespace_key,
    runtime_date,
)
from tests.unit.bundle.helpers import make_project
from tests.unit.deploy.helpers import KVNamespaceSpec, binding

ROOT = Path("/p")
KV_DIR = Path("/p/.cfworker/state/kv")


def bundle(*extra: Module) -> Bundle:
    return Bundle("index.js", (Module("index.js", b"export default {}", "esm"), *extra), None, ROOT / "dist")


def config_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines()]


@pytest.mark.parametrize(
    ("value", "literal"),
    [
        ("plain", '"plain"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("back\\slash", '"back\\\\slash"'),
        ("two\nlines\r\tx", '"two\\nlines\\r\\tx"'),
        ("bell\x07 del\x7f", '"bell\\x07 del\\x7f"'),
        ("é 🎉", '"é 🎉"'),
    ],
)
def test_capnp_string_escapes_quotes_backslashes_and_control_characters(value: str, literal: str) -> None:
    """Text literals escape what Cap'n Proto needs escaped and keep UTF-8 as it is."""
    assert capnp_string(value) == literal


def test_main_module_is_the_facade_then_every_bundle_module_by_type() -> None:
    """The facade comes first; esm/text/data/wasm modules map to their Cap'n Proto kinds."""
    extra = (Module("banner-X.txt", b"hi", "text"), Module("blob-Y.bin", b"\0", "data"),
             Module("add-Z.wasm", b"\0asm", "wasm"))
    text = capnp_config(make_project(ROOT), bundle(*extra), secrets={}, kv_dir=KV_DIR,
                        supported_date="2026-11-17").text
    lines = config_lines(text)
    start = lines.index("modules = [")
    assert lines[start + 1:start + 6] == [
        '(name = "__cfworker_facade.js", esModule = embed "__cfworker_facade.js"),',
        '(name = "index.js", esModule = embed "index.js"),',
        '(name = "banner-X.txt", text = embed "banner-X.txt"),',
        '(name = "blob-Y.bin", data = embed "blob-Y.bin"),',
        '(name = "add-Z.wasm", wasm = embed "add-Z.wasm"),',
    ]


def test_vars_secrets_and_kv_become_bindings() -> None:
    """Strings bind as text, other values as json, .dev.vars as fromEnvironment, KV through the local service."""
    project = make_project(
        ROOT, vars=(VarSpec("GREETING", 'Hi "you"'), VarSpec("LIMITS", {"max": 3, "tags": ["a"]}),
                    VarSpec("TOKEN", "from-toml")),
        bindings=(KVNamespaceSpec("CACHE"), KVNamespaceSpec("USERS", id="0123456789abcdef0123456789abcdef")),
    )
    config = capnp_config(project, bundle(), secrets={"TOKEN": "s3cret", "API_KEY": "k"}, kv_dir=KV_DIR,
                          supported_date="2026-11-17")
    lines = config_lines(config.text)
    start = lines.index("bindings = [")
    assert lines[start + 1:start + 7] == [
        '(name = "GREETING", text = "Hi \\"you\\""),',
        '(name = "LIMITS", json = "{\\"max\\": 3, \\"tags\\": [\\"a\\"]}"),',
        '(name = "TOKEN", fromEnvironment = "CFWORKER_DEV_SECRET_0"),',
        '(name = "API_KEY", fromEnvironment = "CFWORKER_DEV_SECRET_1"),',
        '(name = "CACHE", kvNamespace = (name = "cfworker-kv", props = (json = "{\\"namespace\\": \\"app-cache\\"}"))),',
        ('(name = "USERS", kvNamespace = (name = "cfworker-kv", props = (json = '
        '"{\\"namespace\\": \\"0123456789abcdef0123456789abcdef\\"}"))),'),
    ]
    assert config.environment == {"CFWORKER_DEV_SECRET_0": "s3cret", "CFWORKER_DEV_SECRET_1": "k"}
    assert "s3cret" not in config.text  # secrets reach workerd through its environment only


def test_kv_service_and_disk_only_when_kv_is_bound() -> None:
    """The KV worker, its Durable Object and the disk service appear only with KV namespaces."""
    plain = capnp_config(make_project(ROOT), bundle(), secrets={}, kv_dir=KV_DIR, supported_date="2026-11-17")
    assert "cfworker-kv" not in plain.text and "durableObject" not in plain.text
    with_kv = capnp_config(make_project(ROOT, bindings=(KVNamespaceSpec("KV"),)), bundle(), secrets={},
                           kv_dir=KV_DIR, supported_date="2026-11-17").text
    assert '(name = "cfworker-kv-disk", disk = (path = "/p/.cfworker/state/kv", writable = true)),' in with_kv
    assert "durableObjectStorage = (localDisk = \"cfworker-kv-disk\")," in with_kv
    assert 'uniqueKey = "cfworker-kv", enableSql = true' in with_kv


def test_compatibility_date_and_flags() -> None:
    """The project's date and flags are used as given when workerd supports the date."""
    project = make_project(ROOT, compatibility_date="2025-06-01", compatibility_flags=("nodejs_compat", "x"))
    config = capnp_config(project, bundle(), secrets={}, kv_dir=KV_DIR, supported_date="2026-11-17")
    assert 'compatibilityDate = "2025-06-01",' in config.text
    assert 'compatibilityFlags = ["nodejs_compat", "x"],' in config.text
    assert config.warnings == () and config.compatibility_date == "2025-06-01"


def test_a_date_newer_than_workerd_is_clamped_with_a_warning() -> None:
    """workerd refuses to start on a date it does not know, so the newest it supports is used instead."""
    project = make_project(ROOT, compatibility_date="2027-01-01")
    config = capnp_config(project, bundle(), secrets={}, kv_dir=KV_DIR, supported_date="2026-11-17")
    assert 'compatibilityDate = "2026-11-17",' in config.text
    assert config.warnings == (("compatibility_date 2027-01-01 is newer than this workerd supports (2026-11-17); "
                               "running with 2026-11-17"),)
    assert effective_date("2026-11-17", "2026-11-17") == ("2026-11-17", None)


def test_bindings_the_local_runtime_lacks_are_named_in_warnings() -> None:
    """R2, D1 and friends are not emulated; each kind is reported with its binding names."""
    project = make_project(ROOT, bindings=(binding("r2_buckets", "FILES", bucket_name="files"),
                                           binding("d1_databases", "DB", database_id="id"),
                                           binding("d1_databases", "DB2", database_id="id2")))
    config = capnp_config(project, bundle(), secrets={}, kv_dir=KV_DIR, supported_date="2026-11-17")
    assert config.warnings == ("cfworker dev does not provide R2 buckets yet; not bound: FILES",
                               "cfworker dev does not provide D1 databases yet; not bound: DB, DB2")
    assert "FILES" not in config.text


def test_kv_namespace_key_is_the_id_else_the_title() -> None:
    """Bindings of the same namespace share data; without an id the title names the store."""
    project = make_project(ROOT)
    assert kv_namespace_key(project, KVNamespaceSpec("A", id="abc")) == "abc"
    assert kv_namespace_key(project, KVNamespaceSpec("MY_CACHE")) == "app-my-cache"
    assert kv_namespace_key(project, KVNamespaceSpec("B", title="shared")) == "shared"


@pytest.mark.parametrize(("version", "date"), [("1.20261117.1", "2026-11-17"), ("1.20250101.0", "2025-01-01")])
def test_runtime_date_from_the_workerd_version(version: str, date: str) -> None:
    """The npm version of workerd encodes the newest compatibility date it supports."""
    assert runtime_date(version) == date


def test_runtime_date_refuses_other_versions() -> None:
    """Anything that is not 1.YYYYMMDD.N is an error, not a guess."""
    with pytest.raises(ValueError, match="not a workerd version"):
        runtime_date("0.28.2")
