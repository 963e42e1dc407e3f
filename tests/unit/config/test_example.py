"""worker.toml.example documents every accepted key and is itself a valid config."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from cfworker.config.loader import load_project
from cfworker.config.schema import TOP, Table

from .conftest import TODAY

EXAMPLE = Path(__file__).resolve().parents[3] / "worker.toml.example"


def accepted_keys(table: Table, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(dotted schema path, key) for every key the validator accepts, nested tables included."""
    for key, node in table.keys.items():
        yield f"{prefix}{key}", key
        if isinstance(node, Table):
            yield from accepted_keys(node, f"{prefix}{key}.")


def sections(text: str) -> dict[str, str]:
    """Text of the example per table header (commented headers count); "" is the top of the file."""
    out: dict[str, list[str]] = {"": []}
    current = ""
    for line in text.splitlines():
        header = re.match(r"^\s*#?\s*\[\[?\s*([\w.-]+)\s*\]\]?", line)
        if header:
            current = header.group(1)
            out.setdefault(current, [])
        out[current].append(line)
    return {name: "\n".join(lines) for name, lines in out.items()}


def documented(path: str, text: str) -> bool:
    """The key is written (commented or not) where it belongs: `key =` in its table, or a [header] naming it.

    Top-level keys must appear before the first table header, so uncommenting them is safe.
    """
    parts = path.split(".")
    key, parent = parts[-1], ".".join(parts[:-1])
    assignment = re.compile(rf"(?<![\w-]){re.escape(key)}\s*=")
    by_section = sections(text)
    if any(name == path or name.startswith(path + ".") or (not parent and name.split(".")[0] == key)
           for name in by_section if name):
        return True
    for name, body in by_section.items():
        inline_parent = name == "" and parent and re.search(rf"(?m)^#?\s*{re.escape(parts[0])}\s*=", body)
        if (name == parent or (parent and parent.startswith(name + ".") and name) or inline_parent
                or (not parent and name == "")) and assignment.search(body):
            return True
    return False


@pytest.mark.parametrize(("path", "key"), list(accepted_keys(TOP)), ids=[p for p, _ in accepted_keys(TOP)])
def test_example_documents_every_accepted_key(path: str, key: str) -> None:
    """Every key the validator accepts (top level, [build], [[dns]], [purge], [triggers], bindings) is in the example."""
    assert documented(path, EXAMPLE.read_text(encoding="utf-8")), f"{path} is accepted but not documented where it belongs"


def test_example_checker_rejects_key_in_the_wrong_table() -> None:
    """The documentation check wants sub-keys in their own table and top-level keys before any table."""
    assert documented("dns.priority", "[[dns]]\npriority = 1\n")
    assert not documented("dns.priority", "[[dns]]\ntype = 'MX'\n[purge]\npriority = 1\n")
    assert documented("routes.zone_id", 'routes = [\n  { pattern = "a", zone_id = "b" },\n]\n')
    assert not documented("minify", "[build]\n# minify = true\n")
    assert documented("minify", "# minify = true\n[build]\n")


def test_example_keys_have_a_comment_each() -> None:
    """Each key line of the example carries a one-line comment, except obvious repeats in later entries."""
    lines = [line for line in EXAMPLE.read_text(encoding="utf-8").splitlines() if re.match(r"^#?\s*\w+\s*=", line)]
    uncommented = [line for line in lines if "#" not in line.lstrip("# ")]
    assert len(uncommented) <= 8, uncommented


@pytest.mark.parametrize("env", [None, "staging"])
def test_example_validates_as_written(tmp_path: Path, env: str | None) -> None:
    """The example, copied next to a main module, loads for the top level and for [env.staging]."""
    shutil.copy(EXAMPLE, tmp_path / "worker.toml")
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "index.ts").write_text("export default {}\n", encoding="utf-8")
    project, _ = load_project(None, env=env, cwd=tmp_path, today=TODAY)
    assert project.name == ("my-worker" if env is None else "my-worker-staging")
    assert project.dns and project.purge and project.crons


def test_every_binding_kind_example_in_the_reference_block_validates(tmp_path: Path) -> None:
    """Uncommented, each kind's block of the generated reference is a valid binding (so the examples
    a user copies work); DO classes get the migration they need, alternatives are left out."""
    from cfworker.config import reference as docs
    from cfworker.bindings.table import KINDS

    block = docs.block(EXAMPLE.read_text(encoding="utf-8"), docs.TOML_BEGIN, docs.TOML_END)
    entries = [e for e in block.split("\n#\n")]
    assert len(entries) == len(KINDS)
    exclusive = {"send_email": "allowed_destination_addresses", "pipelines": "pipeline", "vpc_networks": "network_id",
                 "workflows": "script_name", "durable_objects.bindings": "script_name"}
    for kind, entry in zip(KINDS, entries):
        lines = [line[2:] for line in entry.splitlines()]
        lines = [line for line in lines if not line.startswith(exclusive.get(kind.key, "\0") + " ")]
        body = "\n".join(lines)
        extra = '[[migrations]]\ntag = "v1"\nnew_sqlite_classes = ["Counter"]\n' if kind.key.startswith("durable") else ""
        (tmp_path / "worker.toml").write_text(f'name = "w"\nmain = "src/index.ts"\ncompatibility_date = "{TODAY}"\n'
                                              f"{body}\n{extra}", encoding="utf-8")
        (tmp_path / "src").mkdir(exist_ok=True)
        (tmp_path / "src" / "index.ts").write_text("export default {}\n", encoding="utf-8")
        project, _ = load_project(None, env=None, cwd=tmp_path, today=TODAY)
        assert [b.kind for b in project.bindings] == [kind.key], kind.key
