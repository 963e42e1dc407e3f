"""Every deploy concern, in the order the planner asks them (see deploy.concern).

The order is the dependency order within a phase: resources are provisioned before the
migrations and the script need their ids, the script is uploaded before what attaches to
it. A new concern is one module and one line here.
"""

from __future__ import annotations

from cfworker.deploy.concern import Concern
from cfworker.deploy.concerns.assets import AssetsConcern
from cfworker.deploy.concerns.crons import CronsConcern
from cfworker.deploy.concerns.dns import DnsConcern
from cfworker.deploy.concerns.domains import DomainsConcern
from cfworker.deploy.concerns.migrations import MigrationsConcern
from cfworker.deploy.concerns.provision import ProvisionConcern
from cfworker.deploy.concerns.purge import PurgeConcern
from cfworker.deploy.concerns.queue_consumers import QueueConsumersConcern
from cfworker.deploy.concerns.routes import RoutesConcern
from cfworker.deploy.concerns.script import ScriptConcern
from cfworker.deploy.concerns.settings import SettingsConcern
from cfworker.deploy.concerns.workers_dev import WorkersDevConcern
from cfworker.deploy.concerns.workflows import WorkflowsConcern

CONCERNS: tuple[Concern, ...] = (
    ProvisionConcern("kv_namespaces"),
    ProvisionConcern("r2_buckets"),
    ProvisionConcern("d1_databases"),
    MigrationsConcern(),
    ScriptConcern(),
    AssetsConcern(),  # after the script decided to upload; its step runs first (provision phase)
    SettingsConcern(),
    WorkersDevConcern(),
    CronsConcern(),
    RoutesConcern(),
    DomainsConcern(),
    QueueConsumersConcern(),
    WorkflowsConcern(),
    DnsConcern(),
    PurgeConcern(),
)


def owner_of(step: object) -> Concern:
    """The concern that plans and runs a step of this type."""
    for concern in CONCERNS:
        if concern.owns(step):
            return concern
    raise LookupError(f"no deploy concern runs {type(step).__name__}")
