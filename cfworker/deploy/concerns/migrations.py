"""Durable Object migrations: send exactly the [[migrations]] the live Worker has not applied.

The live Worker's migration tag comes from `GET /accounts/{a}/workers/services/{s}`
(`default_environment.script.migration_tag`, research notes A1.2). The migrations after it
in worker.toml's list are pending and go with the upload as `{old_tag?, new_tag, steps}`
(the stepped form wrangler sends, A1.3); none when the tag is the last one. A live tag
that worker.toml does not list is a blocker: replaying every migration, as wrangler does,
fails on Cloudflare (10074). Pending migrations make the upload use the PUT path (api-notes
§1.3) and a deleted or transferred class makes it destructive.

Checked before any write, with or without credentials: a binding to a Durable Object class
of this Worker needs a migration that creates it (the API refuses it with 10061), and the
entry module must export every Durable Object and Workflow class of this Worker that a
binding names (esbuild's metafile).
"""

from __future__ import annotations

from typing import Any

from cfworker.api import workers as workers_api
from cfworker.config.migrations import classes_after
from cfworker.config.model import MigrationSpec, Project
from cfworker.deploy.concern import Concern, Planning, Reader
from cfworker.deploy.plan import Blocker


def _own_classes(project: Project, kind: str, field: str) -> dict[str, str]:
    """binding name -> class name of this Worker's own classes bound by `kind` (no script_name, or its own)."""
    return {b.name: b.get(field) for b in project.bindings_of(kind)
            if b.get("script_name") in (None, project.name)}


def describe_step(m: MigrationSpec) -> str:
    """`migration v2: new SQLite class Room; rename Chat -> Room; DELETE class Old (its data is lost)`."""
    parts = [f"new class {c}" for c in m.new_classes] + [f"new SQLite class {c}" for c in m.new_sqlite_classes]
    parts += [f"rename {a} -> {b}" for a, b in m.renamed_classes]
    parts += [f"DELETE class {c} (its stored data is lost)" for c in m.deleted_classes]
    parts += [f"TRANSFER class {a} from worker {s!r} as {b}" for a, s, b in m.transferred_classes]
    return f"migration {m.tag}: " + ("; ".join(parts) or "no class changes")


def pending(migrations: tuple[MigrationSpec, ...], live_tag: str | None) -> tuple[MigrationSpec, ...] | None:
    """The migrations after `live_tag` (all when None); None when worker.toml does not list that tag."""
    if live_tag is None:
        return migrations
    tags = [m.tag for m in migrations]
    if live_tag not in tags:
        return None
    return migrations[tags.index(live_tag) + 1:]


class MigrationsConcern(Concern):
    key = "migrations"

    def read(self, reader: Reader) -> Any:
        if not reader.project.migrations:
            return None
        return {"tag": workers_api.get_migration_tag(reader.client, reader.account_id, reader.project.name)}

    def plan(self, p: Planning) -> None:
        project = p.project
        created = classes_after(project.migrations)
        for binding, class_name in sorted(_own_classes(project, "durable_objects.bindings", "class_name").items()):
            if class_name not in created:
                p.blockers.append(Blocker(
                    f"durable_objects binding {binding} uses class {class_name} of this worker, but no [[migrations]] "
                    "entry creates it (Cloudflare refuses such a binding: 10061)",
                    f'add [[migrations]] tag = "v1" new_sqlite_classes = ["{class_name}"] (or list it in a new '
                    "migration after the last one)"))
        self._check_exports(p)
        if not project.migrations:
            return
        live = p.read(self.key, {}) or {}
        live_tag = live.get("tag") if p.snapshot is not None else None
        todo = pending(project.migrations, live_tag)
        if todo is None:
            listed = ", ".join(m.tag for m in project.migrations)
            p.blockers.append(Blocker(
                f"the live worker's Durable Object migration tag is {live_tag!r}, which worker.toml's [[migrations]] "
                f"({listed}) does not list",
                f"add the migration tagged {live_tag!r} back where it was (the list is the migration history, in "
                "order), then add new migrations after it"))
            return
        if p.snapshot is None:
            p.skipped_checks.append("the live worker's migration tag (every migration is planned as pending)")
        if not todo:
            p.notes.append(f"Durable Object migrations: up to date (tag {live_tag})")
            return
        body: dict[str, Any] = {"new_tag": todo[-1].tag, "steps": [m.step() for m in todo]}
        if live_tag is not None:
            body = {"old_tag": live_tag, **body}
        p.migrations = body
        p.facts["migration_steps"] = [describe_step(m) for m in todo]
        p.facts["migrations_destructive"] = any(m.destructive for m in todo)

    def _check_exports(self, p: Planning) -> None:
        """Classes of this Worker that bindings name must be exported by the entry module."""
        exported = p.bundle.exports
        if exported is None:
            return
        for kind, field, what in (("durable_objects.bindings", "class_name", "Durable Object"),
                                  ("workflows", "class_name", "Workflow")):
            missing = sorted({c for c in _own_classes(p.project, kind, field).values() if c not in exported})
            if missing:
                p.blockers.append(Blocker(
                    f"this worker's {what} class(es) {', '.join(missing)} are bound but not exported by the entry "
                    f"module {p.project.entry.name}",
                    f"export them from the entry module: export {{ {', '.join(missing)} }} from \"./...\""))
