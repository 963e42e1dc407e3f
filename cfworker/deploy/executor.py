"""Perform a Plan's steps in order against the API and record what happened.

Each step is one or two API calls chosen by `match` (no name-built dispatch). Refs (a KV
namespace created earlier in the same run) are resolved just before the upload. A
failing step stops the run, and the hooks (`post` phase) do not run after a failed
upload or route step. Hooks are independent of each other: a failing hook is recorded
and the other hooks still run (deploy.hook_runner performs them). When a POST fails
without a clear answer (dropped connection, 5xx) the executor reads the state back once: if the
write did happen, the step counts as applied, so a rerun never creates a duplicate.
Ctrl-C stops after recording which steps were applied.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from cfworker.api import domains as domains_api
from cfworker.api import kv as kv_api
from cfworker.api import routes as routes_api
from cfworker.api import workers as workers_api
from cfworker.api.client import CloudflareClient
from cfworker.api.errors import CloudflareAPIError
from cfworker.bundle.model import Bundle
from cfworker.config.model import Project
from cfworker.deploy.hook_runner import HookRunner
from cfworker.deploy.plan import (
    ApplyDnsBatch,
    AttachDomain,
    CreateDnsRecord,
    CreateKVNamespace,
    CreateRoute,
    DeleteDnsRecord,
    DeleteRoute,
    DeployVersion,
    DetachDomain,
    Plan,
    PurgeCache,
    PutSchedules,
    SetScriptSettings,
    SetWorkersDev,
    Step,
    UpdateDnsRecord,
    UpdateRoute,
    UploadScript,
)
from cfworker.errors import CfWorkerError
from cfworker.upload import build_upload_form, hash_annotation

log = logging.getLogger(__name__)

Status = Literal["applied", "failed", "skipped", "interrupted"]
# "Already exists" answers of create calls: 10014 KV title, 10020 route pattern,
# 81057/81058 identical DNS record. The executor then reads the state back and adopts it
# when it is exactly what the step wanted (another script's route is not adopted).
ALREADY_EXISTS = (10014, 10020, 81057, 81058)


@dataclass
class StepResult:
    """What happened to one step."""

    step: Step
    status: Status
    detail: str | None = None
    error: CfWorkerError | None = None
    elapsed_ms: float = 0.0
    output: dict[str, Any] = field(default_factory=dict)


@dataclass
class ExecutionResult:
    """Every step's outcome, in plan order."""

    results: list[StepResult] = field(default_factory=list)
    interrupted: bool = False
    writes_landed: int = 0  # write requests that may have changed something (CloudflareClient.writes_landed)

    @property
    def wrote(self) -> bool:
        """True when anything may have been written: a step applied, or a write reached Cloudflare."""
        return bool(self.applied) or self.writes_landed > 0

    @property
    def applied(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "applied"]

    @property
    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.status in ("failed", "interrupted")]

    def output_of(self, key: str) -> dict[str, Any]:
        return next((r.output for r in self.results if r.step.key == key and r.status == "applied"), {})


