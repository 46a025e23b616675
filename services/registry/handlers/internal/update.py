"""Updates created, appended to and finished by the services that run executions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.internal.update import AppendUpdateLog, CreateUpdate, FinishUpdate
from contracts.entities.update import Update
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer CreateUpdate, AppendUpdateLog and FinishUpdate."""

    async def create(req: CreateUpdate, ctx: RequestContext) -> Update:
        return await registry.updates.create(req)

    async def append(req: AppendUpdateLog, ctx: RequestContext) -> NoData:
        await registry.updates.append_log(req.id, req.log)
        return NoData()

    async def finish(req: FinishUpdate, ctx: RequestContext) -> Update:
        return await registry.updates.finish(req)

    registry.bus.handle(CreateUpdate, create)
    registry.bus.handle(AppendUpdateLog, append)
    registry.bus.handle(FinishUpdate, finish)
