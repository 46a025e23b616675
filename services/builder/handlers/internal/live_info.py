"""GetBuilderLiveInfo: the state the registry shows for repos and builds in ListRepos/ListBuilds and summaries."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.live_info import GetBuilderLiveInfo, LiveInfo
from contracts.entities.common import ResourceTargetVariant
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.builder.app import Builder

KINDS = frozenset({ResourceTargetVariant.Repo, ResourceTargetVariant.Build})
"""The kinds whose state the builder knows."""


def register(builder: Builder) -> None:
    """Answer GetBuilderLiveInfo from the leases and the recorded outcomes."""

    async def live(req: GetBuilderLiveInfo, ctx: RequestContext) -> LiveInfo:
        if req.type not in KINDS:
            return LiveInfo()
        states = await builder.outcomes.states(req.type, list(req.ids))
        return LiveInfo(infos={i: {"state": state} for i, state in states.items()})

    builder.bus.handle(GetBuilderLiveInfo, live)
