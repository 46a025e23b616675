"""Create, Copy, Update, Rename and Delete for every resource kind, and UpdateResourceMeta."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.base import NoData, find_request
from services.common.bus import RequestContext
from services.registry.resources import ResourceService, kind_for

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the generic writes of each kind whose request classes exist."""
    for service in registry.kinds.values():
        _register_kind(registry, service)
    meta = find_request("write", "UpdateResourceMeta")
    if meta is not None:

        async def update_meta(req: Any, ctx: RequestContext) -> NoData:
            service = registry.kinds[kind_for(req.target.type.value).name]
            await service.update_meta(req.target.id, req.description, req.template, req.tags)
            return NoData()

        registry.bus.handle(meta, update_meta)


def _register_kind(registry: Registry, service: ResourceService) -> None:
    spec = service.spec

    async def create(req: Any, ctx: RequestContext) -> Any:
        return await service.create(req.name, dict(req.config or {}), ctx.caller.user_id)

    async def copy(req: Any, ctx: RequestContext) -> Any:
        return await service.copy(req.name, req.id, ctx.caller.user_id)

    async def update(req: Any, ctx: RequestContext) -> Any:
        return await service.update(req.id, dict(req.config or {}), ctx.caller.user_id)

    async def rename(req: Any, ctx: RequestContext) -> Any:
        return await service.rename(req.id, req.name, ctx.caller.user_id)

    async def delete(req: Any, ctx: RequestContext) -> Any:
        return await service.delete(req.id, ctx.caller.user_id)

    for pattern, handler in (
        ("Create{K}", create),
        ("Copy{K}", copy),
        ("Update{K}", update),
        ("Rename{K}", rename),
        ("Delete{K}", delete),
    ):
        request_cls = spec.request("write", pattern)
        if request_cls is not None:
            registry.bus.handle(request_cls, handler)
