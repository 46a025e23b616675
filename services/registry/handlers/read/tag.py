"""Tag reads: GetTag, ListTags."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.tag import GetTag, ListTags
from contracts.entities.tag import Tag
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the tag reads."""

    async def get(req: GetTag, ctx: RequestContext) -> Tag:
        return await registry.tags.get(req.tag)

    async def list_tags(req: ListTags, ctx: RequestContext) -> list[Tag]:
        return await registry.tags.list(req.query)

    registry.bus.handle(GetTag, get)
    registry.bus.handle(ListTags, list_tags)
