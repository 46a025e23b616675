"""The alert requests the alerter answers: ListAlerts, GetAlert (`/read`), CloseAlert (`/write`, admins) and
SendAlert (`/execute`: a Custom alert)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bson import ObjectId

from contracts.api.base import NoData
from contracts.api.execute.alerter import SendAlert
from contracts.api.read.action import ListActions
from contracts.api.read.alert import GetAlert, ListAlerts
from contracts.api.read.alerter import ListAlerters
from contracts.api.read.build import ListBuilds
from contracts.api.read.deployment import ListDeployments
from contracts.api.read.procedure import ListProcedures
from contracts.api.read.repo import ListRepos
from contracts.api.read.resource_sync import ListResourceSyncs
from contracts.api.read.server import ListServers
from contracts.api.read.stack import ListStacks
from contracts.api.write.alert import CloseAlert
from contracts.entities.alert import Alert, AlertDataCustom, CustomAlertData, ListAlertsResponse
from contracts.entities.common import ResourceTarget
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import Forbidden
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


def register(alerter: Alerter) -> None:
    """Answer the alert requests."""
    store = alerter.store

    async def list_alerts(req: ListAlerts, ctx: RequestContext) -> ListAlertsResponse:
        return await store.page(req.query, req.page, await visible_filter(alerter, ctx))

    async def get_alert(req: GetAlert, ctx: RequestContext) -> Alert:
        found = await store.get(req.id)
        visible = await visible_filter(alerter, ctx)
        if visible is not None and found.target.id not in visible["target.id"]["$in"]:
            await store.get("")  # the same 404 as an unknown id: existence is not disclosed
        return found

    async def close_alert(req: CloseAlert, ctx: RequestContext) -> NoData:
        if not ctx.caller.admin:
            raise Forbidden("only admins may close alerts")
        found = await store.get(req.id)
        if not found.resolved:
            await store.resolve(found)
            alerter.forget_open(found)
        return NoData()

    async def send_alert(req: SendAlert, ctx: RequestContext) -> Update:
        target = ResourceTarget.system()
        update = await alerter.registry.create_update(Operation.SendAlert, target, ctx.caller.username)
        alert = Alert(
            id=str(ObjectId()),
            ts=update.start_ts,
            level=req.level,
            target=target,
            data=AlertDataCustom(data=CustomAlertData(message=req.message, details=req.details)),
        )
        await store.record_resolved(alert)
        log = Log(stage="Send Alert", command="", stdout=f"alert {alert.id}: {req.message}", success=True)
        await alerter.registry.append_log(update.id, log)
        return await alerter.registry.finish(update.id)

    alerter.bus.handle(ListAlerts, list_alerts)
    alerter.bus.handle(GetAlert, get_alert)
    alerter.bus.handle(CloseAlert, close_alert)
    alerter.bus.handle(SendAlert, send_alert)
