"""The script: upload a version and deploy it, only when what is live is not this very tree.

Rules:
  * The upload is skipped only when what is live now is cfworker's deploy of this tree: the
    deployment serving all traffic carries the same content hash in its `workers/message`
    annotation (a secret change's deployment is passed over: it keeps the code). A
    deployment another tool made (wrangler, the dashboard, a rollback) is drift: the tree
    is uploaded again, with who deployed what is live and the binding differences in the
    plan. Ending a gradual deployment is destructive.
  * A new Worker, or one with Durable Object migrations pending, is uploaded with the PUT
    (which deploys at once); an existing one gets a new version (api-notes §1.3). Either
    way a deployment annotated with the content hash puts it live.
  * Required secrets that do not exist are blockers.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any

from cfworker.api import workers as workers_api
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Planning, Reader, Run
from cfworker.deploy.plan import Blocker, Phase, Ref, StepBase
from cfworker.upload import KEEP_SECRETS, UploadForm, build_upload_form, hash_annotation

PENDING_ID = "<created at deploy>"


@dataclass(frozen=True, slots=True)
class UploadScript(StepBase):
    """Upload the script. `form` is final unless some values are still Refs (then a preview)."""

    script: str
    form: UploadForm
    pending: tuple[tuple[str, str, Ref], ...] = ()  # (binding, field, value a step of this run creates)
    resolved: tuple[tuple[str, tuple[tuple[str, Any], ...]], ...] = ()  # binding -> fields known at plan time
    is_new: bool = False
    put: bool = False  # the PUT path: a new Worker, or Durable Object migrations pending
    migration_steps: tuple[str, ...] = ()
    migrations_destructive: bool = False
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        return self.migrations_destructive

    @property
    def key(self) -> str:
        return "script"

    @property
    def marker(self) -> str:
        return "+" if self.is_new else "~"

    def describe(self) -> str:
        if "main_module" not in self.form.metadata:
            return f"{'create' if self.is_new else 'upload'} assets-only Worker {self.script!r} (no code)"
        summary = self.form.summary()
        size = sum(m["size"] for m in summary["modules"])
        verb = "create" if self.is_new else "upload"
        with_migrations = f", {len(self.migration_steps)} migration(s)" if self.migration_steps else ""
        return (f"{verb} script {self.script!r}: {len(summary['modules'])} module(s), {size} bytes, "
                f"{len(summary['bindings'])} binding(s){with_migrations}")

    def details(self) -> list[str]:
        return list(self.migration_steps)


@dataclass(frozen=True, slots=True)
class DeployVersion(StepBase):
    """Send 100 % of traffic to the version the upload made, in a deployment annotated with the
    upload's content hash (`workers/message`): the mark by which the next deploy knows what is live.
    The hash is taken from the upload's output: with a resource created in the same run the
    final form (and hash) is only known then."""

    script: str
    upload_key: str = "script"
    ends_split: int = 0  # versions of a gradual deployment this replaces
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        return self.ends_split > 1

    @property
    def key(self) -> str:
        return "deployment"

    def describe(self) -> str:
        ends = f", ending the gradual deployment of {self.ends_split} versions" if self.ends_split > 1 else ""
        return f"deploy the new version to 100 %{ends}, marked with its content hash"


_SOURCES = {"wrangler": "wrangler", "dash": "the dashboard", "api": "the API (another tool, or an older cfworker)",
            "terraform": "Terraform"}
_TRIGGERS = {"rollback": "rolled back to", "promotion": "promoted", "secret": "made by a secret change",
             "upload": "deployed"}


def who(deployment: Any) -> str:
    """`deployed by wrangler (dev@example.com) on 2026-11-30`, from a deployment's source and trigger."""
    verb = _TRIGGERS.get(deployment.triggered_by or "", "deployed")
    by_whom = _SOURCES.get(deployment.source or "", deployment.source or "another tool")
    by = f" ({deployment.author_email})" if deployment.author_email else ""
    when = f" on {deployment.created_on[:10]}" if deployment.created_on else ""
    return f"{verb} by {by_whom}{by}{when}"


def live_hash(deployments: Any) -> str | None:
    """The content hash of cfworker's deploy that is live now, or None when what is live is not cfworker's."""
    from cfworker.upload import hash_from_annotations

    for deployment in deployments or ():
        if deployment.single_version is None:
            return None
        found = hash_from_annotations(deployment.annotations)
        if found is not None:
            return found
        if deployment.triggered_by != "secret":
            return None
    return None


