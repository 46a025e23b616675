"""Tag writes: CreateTag, RenameTag, UpdateTagColor, DeleteTag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.write.tag import CreateTag, DeleteTag, RenameTag, UpdateTagColor
from contracts.entities.tag import Tag
from services.common.bus import RequestContext
from services.common.caller import Caller
from services.common.errors import Forbidden

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the tag writes."""
    tags = registry.tags
    non_admin_create = not registry.settings.disable_non_admin_create

    async def owned(id_or_name: str, caller: Caller) -> str:
        tag = await tags.get(id_or_name)
        if not caller.admin and tag.owner != caller.user_id:
            raise Forbidden(f"only the owner of tag {tag.name!r} or an admin may change it")
        return tag.id

    async def create(req: CreateTag, ctx: RequestContext) -> Tag:
        if not ctx.caller.admin and not non_admin_create:
            raise Forbidden("only admins may create tags here (disable_non_admin_create is set)")
        return await tags.create(req.name, req.color, ctx.caller.user_id)

    async def rename(req: RenameTag, ctx: RequestContext) -> Tag:
        return await tags.rename(await owned(req.id, ctx.caller), req.name)

    async def recolor(req: UpdateTagColor, ctx: RequestContext) -> Tag:
        return await tags.recolor(await owned(req.tag, ctx.caller), req.color)

    async def delete(req: DeleteTag, ctx: RequestContext) -> Tag:
        return await tags.delete(await owned(req.id, ctx.caller))

    registry.bus.handle(CreateTag, create)
    registry.bus.handle(RenameTag, rename)
    registry.bus.handle(UpdateTagColor, recolor)
    registry.bus.handle(DeleteTag, delete)
