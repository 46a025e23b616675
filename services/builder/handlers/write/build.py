"""RefreshBuildCache and WriteBuildFileContents."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.write.build import RefreshBuildCache
from contracts.entities.common import PermissionLevel
from services.builder import build_cache
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.builder.app import Builder


def register(builder: Builder) -> None:
    """Answer RefreshBuildCache (Execute on the build needed, as Komodo: it changes no config)."""

    async def refresh(req: RefreshBuildCache, ctx: RequestContext) -> NoData:
        build = await builder.registry.build_with(ctx.headers, req.build, PermissionLevel.Execute)
        await build_cache.refresh(builder, build)
        return NoData()

    builder.bus.handle(RefreshBuildCache, refresh)
