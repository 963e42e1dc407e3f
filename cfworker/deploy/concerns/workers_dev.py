"""workers.dev: the script's `<name>.<account>.workers.dev` switch, and preview URLs with it.

workers_dev defaults to on without routes and off with them (wrangler's rule); switching
it off breaks clients of the URL, so that is destructive. preview_urls is sent only when
worker.toml sets it, with the API date that makes the server honour it (real-api-quirks
#9). The account's workers.dev subdomain is read here for the URL in the summary, and
for Workflows, which need one (research notes A3).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import workers as workers_api
from cfworker.api.errors import CloudflareAPIError
from cfworker.config.model import Project
from cfworker.deploy.concern import Concern, Planning, Reader, Run
from cfworker.deploy.plan import Phase, StepBase, onoff


@dataclass(frozen=True, slots=True)
class SetWorkersDev(StepBase):
    """The workers.dev switch and, when worker.toml sets preview_urls, the preview URLs with it."""

    script: str
    enabled: bool
    previous: bool | None
    previews: bool | None = None  # None: preview_urls not configured, left to the server
    previous_previews: bool | None = None
    phase: Phase = "script"

    @property
    def destructive(self) -> bool:
        return not self.enabled and self.previous is True

    @property
    def key(self) -> str:
        return "workers_dev"

    def describe(self) -> str:
        text = f"workers.dev: {onoff(self.previous)} -> {onoff(self.enabled)}"
        if self.previews is not None:
            text += f", preview URLs: {onoff(self.previous_previews)} -> {onoff(self.previews)}"
        return text


def needs_account_subdomain(project: Project) -> bool:
    """The account's workers.dev name matters: for the URL, or for Workflows this Worker defines."""
    own_workflows = any(b.get("script_name") in (None, project.name) for b in project.bindings_of("workflows"))
    return project.wants_workers_dev or own_workflows


class WorkersDevConcern(Concern):
    key = "workers_dev"
    step_types = (SetWorkersDev,)

    def read(self, reader: Reader) -> Any:
        c, acct, name = reader.client, reader.account_id, reader.project.name
        account = workers_api.get_account_subdomain(c, acct) if needs_account_subdomain(reader.project) else None
        return {"script": workers_api.get_subdomain(c, acct, name), "account": account}

    def plan(self, p: Planning) -> None:
        project = p.project
        read = p.read(self.key) or {}
        if project.wants_workers_dev and read.get("account"):
            p.facts.setdefault("urls", []).insert(0, f"https://{project.name}.{read['account']}.workers.dev")
        want, want_previews = project.wants_workers_dev, project.preview_urls
        live = read.get("script") if p.snapshot is not None and p.snapshot.script_exists else None
        current = live.enabled if live is not None else None
        current_previews = live.previews_enabled if live is not None else None
        enabled_ok = current == want or (current is None and not want)
        previews_ok = want_previews is None or current_previews == want_previews
        if enabled_ok and previews_ok:
            return
        if not want and project.workers_dev is None and not enabled_ok:
            p.notes.append("workers.dev turns off because worker.toml has routes; set workers_dev = true to keep it")
        p.steps.append(SetWorkersDev(project.name, want, current, want_previews, current_previews))

    def execute(self, step: SetWorkersDev, run: Run) -> dict[str, Any]:
        workers_api.set_subdomain(run.client, run.account_id, step.script, enabled=step.enabled,
                                  previews_enabled=step.previews)
        return {"enabled": step.enabled, **({"previews_enabled": step.previews} if step.previews is not None else {})}

    def recover(self, step: SetWorkersDev, run: Run, error: CloudflareAPIError) -> dict[str, Any] | None:
        state = workers_api.get_subdomain(run.client, run.account_id, step.script)
        return {"enabled": step.enabled} if state is not None and state.enabled == step.enabled else None
