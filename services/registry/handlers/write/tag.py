"""Tag writes: CreateTag, RenameTag, UpdateTagColor, DeleteTag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.write.tag import CreateTag, DeleteTag, RenameTag, UpdateTagColor
from contracts.entities.tag import Tag
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the tag writes."""
    tags = registry.tags

    async def create(req: CreateTag, ctx: RequestContext) -> Tag:
        return await tags.create(req.name, req.color, ctx.caller.user_id)

    async def rename(req: RenameTag, ctx: RequestContext) -> Tag:
        return await tags.rename(req.id, req.name)

    async def recolor(req: UpdateTagColor, ctx: RequestContext) -> Tag:
        return await tags.recolor(req.tag, req.color)

    async def delete(req: DeleteTag, ctx: RequestContext) -> Tag:
        return await tags.delete(req.id)

    registry.bus.handle(CreateTag, create)
    registry.bus.handle(RenameTag, rename)
    registry.bus.handle(UpdateTagColor, recolor)
    registry.bus.handle(DeleteTag, delete)