class ScriptConcern(Concern):
    key = "script"
    step_types = (UploadScript, DeployVersion)

    def read(self, reader: Reader) -> Any:
        if not reader.project.secrets:
            return None
        return {"secrets": workers_api.list_secrets(reader.client, reader.account_id, reader.project.name)}

    def plan(self, p: Planning) -> None:
        project, snapshot = p.project, p.snapshot
        preview = {b: dict(fields) for b, fields in p.resolved.items()}
        for binding, field, _ref in p.pending:
            preview.setdefault(binding, {})[field] = PENDING_ID
        form = build_upload_form(project, p.bundle, preview, migrations=p.migrations)
        p.form = form
        p.facts["content_hash"] = form.content_hash
        p.blockers += _check_secrets(project, snapshot, p.read(self.key))
        settings = snapshot.settings if snapshot else None
        upload = UploadScript(project.name, form, tuple(p.pending),
                              tuple(sorted((b, tuple(sorted(f.items()))) for b, f in p.resolved.items())),
                              is_new=settings is None, put=settings is None or p.migrations is not None,
                              migration_steps=tuple(p.facts.get("migration_steps", ())),
                              migrations_destructive=bool(p.facts.get("migrations_destructive")))
        if snapshot is None or settings is None:
            p.steps += [upload, DeployVersion(project.name, upload.key)]
            if snapshot is None:
                p.skipped_checks.insert(0, "whether the script exists and what is live (an upload is always planned)")
            return
        mine = form.content_hash[:16]
        deployments = snapshot.deployments
        deployment = deployments[0] if deployments else None
        current = live_hash(deployments)
        if not p.pending and not p.options.force_upload and p.migrations is None and current == mine \
                and not project.deploy_secrets:  # secret values are not compared: always sent
            where = f", live version {deployment.versions[0][0][:8]}" if deployment is not None and deployment.versions else ""
            p.notes.append(f"script unchanged (content hash {mine[:12]}{where}); upload skipped"
                           + ("; --message/--tag apply to the next upload (--force uploads now)"
                              if project.annotations else ""))
            return
        split = len(deployment.versions) if deployment is not None and deployment.single_version is None else 0
        drift = current is None
        if p.options.force_upload:
            p.notes.append("upload forced (--force)")
        elif project.deploy_secrets and current == mine:
            p.notes.append(f"uploading for the {len(project.deploy_secrets)} secret(s) of --secrets-file "
                           "(secret values are never compared)")
        elif split > 1 and deployment is not None:
            shares = ", ".join(f"{vid[:8]} {pct:g} %" for vid, pct in deployment.versions)
            p.notes.append(f"traffic is split between {split} versions ({shares}), a gradual deployment: this upload "
                           "sends 100 % to the new version")
        elif drift and deployment is not None:
            p.notes.append(f"the live version {deployment.versions[0][0][:8] if deployment.versions else '?'} was "
                           f"{who(deployment)}, not by cfworker from this tree: uploading it again")
        elif drift:
            p.notes.append("the worker has no deployment cfworker can read: uploading")
        p.steps += [upload, DeployVersion(project.name, upload.key, ends_split=split)]
        p.notes += binding_changes(project, settings.bindings, form.bindings, drift=drift and split <= 1)

    def execute(self, step: Any, run: Run) -> dict[str, Any]:
        c, acct = run.client, run.account_id
        if isinstance(step, DeployVersion):
            uploaded = run.so_far.output_of(step.upload_key)
            version_id = str(uploaded["version_id"])
            message = hash_annotation(str(uploaded["content_hash"]), dict(run.project.annotations).get("workers/message"))
            return {"id": workers_api.create_deployment(c, acct, step.script, version_id, message=message),
                    "version_id": version_id, "message": message}
        form = step.form
        jwt = run.state.get("assets.completion_jwt") if run.project.assets is not None else None
        if run.project.assets is not None and not jwt:
            raise RuntimeError("the assets step did not run before the script upload")  # the planner orders them
        if step.pending or jwt:
            resolved = {b: dict(fields) for b, fields in step.resolved}
            for binding, field, ref in step.pending:
                resolved.setdefault(binding, {})[field] = str(run.so_far.output_of(ref.step_key)[ref.field])
            form = build_upload_form(run.project, run.bundle, resolved, migrations=form.metadata.get("migrations"),
                                     assets_jwt=jwt)
        started = time.perf_counter()
        # A new Worker (or one with migrations pending) is uploaded with the PUT, which also deploys it; an
        # existing one gets a new version that the DeployVersion step after this one puts live (api-notes §1.3).
        if step.put:
            up = workers_api.upload_script(c, acct, step.script, form.parts)
        else:
            up = workers_api.upload_version(c, acct, step.script, form.parts)
        return {"etag": up.etag, "version_id": up.version_id, "startup_time_ms": up.startup_time_ms,
                "content_hash": form.content_hash, "upload_ms": round((time.perf_counter() - started) * 1000, 1),
                "bytes": sum(len(part[1][1]) for part in form.parts[1:])}


