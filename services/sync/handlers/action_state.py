"""GetResourceSyncActionState: whether a RunSync of the sync runs now (its live lease in the sync database)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.resource_sync import GetResourceSyncActionState
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSyncActionState
from contracts.entities.update import Operation
from services.common.bus import RequestContext
from services.sync.handlers.common import sync_with

if TYPE_CHECKING:
    from services.sync.app import Sync


def register(app: Sync) -> None:
    """Answer GetResourceSyncActionState (Read on the sync)."""

    async def state(req: GetResourceSyncActionState, ctx: RequestContext) -> ResourceSyncActionState:
        sync = await sync_with(app, ctx, req.sync, PermissionLevel.Read)
        target = ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync.id)
        live = await app.runner.live(target)
        return ResourceSyncActionState(syncing=live.get(Operation.RunSync.value, 0) > 0)

    app.bus.handle(GetResourceSyncActionState, state)
