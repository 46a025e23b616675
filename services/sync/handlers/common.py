"""What the sync's handlers share: finding a sync as the caller may see it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.resource_sync import GetResourceSync
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSync
from services.common.bus import RequestContext
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.sync.app import Sync


async def sync_with(app: Sync, ctx: RequestContext, sync: str, level: PermissionLevel) -> ResourceSync:
    """The sync (id or name), once the caller is known to have `level` on it (the registry's 403/404 else)."""
    found: ResourceSync = await app.bus.request(GetResourceSync(sync=sync), credentials(ctx.headers))
    target = ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=found.id)
    await app.registry.require(ctx.headers, target, level, found.name)
    full: ResourceSync = await app.bus.request(GetResourceSync(sync=found.id), app.sync_user_headers())
    return full
