"""Alerts from events: durable JetStream consumers (`services/common/consumer.py`) shared by every replica.

One-off alerts (state changes, failures, image updates) are stored resolved at once, as Komodo stores them,
with an id derived from the consumer and the event id: a redelivered event finds its alert there and makes no
second one, so every handler is idempotent. `ResourceChanged` keeps the server rules current and resolves the
open alerts of a deleted resource.

| consumer | subject | alerts |
|---|---|---|
| `alerter-resources` | `komodo.event.resource.>` | resolves a deleted resource's alerts; re-reads server configs |
| `alerter-deployments` | `komodo.event.deployment.>` | ContainerStateChange, DeploymentImageUpdateAvailable, DeploymentAutoUpdated |
| `alerter-stacks` | `komodo.event.stack.>` | StackStateChange, StackImageUpdateAvailable, StackAutoUpdated |
| `alerter-builds` | `komodo.event.build.BuildFailed` | BuildFailed |
| `alerter-procedures` | `komodo.event.procedure.ProcedureFailed` | ProcedureFailed (when the procedure's `failure_alert`) |
| `alerter-updates` | `komodo.event.update.UpdateChanged` | RepoBuildFailed (a failed BuildRepo), ActionFailed (a failed RunAction, when `failure_alert`) |
| `alerter-syncs` | `komodo.event.sync.ResourceSyncPendingChanged` | ResourceSyncPendingUpdates: open (OK) while the sync has pending changes and `pending_alert`, resolved when it has none |
| `alerter-cloud` | `komodo.event.builder.AwsBuilderTerminationFailed` | AwsBuilderTerminationFailed (CRITICAL): an AWS build instance is still running |
| `alerter-schedules` | `komodo.event.schedule.ScheduleRun` | ScheduleRun (the executor publishes it only for a `schedule_alert` procedure or action) |
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from contracts.api.read.action import GetAction
from contracts.api.read.deployment import GetDeployment
from contracts.api.read.procedure import GetProcedure
from contracts.api.read.repo import GetRepo
from contracts.api.read.server import GetServer
from contracts.api.read.stack import GetStack
from contracts.api.read.update import GetUpdate
from contracts.entities.alert import Alert
from contracts.entities.common import ResourceTarget, ResourceTargetVariant, SeverityLevel
from contracts.entities.deployment import DeploymentState
from contracts.entities.stack import StackState
from contracts.entities.update import Operation, UpdateStatus
from contracts.events.base import Event
from contracts.events.cloud import AwsBuilderTerminationFailed
from contracts.events.execution import (
    BuildFailed,
    DeploymentAutoUpdated,
    DeploymentImageUpdateAvailable,
    DeploymentStateChanged,
    StackAutoUpdated,
    StackImageUpdateAvailable,
    StackStateChanged,
)
from contracts.events.procedure import ProcedureFailed
from contracts.events.resource import ResourceChange, ResourceChanged
from contracts.events.resource_sync import ResourceSyncPendingChanged
from contracts.events.schedule import ScheduleRun
from contracts.events.update import UpdateChanged
from services.alerter.store import derived_id, open_key
from services.common.consumer import Consumer
from services.common.errors import NotFound

if TYPE_CHECKING:
    from services.alerter.app import Alerter

log = logging.getLogger(__name__)

UNKNOWN: Final = "unknown"
"""The state a transition from or to is never alerted (Komodo's rule)."""


class EventAlerts:
    """The handlers of the alerter's consumers."""

    def __init__(self, alerter: Alerter) -> None:
        self.alerter = alerter
        self.store = alerter.store

    def consumers(self) -> list[Consumer]:
        """Every consumer, to register on the bus before it starts."""
        db = self.alerter.db
        return [
            Consumer("alerter-resources", "komodo.event.resource.>", self.on_resource, db),
            Consumer("alerter-deployments", "komodo.event.deployment.>", self.on_deployment, db),
            Consumer("alerter-stacks", "komodo.event.stack.>", self.on_stack, db),
            Consumer("alerter-builds", BuildFailed.SUBJECT, self.on_build_failed, db),
            Consumer("alerter-procedures", ProcedureFailed.SUBJECT, self.on_procedure_failed, db),
            Consumer("alerter-updates", UpdateChanged.SUBJECT, self.on_update, db),
            Consumer("alerter-schedules", ScheduleRun.SUBJECT, self.on_schedule_run, db),
            Consumer("alerter-cloud", AwsBuilderTerminationFailed.SUBJECT, self.on_termination_failed, db),
            Consumer("alerter-syncs", ResourceSyncPendingChanged.SUBJECT, self.on_sync_pending, db),
        ]

    # --- helpers ----------------------------------------------------------------------------------------

    async def _get(self, request: Any) -> Any | None:
        """A resource from the registry as the System user; None when it is gone."""
        try:
            return await self.alerter.bus.request(request, self.alerter.registry.system_headers())
        except NotFound:
            return None

    async def _server_name(self, server_id: str) -> str | None:
        if not server_id:
            return None
        server = await self._get(GetServer(server=server_id))
        return server.name if server is not None else None

    async def _placed(self, resource_id: str, name: str, server_id: str) -> dict[str, Any]:
        """The fields Komodo's alert data of a resource on a server carry: its id and name, and its server's."""
        return {
            "id": resource_id,
            "name": name,
            "server_id": server_id or None,
            "server_name": await self._server_name(server_id),
        }

    async def _one_off(
        self, consumer: str, event: Event, level: SeverityLevel, target: ResourceTarget, data: dict[str, Any]
    ) -> Alert:
        """Store a one-off alert (resolved at once) for `event`; the same event stores it once."""
        alert = Alert.model_validate(
            {
                "_id": derived_id(consumer, event.id),
                "ts": event.time,
                "resolved": True,
                "resolved_ts": event.time,
                "level": level,
                "target": target,
                "data": data,
            }
        )
        await self.store.record_resolved(alert)
        return alert

    # --- resources --------------------------------------------------------------------------------------

    async def on_resource(self, event: Event) -> None:
        """A deleted resource's open alerts resolve; a server change is followed at once."""
        if not isinstance(event, ResourceChanged) or event.resource is None or not event.resource.id:
            return
        target = event.resource
        if event.change == ResourceChange.Deleted:
            if target.type == ResourceTargetVariant.Server:
                await self.alerter.servers.forget(target.id)
            for alert in await self.store.open_for_target(target.id):
                await self.store.resolve(alert)
        elif target.type == ResourceTargetVariant.Server:
            await self.alerter.servers.refresh()

    # --- deployments and stacks -------------------------------------------------------------------------

    async def on_deployment(self, event: Event) -> None:
        """ContainerStateChange (WARNING, when `send_alerts`), DeploymentImageUpdateAvailable and
        DeploymentAutoUpdated (OK)."""
        if event.resource is None or not isinstance(
            event, DeploymentStateChanged | DeploymentImageUpdateAvailable | DeploymentAutoUpdated
        ):
            return
        if isinstance(event, DeploymentStateChanged) and UNKNOWN in (event.previous, event.current):
            return
        if isinstance(event, DeploymentAutoUpdated) and not event.success:
            return
        deployment = await self._get(GetDeployment(deployment=event.resource.id))
        if deployment is None:
            return
        placed = await self._placed(deployment.id, deployment.name, deployment.config.server_id)
        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
        if isinstance(event, DeploymentStateChanged):
            if not deployment.config.send_alerts:
                return
            data = {
                **placed,
                "from": DeploymentState(event.previous).value,
                "to": DeploymentState(event.current).value,
            }
            await self._one_off(
                "alerter-deployments",
                event,
                SeverityLevel.Warning,
                target,
                {"type": "ContainerStateChange", "data": data},
            )
            return
        variant = (
            "DeploymentImageUpdateAvailable"
            if isinstance(event, DeploymentImageUpdateAvailable)
            else "DeploymentAutoUpdated"
        )
        await self._one_off(
            "alerter-deployments",
            event,
            SeverityLevel.Ok,
            target,
            {"type": variant, "data": {**placed, "image": event.image}},
        )

    async def on_stack(self, event: Event) -> None:
        """StackStateChange (WARNING, when `send_alerts`), StackImageUpdateAvailable and StackAutoUpdated (OK)."""
        if event.resource is None or not isinstance(
            event, StackStateChanged | StackImageUpdateAvailable | StackAutoUpdated
        ):
            return
        if isinstance(event, StackStateChanged) and UNKNOWN in (event.previous, event.current):
            return
        if isinstance(event, StackAutoUpdated) and not event.success:
            return
        stack = await self._get(GetStack(stack=event.resource.id))
        if stack is None:
            return
        placed = await self._placed(stack.id, stack.name, stack.config.server_id)
        target = ResourceTarget(type=ResourceTargetVariant.Stack, id=stack.id)
        if isinstance(event, StackStateChanged):
            if not stack.config.send_alerts:
                return
            data = {**placed, "from": StackState(event.previous).value, "to": StackState(event.current).value}
            alert_data: dict[str, Any] = {"type": "StackStateChange", "data": data}
            level = SeverityLevel.Warning
        elif isinstance(event, StackImageUpdateAvailable):
            alert_data = {
                "type": "StackImageUpdateAvailable",
                "data": {**placed, "service": event.service, "image": event.image},
            }
            level = SeverityLevel.Ok
        else:
            alert_data = {"type": "StackAutoUpdated", "data": {**placed, "images": list(event.images)}}
            level = SeverityLevel.Ok
        await self._one_off("alerter-stacks", event, level, target, alert_data)

    # --- failures ---------------------------------------------------------------------------------------

    async def on_build_failed(self, event: Event) -> None:
        """BuildFailed (WARNING)."""
        if not isinstance(event, BuildFailed) or event.resource is None:
            return
        target = ResourceTarget(type=ResourceTargetVariant.Build, id=event.resource.id)
        data = {"id": event.resource.id, "name": event.name, "version": event.build_version.to_json()}
        await self._one_off(
            "alerter-builds", event, SeverityLevel.Warning, target, {"type": "BuildFailed", "data": data}
        )

    async def on_procedure_failed(self, event: Event) -> None:
        """ProcedureFailed (WARNING), when the procedure's `failure_alert` is on."""
        if not isinstance(event, ProcedureFailed):
            return
        procedure_id = event.resource.id if event.resource is not None else ""
        if not procedure_id:
            # The executor's event names the run (its RunProcedure Update), whose target is the procedure.
            update = await self._get(GetUpdate(id=event.run_id))
            if update is None or update.target.type != ResourceTargetVariant.Procedure:
                return
            procedure_id = update.target.id
        procedure = await self._get(GetProcedure(procedure=procedure_id))
        if procedure is not None and not procedure.config.failure_alert:
            return
        name = procedure.name if procedure is not None else event.name
        target = ResourceTarget(type=ResourceTargetVariant.Procedure, id=procedure_id)
        data = {"type": "ProcedureFailed", "data": {"id": procedure_id, "name": name}}
        await self._one_off("alerter-procedures", event, SeverityLevel.Warning, target, data)

    async def on_schedule_run(self, event: Event) -> None:
        """ScheduleRun (OK, as Komodo): a scheduled procedure or action run started."""
        if not isinstance(event, ScheduleRun) or event.resource is None or not event.resource.id:
            return
        target = ResourceTarget(type=event.resource_type, id=event.resource.id)
        data = {"id": event.resource.id, "name": event.name, "resource_type": event.resource_type.value}
        await self._one_off(
            "alerter-schedules", event, SeverityLevel.Ok, target, {"type": "ScheduleRun", "data": data}
        )

    async def on_termination_failed(self, event: Event) -> None:
        """AwsBuilderTerminationFailed (CRITICAL, as Komodo): the builder could not terminate its instance."""
        if not isinstance(event, AwsBuilderTerminationFailed):
            return
        target = event.resource or ResourceTarget.system()
        data = {"instance_id": event.instance_id, "message": event.message}
        await self._one_off(
            "alerter-cloud",
            event,
            SeverityLevel.Critical,
            target,
            {"type": "AwsBuilderTerminationFailed", "data": data},
        )

    async def on_sync_pending(self, event: Event) -> None:
        """ResourceSyncPendingUpdates (OK, as Komodo): open while the sync has pending changes (when its
        `pending_alert`), resolved when it has none. A redelivered opening finds its alert (derived id)."""
        if (
            not isinstance(event, ResourceSyncPendingChanged)
            or event.resource is None
            or not event.resource.id
        ):
            return
        sync_id = event.resource.id
        key = open_key(sync_id, "ResourceSyncPendingUpdates")
        if not (event.pending and event.pending_alert):
            await self.store.resolve_key(key)
            return
        alert = Alert.model_validate(
            {
                "_id": derived_id("alerter-syncs", event.id),
                "ts": event.time,
                "level": SeverityLevel.Ok,
                "target": ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync_id),
                "data": {"type": "ResourceSyncPendingUpdates", "data": {"id": sync_id, "name": event.name}},
            }
        )
        await self.store.open(alert, key)

    async def on_update(self, event: Event) -> None:
        """RepoBuildFailed from a failed BuildRepo Update; ActionFailed from a failed RunAction Update (when the
        action's `failure_alert` is on). Both WARNING."""
        if not isinstance(event, UpdateChanged):
            return
        update = event.update
        if update.status != UpdateStatus.Complete or update.success:
            return
        if update.operation == Operation.BuildRepo:
            repo = await self._get(GetRepo(repo=update.target.id))
            variant = "RepoBuildFailed"
            name = repo.name if repo is not None else ""
        elif update.operation == Operation.RunAction:
            action = await self._get(GetAction(action=update.target.id))
            if action is not None and not action.config.failure_alert:
                return
            variant = "ActionFailed"
            name = action.name if action is not None else ""
        else:
            return
        name = name or update.target.id
        # One alert per failed Update, whichever of its UpdateChanged events comes (the id is the Update's).
        alert = Alert.model_validate(
            {
                "_id": derived_id("alerter-updates", update.id),
                "ts": event.time,
                "resolved": True,
                "resolved_ts": event.time,
                "level": SeverityLevel.Warning,
                "target": update.target,
                "data": {"type": variant, "data": {"id": update.target.id, "name": name}},
            }
        )
        await self.store.record_resolved(alert)
