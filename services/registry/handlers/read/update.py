"""Update reads: GetUpdate, ListUpdates."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.update import GetUpdate, ListUpdates, ListUpdatesResponse
from contracts.entities.update import Update
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetUpdate and ListUpdates."""

    async def get(req: GetUpdate, ctx: RequestContext) -> Update:
        return await registry.updates.get(req.id)

    async def list_updates(req: ListUpdates, ctx: RequestContext) -> ListUpdatesResponse:
        return await registry.updates.list(req.query, req.page or 0)

    registry.bus.handle(GetUpdate, get)
    registry.bus.handle(ListUpdates, list_updates)
