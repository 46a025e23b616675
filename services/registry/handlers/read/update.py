"""Update reads: GetUpdate, ListUpdates; a caller sees the Updates of resources it may Read (System ones: admins)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.update import GetUpdate, ListUpdates, ListUpdatesResponse
from contracts.entities.common import PermissionLevel, ResourceTargetVariant
from contracts.entities.update import Update
from services.common.bus import RequestContext
from services.common.errors import Forbidden

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetUpdate and ListUpdates."""

    async def get(req: GetUpdate, ctx: RequestContext) -> Update:
        update = await registry.updates.get(req.id)
        if not ctx.caller.admin:
            if update.target.type == ResourceTargetVariant.System:
                raise Forbidden("only admins may see Updates about the system")
            await registry.permissions.require(ctx.caller, update.target, PermissionLevel.Read)
        return update

    async def list_updates(req: ListUpdates, ctx: RequestContext) -> ListUpdatesResponse:
        scope = await registry.permissions.visible_updates_filter(ctx.caller)
        return await registry.updates.list(req.query, req.page or 0, scope)

    registry.bus.handle(GetUpdate, get)
    registry.bus.handle(ListUpdates, list_updates)
