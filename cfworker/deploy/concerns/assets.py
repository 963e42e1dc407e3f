"""Static assets: upload the files Cloudflare lacks before the script that serves them.

Rules:
  * Assets travel with the script: only a deploy that uploads the script uploads assets
    (the content hash covers the manifest and the serving config, so a changed file is a
    changed script, and an unchanged tree makes no request at all).
  * The plan shows one step: "N files, M new (X MiB), K unchanged". The counts come from an
    upload session opened once the plan is made (`ask_session`, also in a dry run when there
    are credentials); the same session is used to upload, so the files counted are the ones sent.
  * The script upload redeems the completion token (research-16 A4/A5); a rerun after a
    failure opens a new session, which asks only for what is still missing.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cfworker.api.assets import UploadSession
from cfworker.api.errors import CloudflareAPIError
from cfworker.deploy.concern import Concern, Planning, Run
from cfworker.deploy.concerns.script import UploadScript
from cfworker.deploy.plan import Phase, StepBase
from cfworker.ui import human_size

if TYPE_CHECKING:
    from cfworker.api.client import CloudflareClient
    from cfworker.deploy.plan import Plan


JWT_STATE = "assets.completion_jwt"
BAR = 24


@dataclass(frozen=True, slots=True)
class UploadAssets(StepBase):
    script: str
    files: int
    total_bytes: int
    session: UploadSession | None = None  # asked once the plan was made: says which files are new
    new_bytes: int | None = None
    phase: Phase = "provision"  # before the script, which redeems the completion token
    destructive: bool = False

    @property
    def key(self) -> str:
        return "assets"

    def describe(self) -> str:
        if self.session is None:
            return (f"assets: {self.files} files ({human_size(self.total_bytes)}); the upload session says which are new")
        new = self.session.missing
        size = f" ({human_size(self.new_bytes or 0)})" if new else ""
        return f"assets: {self.files} files, {new} new{size}, {self.files - new} unchanged"


class AssetsConcern(Concern):
    """Runs after the script concern has decided whether the script is uploaded."""

    key = "assets"
    step_types = (UploadAssets,)

    def plan(self, p: Planning) -> None:
        manifest = p.bundle.assets
        if manifest is None or not any(isinstance(s, UploadScript) for s in p.steps):
            return
        p.steps.append(UploadAssets(p.project.name, len(manifest.files), manifest.total_size))

    def execute(self, step: UploadAssets, run: Run) -> dict[str, Any]:
        from cfworker.assets.upload import sync

        manifest = run.bundle.assets
        assert manifest is not None
        status = run.progress

        def progress(done: int, total: int) -> None:
            if status is not None:
                filled = done * BAR // max(total, 1)
                status(f"assets [{'#' * filled}{'.' * (BAR - filled)}] {done}/{total} files")

        try:
            result = sync(run.client, run.account_id, step.script, manifest, session=step.session, progress=progress)
        finally:
            if status is not None:
                status(None)
        run.state[JWT_STATE] = result.completion_jwt  # for the script upload; never in the step's output
        if run.announce is not None:
            run.announce(f"assets: uploaded {result.uploaded_files} file(s) ({human_size(result.uploaded_bytes)}), "
                         f"{result.skipped} already on Cloudflare")
        return {"uploaded": result.uploaded_files,
                "uploaded_bytes": result.uploaded_bytes, "unchanged": result.skipped}


def ask_session(plan: Plan, client: CloudflareClient | None, account_id: str | None, bundle: Any) -> Plan:
    """The plan with its assets step knowing which files are new (an upload session opened now);
    unchanged when there is no such step, no client, or the session cannot be opened (a note says so)."""
    from cfworker.api.assets import create_upload_session

    step = next((s for s in plan.steps if isinstance(s, UploadAssets)), None)
    if step is None or client is None or not account_id or bundle.assets is None:
        return plan
    try:
        session = create_upload_session(client, account_id, step.script, bundle.assets.wire())
    except CloudflareAPIError as exc:
        note = f"could not ask Cloudflare which asset files are new ({exc.message}); the upload will ask again"
        return dataclasses.replace(plan, notes=(*plan.notes, note))
    files = bundle.assets.by_hash()
    new_bytes = sum(files[h].size for bucket in session.buckets for h in bucket if h in files)
    steps = tuple(dataclasses.replace(s, session=session, new_bytes=new_bytes) if s is step else s
                  for s in plan.steps)
    return dataclasses.replace(plan, steps=steps)
