"""RefreshResourceSyncPending: the sync's files compared with the system, into its info."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.resource_sync import GetResourceSync
from contracts.api.write.resource_sync import RefreshResourceSyncPending
from contracts.entities.common import PermissionLevel
from contracts.entities.resource_sync import ResourceSync
from services.common.bus import RequestContext
from services.sync.handlers.common import sync_with
from services.sync.pending import refresh

if TYPE_CHECKING:
    from services.sync.app import Sync


def register(app: Sync) -> None:
    """Answer RefreshResourceSyncPending (Execute on the sync, as Komodo)."""

    async def handle(req: RefreshResourceSyncPending, ctx: RequestContext) -> ResourceSync:
        sync = await sync_with(app, ctx, req.sync, PermissionLevel.Execute)
        await refresh(app.registry, app.sync_user_headers(), app.settings, sync, app.states)
        found: ResourceSync = await app.bus.request(GetResourceSync(sync=sync.id), app.sync_user_headers())
        return found

    app.bus.handle(RefreshResourceSyncPending, handle)
