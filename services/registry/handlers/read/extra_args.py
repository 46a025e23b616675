"""ListCommon…ExtraArgs: the distinct extra arguments of the resources the caller may Read, sorted (the UI's
suggestions)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.read.build import ListCommonBuildExtraArgs
from contracts.entities.common import ResourceQuery, ResourceTargetVariant
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry

COMMON_ARGS: dict[type[Any], tuple[ResourceTargetVariant, str]] = {
    ListCommonBuildExtraArgs: (ResourceTargetVariant.Build, "extra_args"),
}
"""Per request, the kind and the config field (a list of strings) whose values it gathers."""


def distinct_args(resources: list[Any], field: str) -> list[str]:
    """Every value of `config.<field>` across `resources`, once each, sorted."""
    return sorted({arg for resource in resources for arg in getattr(resource.config, field)})


def register(registry: Registry) -> None:
    """Answer each request of `COMMON_ARGS`."""
    for request_cls, (variant, field) in COMMON_ARGS.items():
        _register_one(registry, request_cls, variant, field)


def _register_one(
    registry: Registry, request_cls: type[Any], variant: ResourceTargetVariant, field: str
) -> None:
    service = registry.kinds[variant.value]

    async def common(req: Any, ctx: RequestContext) -> list[str]:
        query = getattr(req, "query", None) or ResourceQuery()
        scope = await registry.permissions.readable_filter(ctx.caller, variant)
        return distinct_args(await service.list_full(query, 0, 0, False, scope), field)

    registry.bus.handle(request_cls, common)
