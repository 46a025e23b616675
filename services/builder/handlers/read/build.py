"""ListBuildVersions and GetBuildMonthlyStats from the builder's build history."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.build import GetBuildMonthlyStats, ListBuildVersions
from contracts.entities.build import BuildVersionResponseItem, GetBuildMonthlyStatsResponse
from contracts.entities.common import PermissionLevel
from services.common.bus import RequestContext
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder


def register(builder: Builder) -> None:
    """Answer the build history reads."""

    async def versions(req: ListBuildVersions, ctx: RequestContext) -> list[BuildVersionResponseItem]:
        build = await builder.registry.build_with(ctx.caller, req.build, PermissionLevel.Read)
        return await builder.history.versions(build.id, req.major, req.minor, req.patch, req.limit)

    async def monthly(req: GetBuildMonthlyStats, ctx: RequestContext) -> GetBuildMonthlyStatsResponse:
        # Komodo counts every build here, for any signed-in user.
        return await builder.history.monthly(max(0, req.page), now_ms())

    builder.bus.handle(ListBuildVersions, versions)
    builder.bus.handle(GetBuildMonthlyStats, monthly)
