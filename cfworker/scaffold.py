"""Project templates for `cfworker init`: list them, check the Worker name, write a new project.

Templates live in the repository's top-level templates/ folder, one folder per template
with a template.toml holding its one-line description (not copied). The package reaches
them as cfworker/templates: a symlink in a checkout, real files inside a wheel, so an
installed cfworker reads the same files. Text files get `{{name}}` and
`{{compatibility_date}}` filled in. `.gitignore` is written from here, not shipped, because
packaging tools drop dotfiles.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from cfworker.config.parse import parse_toml
from cfworker.errors import UserError

TEMPLATES_DIR = Path(__file__).parent / "templates"
DEFAULT_TEMPLATE = "hello"
# Stricter than what the API accepts (it allows "_"): a new Worker should work on workers.dev.
NAME = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")
NAME_RULE = ("a Worker name uses lowercase letters, digits and dashes, at most 63 characters, "
             "and does not start or end with a dash")
GITIGNORE = "dist/\nnode_modules/\n.dev.vars\n.cfworker/\n"
IGNORED_IN_TARGET = frozenset({".git"})  # a fresh `git init` does not make a directory "non-empty"
_META = "template.toml"
_NOT_COPIED = frozenset({_META, "node_modules", "dist", "__pycache__", ".DS_Store"})
_TEXT_SUFFIXES = frozenset({".js", ".mjs", ".ts", ".json", ".toml", ".md", ".txt", ".html", ""})


@dataclass(frozen=True, slots=True)
class Template:
    """One folder of templates/."""

    name: str
    description: str
    path: Path


def list_templates(root: Path = TEMPLATES_DIR) -> list[Template]:
    """Every template under root, the default one first, then by name."""
    found = []
    for folder in sorted(root.iterdir()) if root.is_dir() else []:
        meta = folder / _META
        if folder.is_dir() and meta.is_file():
            data = parse_toml(meta.read_text(encoding="utf-8"), str(meta))
            found.append(Template(folder.name, str(data.get("description", "")), folder))
    return sorted(found, key=lambda t: (t.name != DEFAULT_TEMPLATE, t.name))


def get_template(name: str, root: Path = TEMPLATES_DIR) -> Template:
    """The template called `name`; UserError listing the others when there is none."""
    templates = list_templates(root)
    for template in templates:
        if template.name == name:
            return template
    names = ", ".join(t.name for t in templates)
    raise UserError(f'there is no template "{name}"',
                    hint=f"pick one of: {names} (`cfworker init --list` describes them)")


def name_problem(name: str) -> str | None:
    """Why `name` cannot name a new Worker, or None when it can."""
    if NAME.fullmatch(name):
        return None
    return f'"{name}" is not a valid Worker name: {NAME_RULE}'


def suggest_name(text: str) -> str | None:
    """A valid Worker name close to `text` ("My_Worker 2" -> "my-worker-2"), if there is one."""
    fixed = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9-]", "-", text.lower())).strip("-")[:63].strip("-")
    return fixed if NAME.fullmatch(fixed) else None


def occupied(directory: Path) -> list[str]:
    """The entries that make `directory` non-empty (a missing directory is empty)."""
    if not directory.exists():
        return []
    if not directory.is_dir():
        raise UserError(f"{directory} is a file, not a directory", hint="choose a directory for the new project")
    return sorted(p.name for p in directory.iterdir() if p.name not in IGNORED_IN_TARGET)


def render(template: Template, *, name: str, compatibility_date: str) -> list[tuple[str, bytes]]:
    """The new project's files as (relative path, content), placeholders filled in."""
    files: list[tuple[str, bytes]] = []
    for path in sorted(template.path.rglob("*")):
        relative = path.relative_to(template.path)
        if not path.is_file() or _NOT_COPIED.intersection(relative.parts):
            continue
        data = path.read_bytes()
        if path.suffix in _TEXT_SUFFIXES:
            text = data.decode("utf-8")
            text = text.replace("{{name}}", name).replace("{{compatibility_date}}", compatibility_date)
            data = text.encode("utf-8")
        files.append((relative.as_posix(), data))
    files.append((".gitignore", GITIGNORE.encode("utf-8")))
    return files


def check_target(directory: Path, *, force: bool, shown: str | None = None) -> None:
    """UserError when directory is a file, or is not empty and force is off."""
    taken = occupied(directory)
    if taken and not force:
        listing = ", ".join(taken[:5]) + (", ..." if len(taken) > 5 else "")
        raise UserError(f"{shown or directory} is not empty ({listing})",
                        hint="choose a new or empty directory, or pass --force to write the template's files "
                             "into it (files with the same names are overwritten)")


def write_project(directory: Path, files: list[tuple[str, bytes]], *, force: bool) -> list[Path]:
    """Write the files under directory (created if needed); refuse a non-empty one unless force."""
    check_target(directory, force=force)
    written = []
    for relative, data in files:
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written.append(target)
    return written
