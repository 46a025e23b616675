"""Get, List, ListFull and Get…Summary for every resource kind, limited to what the caller may Read."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.entities.common import ResourceQuery
from services.common.bus import RequestContext
from services.common.encoded import EncodedLists
from services.registry.resources import ResourceService

if TYPE_CHECKING:
    from services.registry.app import Registry


def _query(req: Any) -> ResourceQuery[Any]:
    query = getattr(req, "query", None)
    return query if query is not None else ResourceQuery()


def register(registry: Registry) -> None:
    """Answer the generic reads of each kind whose request classes exist."""
    for service in registry.kinds.values():
        _register_kind(registry, service)


def _register_kind(registry: Registry, service: ResourceService) -> None:
    spec = service.spec
    permissions = registry.permissions

    # Gets and lists whose every part is kept until a notice says it changed (the resources, their live state,
    # the names they show; the caller's rights by `CredentialsChanged`) tell the gateway it may keep them too.
    cache = registry.read_cache
    lists_kept = service.live is None or service.live_kept

    async def get(req: Any, ctx: RequestContext) -> Any:
        with cache.tracking() as made:
            shown, _ = await registry.read_as(service, ctx.caller, getattr(req, spec.primary))
        cache.offer(made)
        return shown

    list_request = spec.request("read", "List{Ks}")
    # List items are frozen and reused while unchanged: the same items are sent as the same bytes.
    encoded = EncodedLists(list_request.response_adapter()) if list_request is not None else None

    async def list_items(req: Any, ctx: RequestContext) -> Any:
        with cache.tracking() as made:
            items = await service.list_items(
                _query(req),
                getattr(req, "page", 0) or 0,
                getattr(req, "limit", None),
                str(getattr(req, "sort_by", None) or "Name"),
                bool(getattr(req, "sort_desc", False)),
                await permissions.readable_filter(ctx.caller, spec.variant),
            )
        if lists_kept:
            cache.offer(made)
        return encoded.encode(items) if encoded is not None else items

    async def list_full(req: Any, ctx: RequestContext) -> Any:
        resources = await service.list_full(
            _query(req),
            getattr(req, "page", 0) or 0,
            getattr(req, "limit", None),
            bool(getattr(req, "sort_desc", False)),
            await permissions.readable_filter(ctx.caller, spec.variant),
        )
        return resources if ctx.caller.admin else [service.without_secrets(r) for r in resources]

    async def summary(req: Any, ctx: RequestContext) -> Any:
        return await service.summary(await permissions.readable_filter(ctx.caller, spec.variant))

    for pattern, handler in (
        ("Get{K}", get),
        ("List{Ks}", list_items),
        ("ListFull{Ks}", list_full),
        ("Get{Ks}Summary", summary),
    ):
        request_cls = spec.request("read", pattern)
        if request_cls is not None:
            registry.bus.handle(request_cls, handler)
