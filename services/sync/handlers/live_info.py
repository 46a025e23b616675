"""GetSyncLiveInfo: `Syncing` for the syncs a RunSync runs on, which the registry shows in its lists and
summary (the other states come from the info the last refresh recorded)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.live_info import GetSyncLiveInfo, LiveInfo
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSyncState
from contracts.entities.update import Operation
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.sync.app import Sync


def register(app: Sync) -> None:
    """Answer GetSyncLiveInfo from the RunSync leases."""

    async def live(req: GetSyncLiveInfo, ctx: RequestContext) -> LiveInfo:
        if req.type != ResourceTargetVariant.ResourceSync:
            return LiveInfo()
        infos = {}
        for sync_id in req.ids:
            target = ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync_id)
            if await app.runner.holder(target, Operation.RunSync):
                infos[sync_id] = {"state": ResourceSyncState.Syncing.value}
        return LiveInfo(infos=infos)

    app.bus.handle(GetSyncLiveInfo, live)
