"""GetLiveInfo: what the registry shows of servers' live state in its lists (state, stats, agent version)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.internal.live_info import GetLiveInfo, LiveInfo
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.system import MinimalSystemStats
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer GetLiveInfo from the heartbeats held in memory."""
    cache = executor.cache

    def server_info(server_id: str) -> dict[str, Any]:
        info: dict[str, Any] = {"state": cache.state(server_id).value}
        status = cache.status(server_id)
        if status is None:
            return info
        periphery, system = status.status.periphery_info, status.status.system_info
        info.update(
            version=periphery.version or None,
            public_ip=periphery.public_ip,
            terminals_disabled=periphery.terminals_disabled,
            container_terminals_disabled=periphery.container_terminals_disabled,
            core_count=system.core_count,
            logical_core_count=system.logical_core_count,
        )
        if status.status.system_stats is not None:
            info["stats"] = MinimalSystemStats.from_stats(status.status.system_stats).model_dump(mode="json")
        return info

    async def live(req: GetLiveInfo, ctx: RequestContext) -> LiveInfo:
        if req.type != ResourceTargetVariant.Server:
            return LiveInfo()
        return LiveInfo(infos={server_id: server_info(server_id) for server_id in req.ids})

    executor.bus.handle(GetLiveInfo, live)
