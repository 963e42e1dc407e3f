"""Workflows: `PUT/GET/DELETE /accounts/{a}/workflows/{name}` and the list (research notes 14-15 A3).

wrangler registers each Workflow a Worker defines after uploading it (`PUT` with `{script_name,
class_name, limits?, schedules?}`, deploy-helpers triggers/deploy.ts), looks one up before an upload
to warn about a take-over (`GET`, 10200 = not found, check-workflow-conflicts.ts) and never deletes
one on deploy. A `workflow` binding in an upload needs no registered Workflow (state_workers checks
its shape only): wrangler uploads first and registers after. A `PUT` for a name another script
holds moves it to the new script (wrangler warns "Deploying will reassign these workflows", so the
server allows it). Error codes: codes.py, `workflow_*`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.routing import Ctx, Route
from tests.fakes.state_triggers import cron_ok
from tests.fakes.state_workers import exported_names
from tests.fakes.wire import Fail, Reply, new_uuid, now_iso, paginate

# 1-64 characters of [A-Za-z0-9_-], not starting with '-': wrangler's validateWorkflowBinding
# (workflowNameFormatMessage, research notes A3). Server-side enforcement unverified: the less forgiving choice.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$")
# class_name and script_name: 1-255 characters (API reference for Update Workflow, research notes A3)
_MAX_FIELD = 255


@dataclass
class Workflow:
    """A registered Workflow: which class of which script runs it."""

    id: str
    account_id: str
    name: str
    script_name: str
    class_name: str
    limits: dict[str, Any] | None = None
    schedules: list[dict[str, Any]] = field(default_factory=list)
    version_id: str = field(default_factory=new_uuid)
    created_on: str = field(default_factory=now_iso)
    modified_on: str = field(default_factory=now_iso)

    def as_api(self) -> dict[str, Any]:
        """`{id, name, class_name, script_name, created_on, modified_on, is_deleted, terminator_running,
        triggered_on, version_id}` (the Update Workflow response, research notes A3) plus `limits` and
        `schedules` when set (their echo is unverified) and zero instance counts (the details answer of
        the API, as miniflare's local explorer shapes it: workflows_workflow-details)."""
        d: dict[str, Any] = {"id": self.id, "name": self.name, "class_name": self.class_name,
                             "script_name": self.script_name, "created_on": self.created_on,
                             "modified_on": self.modified_on, "is_deleted": False, "terminator_running": False,
                             "triggered_on": None, "version_id": self.version_id,
                             "instances": {k: 0 for k in ("complete", "errored", "paused", "queued", "running",
                                                          "terminated", "waiting", "waitingForPause")}}
        if self.limits is not None:
            d["limits"] = dict(self.limits)
        if self.schedules:
            d["schedules"] = [dict(s) for s in self.schedules]
        return d


def _get(ctx: Ctx) -> Workflow:
    wf = ctx.state.workflows.get((ctx.account_id, ctx.p["workflow_name"]))
    if wf is None:
        raise Fail("workflow_not_found")
    return wf


def list_workflows(ctx: Ctx) -> Reply:
    """GET /accounts/{a}/workflows?page&per_page (what `wrangler workflows list` sends); by name
    (unverified); default per_page 10 and cap 100 unverified."""
    items = [wf.as_api() for (aid, _), wf in sorted(ctx.state.workflows.items()) if aid == ctx.account_id]
    return paginate(items, ctx.req, default_per_page=10, max_per_page=100)


def get_workflow(ctx: Ctx) -> dict[str, Any]:
    """GET /accounts/{a}/workflows/{name} (404/10200 when absent)."""
    return _get(ctx).as_api()


def put_workflow(ctx: Ctx) -> dict[str, Any]:
    """PUT /accounts/{a}/workflows/{name} {script_name, class_name, limits?: {steps}, schedules?: [{cron}]}.

    Creates or updates; the id and creation time stay, every PUT makes a new version_id. The script
    must be a Worker of the account (10007 reused, unverified) whose main module exports the class
    (`exported_names` heuristic; code unverified). `limits.steps` a positive integer (API
    reference, research notes A3). `schedules` need a paid Workers plan (403/10208) and valid crons.
    """
    name = ctx.p["workflow_name"]
    body = ctx.body()
    if not isinstance(body, dict):
        raise Fail("workflow_invalid", detail="the body must be an object")
    if not _NAME.match(name):
        raise Fail("workflow_invalid", detail=f"invalid workflow name {name!r}: 1-64 of A-Z a-z 0-9 _ -")
    script_name, class_name = body.get("script_name"), body.get("class_name")
    for field_name, value in (("script_name", script_name), ("class_name", class_name)):
        if not isinstance(value, str) or not 1 <= len(value) <= _MAX_FIELD:
            raise Fail("workflow_invalid", detail=f"{field_name} must be a string of 1-{_MAX_FIELD} characters")
    limits = body.get("limits")
    if limits is not None:
        steps = limits.get("steps") if isinstance(limits, dict) else None
        if not isinstance(limits, dict) or set(limits) - {"steps"} or steps is not None and (
                not isinstance(steps, int) or isinstance(steps, bool) or steps < 1):
            raise Fail("workflow_invalid", detail="limits must be {steps: a positive integer}")
    schedules = body.get("schedules")
    if schedules is not None:
        if not isinstance(schedules, list) or not all(isinstance(s, dict) and cron_ok(s.get("cron"))
                                                      for s in schedules):
            raise Fail("workflow_invalid", detail="schedules must be a list of {cron} with five-field crons")
        if schedules and not ctx.state.config.workers_paid_plan:
            raise Fail("workflow_cron_paid_plan")
    assert isinstance(script_name, str) and isinstance(class_name, str)  # checked above
    script = ctx.state.account_scripts(ctx.account_id).get(script_name)
    if script is None or not script.versions:
        raise Fail("script_not_found")
    if class_name not in exported_names(script.modules, script.main_module):
        raise Fail("workflow_invalid", detail=f"class '{class_name}' is not exported by script '{script_name}'")
    wf = ctx.state.workflows.get((ctx.account_id, name))
    if wf is None:
        wf = Workflow(new_uuid(), ctx.account_id, name, script_name, class_name)
        ctx.state.workflows[(ctx.account_id, name)] = wf
    wf.script_name, wf.class_name, wf.limits = script_name, class_name, limits
    wf.schedules = [{"cron": s["cron"]} for s in schedules or []]
    wf.version_id, wf.modified_on = new_uuid(), now_iso()
    return wf.as_api()


def delete_workflow(ctx: Ctx) -> None:
    """DELETE /accounts/{a}/workflows/{name}: "only deletes the Workflow and does not delete or modify any
    Worker associated to this Workflow" (API reference, research notes A3)."""
    wf = _get(ctx)
    del ctx.state.workflows[(wf.account_id, wf.name)]


# Scopes: "workflows:*" is the fake's own name (state.ALL_PERMISSIONS). The list path is outside the
# OpenAPI subset: page/per_page are what `wrangler workflows list` sends (WR/workflows/commands/list.ts).
_F = "/accounts/{account_id}/workflows"
ROUTES = [
    Route("GET", _F, list_workflows, "workflows:read", extra_params=("page", "per_page")),
    Route("GET", _F + "/{workflow_name}", get_workflow, "workflows:read"),
    Route("PUT", _F + "/{workflow_name}", put_workflow, "workflows:write"),
    Route("DELETE", _F + "/{workflow_name}", delete_workflow, "workflows:write"),
]