def _check_secrets(project: Project, snapshot: Any, read: Any) -> list[Blocker]:
    if not project.secrets or snapshot is None:
        return []
    env_flag = f" --env {project.env}" if project.env else ""
    if not snapshot.script_exists:
        names = ", ".join(project.secrets)
        return [Blocker(f"worker.toml requires secrets ({names}) but worker {project.name!r} does not exist yet",
                        f"create each one first with `cfworker secret put NAME{env_flag}` (it creates the worker)")]
    live = (read or {}).get("secrets") or ()
    missing = [s for s in project.secrets if s not in live]
    if not missing:
        return []
    return [Blocker(f"required secret(s) missing on worker {project.name!r}: {', '.join(missing)}",
                    f"set each with `cfworker secret put NAME{env_flag}` (the value is read from stdin)")]


def binding_changes(project: Project, live: Any, want: list[dict[str, Any]], *, drift: bool = False) -> list[str]:
    """Lines for every binding the upload adds, removes or changes against the live script.

    Vars keep wrangler's semantics (not in worker.toml: removed unless keep_vars); secrets
    are never touched by a deploy and not listed. With `drift`, the live values were set
    outside cfworker (the dashboard, another tool), and the lines say so.
    """
    skip = set(KEEP_SECRETS) | {"inherit"}
    have = {b["name"]: b for b in live if isinstance(b.get("name"), str) and b.get("type") not in skip}
    need = {b["name"]: b for b in want if b.get("type") not in skip}
    config = project.config_path.name
    tail = f" (changed outside cfworker; this deploy restores {config})" if drift else ""
    lines = []
    added = changed = removed = 0
    for name in sorted(set(have) | set(need)):
        old, new = have.get(name), need.get(name)
        label = "var" if (new or old or {}).get("type") in ("plain_text", "json") else "binding"
        if old is None and new is not None:
            added += 1
            lines.append(f"{label} {name}: added ({_describe(new)})")
        elif new is None and old is not None:
            if label == "var" and project.keep_vars:
                lines.append(f"var {name}: kept (not in {config}; keep_vars = true)")
                continue
            removed += 1
            if label == "var":
                lines.append(f"var {name}: REMOVED, it is not in {config} "
                             f"(set keep_vars = true to keep vars set elsewhere){tail}")
            else:
                lines.append(f"binding {name}: REMOVED ({_describe(old)}), it is not in {config}{tail}")
        elif old is not None and new is not None and _comparable(old) != _comparable(new):
            changed += 1
            lines.append(f"{label} {name}: {_describe(old)} -> {_describe(new)}{tail}")
    if added or changed or removed:  # the one-line summary first, as a plan reader scans it
        lines.insert(0, f"bindings: {added} to add, {changed} to change, {removed} to delete")
    return lines


def _comparable(binding: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in binding.items() if k != "name"}


def short(value: Any, limit: int = 40) -> str:
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(binding: dict[str, Any]) -> str:
    """`'hi'` for a text var, `kv_namespace namespace_id=abc...` for anything else."""
    kind = binding.get("type")
    if kind == "plain_text":
        return short(binding.get("text"))
    if kind == "json":
        return short(binding.get("json"))
    fields = ", ".join(f"{k}={short(v, 24)}" for k, v in sorted(binding.items()) if k not in ("name", "type"))
    return f"{kind} {fields}".strip()