class Executor:
    """Runs steps with one client; `on_applied` lets the caller react (e.g. write KV ids back)."""

    def __init__(self, client: CloudflareClient, *, account_id: str, project: Project, bundle: Bundle,
                 on_applied: Callable[[StepResult], None] | None = None,
                 on_start: Callable[[Step], None] | None = None,
                 announce: Callable[[str], None] | None = None) -> None:
        self.client = client
        self.account_id = account_id
        self.project = project
        self.bundle = bundle
        self._on_applied = on_applied or (lambda r: None)
        self._on_start = on_start or (lambda s: None)
        self._hooks = HookRunner(client, announce=announce)

    def execute(self, plan: Plan) -> ExecutionResult:
        """Run the plan's steps in order (see the module docstring for failure rules)."""
        result = ExecutionResult()
        landed_before = self.client.writes_landed
        try:
            self._execute(plan, result)
        finally:
            result.writes_landed = self.client.writes_landed - landed_before
        return result

    def _execute(self, plan: Plan, result: ExecutionResult) -> None:
        stop = False
        for step in plan.steps:
            if stop:  # only a failure before the post phase sets it: hooks need the deploy in place
                result.results.append(StepResult(step, "skipped", "an earlier step failed"))
                continue
            self._on_start(step)
            started = time.perf_counter()
            try:
                output = self._run(step, result)
                res = StepResult(step, "applied", output=output or {})
            except KeyboardInterrupt:
                result.results.append(StepResult(step, "interrupted", "interrupted (Ctrl-C)"))
                result.interrupted = True
                for rest in plan.steps[plan.steps.index(step) + 1:]:
                    result.results.append(StepResult(rest, "skipped", "interrupted"))
                return
            except CfWorkerError as exc:
                recovered = self._recover(step, exc)
                if recovered is not None:
                    res = StepResult(step, "applied", detail="confirmed after an unclear answer", output=recovered)
                else:
                    res = StepResult(step, "failed", detail=exc.message, error=exc)
                    stop = stop or step.phase != "post"
            except Exception as exc:  # a bug, or an answer no step expected: still an ordinary failed step
                log.debug("step %s raised", step.key, exc_info=True)
                error = CfWorkerError(f"unexpected {type(exc).__name__}: {exc}",
                                      hint="this is a bug in cfworker; rerun with --debug for the traceback and "
                                           "report it")
                res = StepResult(step, "failed", detail=error.message, error=error)
                stop = stop or step.phase != "post"
            res.elapsed_ms = (time.perf_counter() - started) * 1000
            result.results.append(res)
            if res.status == "applied":
                self._on_applied(res)

    # -- one step -----------------------------------------------------------------
    def _run(self, step: Step, so_far: ExecutionResult) -> dict[str, Any] | None:
        c, acct = self.client, self.account_id
        match step:
            case CreateKVNamespace(title=title):
                ns = kv_api.create_namespace(c, acct, title)
                return {"id": ns.id, "title": ns.title, "binding": step.binding}
            case UploadScript(script=script, form=form, kv_refs=refs):
                if refs:
                    ids = dict(step.kv_ids)
                    ids.update({b: str(so_far.output_of(ref.step_key)[ref.field]) for b, ref in refs})
                    form = build_upload_form(self.project, self.bundle, ids)
                started = time.perf_counter()
                # A new Worker is created by the PUT (which also deploys it); an existing one gets a new
                # version that the DeployVersion step after this one puts live (api-notes §1.3).
                if step.is_new:
                    up = workers_api.upload_script(c, acct, script, form.parts)
                else:
                    up = workers_api.upload_version(c, acct, script, form.parts)
                return {"etag": up.etag, "version_id": up.version_id, "startup_time_ms": up.startup_time_ms,
                        "content_hash": form.content_hash,
                        "upload_ms": round((time.perf_counter() - started) * 1000, 1),
                        "bytes": sum(len(p[1][1]) for p in form.parts[1:])}
            case DeployVersion(script=script, upload_key=upload_key):
                uploaded = so_far.output_of(upload_key)
                version_id, message = str(uploaded["version_id"]), hash_annotation(str(uploaded["content_hash"]))
                return {"id": workers_api.create_deployment(c, acct, script, version_id, message=message),
                        "version_id": version_id, "message": message}
            case SetWorkersDev(script=script, enabled=enabled, previews=previews):
                workers_api.set_subdomain(c, acct, script, enabled=enabled, previews_enabled=previews)
                return {"enabled": enabled, **({"previews_enabled": previews} if previews is not None else {})}
            case SetScriptSettings(script=script, changes=changes):
                body = {name: list(value) if name == "tags" else value for name, value in changes}
                workers_api.patch_script_settings(c, acct, script, body)
                return {"changed": sorted(body)}
            case PutSchedules(script=script, crons=crons):
                workers_api.put_schedules(c, acct, script, crons)
                return {"crons": list(crons)}
            case CreateRoute(zone_id=zone_id, pattern=pattern, script=script):
                return {"id": routes_api.create_route(c, zone_id, pattern, script)}
            case UpdateRoute(zone_id=zone_id, route_id=route_id, pattern=pattern, script=script):
                routes_api.update_route(c, zone_id, route_id, pattern, script)
                return {"id": route_id}
            case DeleteRoute(zone_id=zone_id, route_id=route_id):
                routes_api.delete_route(c, zone_id, route_id)
                return None
            case AttachDomain(hostname=host, zone_id=zone_id, script=script):
                domain = domains_api.attach_domain(c, acct, hostname=host, service=script, zone_id=zone_id,
                                                   override_origin=step.previous_service is not None,
                                                   override_dns=step.override_dns)
                return {"id": domain.id}
            case DetachDomain(domain_id=domain_id):
                domains_api.detach_domain(c, acct, domain_id)
                return None
            case CreateDnsRecord() | UpdateDnsRecord() | DeleteDnsRecord() | ApplyDnsBatch() | PurgeCache():
                return self._hooks.run(step)
        return self._run_extension(step)

    def _run_extension(self, step: Step) -> dict[str, Any] | None:
        raise NotImplementedError(f"no executor for {type(step).__name__}")

    # -- recovery after an unclear answer ------------------------------------------------
    def _recover(self, step: Step, exc: CfWorkerError) -> dict[str, Any] | None:
        """After a create failed without a clear answer, or because the thing already exists
        (an earlier, interrupted run's request that Cloudflare applied late), check whether
        the wanted state is there and adopt it instead of failing."""
        if not isinstance(exc, CloudflareAPIError):
            return None
        unclear = exc.status is None or exc.status >= 500
        already_exists = exc.has_code(*ALREADY_EXISTS)
        if not (unclear or already_exists):
            return None
        try:
            match step:
                case CreateKVNamespace(title=title):
                    ns = next((n for n in kv_api.list_namespaces(self.client, self.account_id) if n.title == title), None)
                    return {"id": ns.id, "title": ns.title, "binding": step.binding} if ns else None
                case CreateRoute(zone_id=zone_id, pattern=pattern, script=script):
                    route = next((r for r in routes_api.list_routes(self.client, zone_id)
                                  if r.pattern == pattern and r.script == script), None)
                    return {"id": route.id} if route else None
                case SetWorkersDev(script=script, enabled=enabled):
                    state = workers_api.get_subdomain(self.client, self.account_id, script)
                    return {"enabled": enabled} if state is not None and state.enabled == enabled else None
                case CreateDnsRecord() | ApplyDnsBatch():
                    return self._hooks.recover(step)
        except CfWorkerError:
            return None
        return None

