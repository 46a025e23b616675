"""The alert requests the alerter answers: ListAlerts, GetAlert (`/read`), CloseAlert (`/write`, admins) and
SendAlert (`/execute`: a Custom alert)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson import ObjectId

from contracts.api.base import NoData
from contracts.api.execute.alerter import SendAlert
from contracts.api.read.action import ListActions
from contracts.api.read.alert import GetAlert, ListAlerts
from contracts.api.read.alerter import ListAlerters, ListFullAlerters
from contracts.api.read.build import ListBuilds
from contracts.api.read.deployment import ListDeployments
from contracts.api.read.procedure import ListProcedures
from contracts.api.read.repo import ListRepos
from contracts.api.read.resource_sync import ListResourceSyncs
from contracts.api.read.server import ListServers
from contracts.api.read.stack import ListStacks
from contracts.api.write.alert import CloseAlert
from contracts.entities.alert import (
    Alert,
    AlertDataCustom,
    AlertDataVariant,
    CustomAlertData,
    ListAlertsResponse,
)
from contracts.entities.alert_delivery import AlertWithDeliveries
from contracts.entities.alerter import Alerter as AlerterEntity
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from services.alerter.delivery.records import deliveries_of
from services.common.bus import RequestContext
from services.common.errors import BadRequest, Forbidden, NotFound
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.alerter.app import Alerter

READABLE_LISTS: tuple[type[Any], ...] = (
    ListServers,
    ListDeployments,
    ListStacks,
    ListBuilds,
    ListRepos,
    ListProcedures,
    ListActions,
    ListResourceSyncs,
    ListAlerters,
)
"""The lists whose items a non-admin may see alerts about (the registry answers what the caller may Read)."""


async def visible_filter(alerter: Alerter, ctx: RequestContext) -> dict[str, Any] | None:
    """A filter keeping the alerts a caller may see: everything for admins (and in transparent mode), else the
    alerts about resources the caller may Read (Komodo's rule)."""
    if ctx.caller.admin or alerter.settings.transparent_mode:
        return None
    ids: list[str] = []
    for request_cls in READABLE_LISTS:
        items = await alerter.bus.request(request_cls.model_validate({"limit": 0}), credentials(ctx.headers))
        ids += [item.id for item in items]
    return {"target.id": {"$in": ids}}


async def send_alert_alerters(alerter: Alerter, req: SendAlert, ctx: RequestContext) -> list[str]:
    """The Alerters a SendAlert goes to, as Komodo chooses them: enabled, named in `alerters` (when given),
    letting Custom alerts through, and which the caller may Execute; a 400 when there is none."""
    listed: list[AlerterEntity] = await alerter.bus.request(
        ListFullAlerters(limit=0), credentials(ctx.headers)
    )
    chosen: list[str] = []
    for found in listed:
        config = found.config
        if not config.enabled:
            continue
        if req.alerters and found.id not in req.alerters and found.name not in req.alerters:
            continue
        if config.alert_types and AlertDataVariant.Custom not in config.alert_types:
            continue
        if not ctx.caller.admin:
            target = ResourceTarget(type=ResourceTargetVariant.Alerter, id=found.id)
            try:
                await alerter.registry.require(ctx.headers, target, PermissionLevel.Execute, found.name)
            except Forbidden:
                continue
        chosen.append(found.id)
    if not chosen:
        raise BadRequest(
            "no alerter to send to: SendAlert needs an enabled Alerter that takes Custom alerts and that you may "
            "Execute"
        )
    return chosen


def register(alerter: Alerter) -> None:
    """Answer the alert requests."""
    store = alerter.store

    async def list_alerts(req: ListAlerts, ctx: RequestContext) -> ListAlertsResponse:
        return await store.page(req.query, req.page, await visible_filter(alerter, ctx))

    async def get_alert(req: GetAlert, ctx: RequestContext) -> AlertWithDeliveries:
        found = await store.get(req.id)
        visible = await visible_filter(alerter, ctx)
        if visible is not None and found.target.id not in visible["target.id"]["$in"]:
            # The same 404 as an unknown id: whether it exists is not disclosed.
            raise NotFound(f"no alert with id {req.id!r}")
        shown = found.model_dump(by_alias=True)
        return AlertWithDeliveries.model_validate(
            {**shown, "deliveries": await deliveries_of(alerter.db, found.id)}
        )

    async def close_alert(req: CloseAlert, ctx: RequestContext) -> NoData:
        if not ctx.caller.admin:
            raise Forbidden("only admins may close alerts")
        found = await store.get(req.id)
        if not found.resolved:
            await store.resolve(found)
            alerter.forget_open(found)
        return NoData()

    async def send_alert(req: SendAlert, ctx: RequestContext) -> Update:
        chosen = await send_alert_alerters(alerter, req, ctx)
        target = ResourceTarget.system()
        update = await alerter.registry.create_update(Operation.SendAlert, target, ctx.caller.username)
        alert = Alert(
            id=str(ObjectId()),
            ts=update.start_ts,
            level=req.level,
            target=target,
            data=AlertDataCustom(data=CustomAlertData(message=req.message, details=req.details)),
        )
        await store.record_resolved(alert, chosen)
        shown = alert.model_dump_json(by_alias=True, indent=2)
        await alerter.registry.append_log(update.id, Log(stage="Send alert", stdout=shown, success=True))
        return await alerter.registry.finish(update.id)

    alerter.bus.handle(ListAlerts, list_alerts)
    alerter.bus.handle(GetAlert, get_alert)
    alerter.bus.handle(CloseAlert, close_alert)
    alerter.bus.handle(SendAlert, send_alert)
