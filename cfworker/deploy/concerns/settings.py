"""Non-versioned script settings: tags, logpush, observability, tail consumers.

They are not part of a version, survive every other tool's deploys (real-api-quirks #4)
and are written by one PATCH of script-settings, only when something differs (api-notes
§1.3 step 3). Tags: worker.toml's are added to the ones already there and every tag
cfworker does not own is kept (at most 8); the hash tag older cfworker releases wrote is
the only one removed. Observability is compared on the keys worker.toml sets; tail
consumers (and streaming tail consumers) as a set, when worker.toml lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cfworker.api import workers as workers_api
from cfworker.deploy.concern import Concern, Planning, Run
from cfworker.deploy.plan import Blocker, Phase, StepBase, onoff
from cfworker.upload import HASH_TAG_PREFIX

MAX_TAGS = 8  # per script (real-api-quirks #5)


@dataclass(frozen=True, slots=True)
class SetScriptSettings(StepBase):
    """Change non-versioned settings in one PATCH of script-settings."""

    script: str
    changes: tuple[tuple[str, Any], ...]  # (setting, new value), only those that differ
    previous: tuple[tuple[str, Any], ...] = ()
    phase: Phase = "script"
    destructive: bool = False

    @property
    def key(self) -> str:
        return "script_settings"

    def describe(self) -> str:
        before = dict(self.previous)
        parts = []
        for name, value in self.changes:
            old = before.get(name)
            if name == "tags":
                added = [t for t in value if t not in (old or ())]
                removed = [t for t in old or () if t not in value]
                parts.append("tags " + ", ".join(([f"+{added}"] if added else []) + ([f"-{removed}"] if removed else [])))
            elif name == "logpush":
                parts.append(f"logpush {onoff(old)} -> {onoff(value)}")
            elif name in ("tail_consumers", "streaming_tail_consumers"):
                services = ", ".join(_service(t) for t in value) or "none"
                parts.append(f"{name.replace('_', ' ')}: {services}")
            else:
                parts.append(f"{name} {value}")
        return f"script settings: {'; '.join(parts)}"


def _service(tail: dict[str, Any]) -> str:
    env = tail.get("environment")
    return f"{tail.get('service')}" + (f" ({env})" if env else "")


def _tails_key(tails: Any) -> list[tuple[str, str]]:
    return sorted((str(t.get("service")), str(t.get("environment") or "")) for t in tails or ())


def covers(live: Any, want: Any) -> bool:
    """True when `live` has every key `want` sets, with the same value (nested tables alike)."""
    if isinstance(want, dict):
        return isinstance(live, dict) and all(covers(live.get(k), v) for k, v in want.items())
    return bool(live == want)


class SettingsConcern(Concern):
    key = "settings"
    step_types = (SetScriptSettings,)

    def plan(self, p: Planning) -> None:
        project = p.project
        live = p.snapshot.settings if p.snapshot is not None else None
        live_tags = tuple(live.tags) if live is not None else ()
        kept = [t for t in live_tags if not t.startswith(HASH_TAG_PREFIX)]
        tags = tuple(kept + [t for t in project.tags if t not in kept])
        if len(tags) > MAX_TAGS:
            foreign = [t for t in kept if t not in project.tags]
            p.blockers.append(Blocker(
                f"worker {project.name!r} would carry {len(tags)} tags, more than the {MAX_TAGS} Cloudflare allows "
                f"(set elsewhere: {', '.join(foreign) or 'none'})",
                "remove tags from `tags` in worker.toml, or remove tags set elsewhere in the dashboard"))
            return
        changes: list[tuple[str, Any]] = []
        previous: list[tuple[str, Any]] = []
        if tags != live_tags:
            changes.append(("tags", tags))
            previous.append(("tags", live_tags))
        if project.logpush is not None and (live is None or bool(live.logpush) != project.logpush):
            changes.append(("logpush", project.logpush))
            previous.append(("logpush", live.logpush if live is not None else None))
        live_obs = live.observability if live is not None else None
        if project.observability is not None and not covers(live_obs, project.observability):
            changes.append(("observability", project.observability))
            previous.append(("observability", live_obs))
        for name in ("tail_consumers", "streaming_tail_consumers"):
            want = getattr(project, name)
            have = getattr(live, name) if live is not None else None
            if want is not None and _tails_key(want) != _tails_key(have):
                changes.append((name, tuple(want)))
                previous.append((name, tuple(have or ())))
        if changes:
            p.steps.append(SetScriptSettings(project.name, tuple(changes), tuple(previous)))

    def execute(self, step: SetScriptSettings, run: Run) -> dict[str, Any]:
        body = {name: [dict(v) if isinstance(v, dict) else v for v in value] if isinstance(value, tuple) else value
                for name, value in step.changes}
        workers_api.patch_script_settings(run.client, run.account_id, step.script, body)
        return {"changed": sorted(body)}
