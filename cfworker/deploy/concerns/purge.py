"""The purge hook as a deploy concern: [purge] requests after every deploy (deploy.purge)."""

from __future__ import annotations

from cfworker.config.model import Project
from cfworker.deploy.concern import Options, Planning
from cfworker.deploy.concerns.dns import HookConcern
from cfworker.deploy.hook_steps import PurgeCache
from cfworker.deploy.purge import plan_purge, purge_lookups
from cfworker.deploy.zones import route_lookups


class PurgeConcern(HookConcern):
    key = "purge"
    step_types = (PurgeCache,)

    def zones(self, project: Project, options: Options) -> tuple[set[str], set[str]]:
        if not options.hooks or project.purge is None:
            return set(), set()
        names, hosts = purge_lookups(project)
        route_names, route_hosts = route_lookups(project.routes)  # tags and everything go to the routes' zones
        return names | route_names, hosts | route_hosts

    def plan(self, p: Planning) -> None:
        if not p.options.hooks:
            return
        purge = plan_purge(p.project, p.snapshot.zones if p.snapshot is not None else None)
        p.steps += purge.steps
        p.notes += purge.notes
        p.blockers += purge.blockers
