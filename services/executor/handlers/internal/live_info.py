"""GetLiveInfo: what the registry shows of live state in its lists (servers: state, stats, agent version;
deployments: their container's state)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.internal.live_info import GetLiveInfo, LiveInfo
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.deployment import DeploymentState
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

    def deployment_info(hint: dict[str, str]) -> dict[str, Any]:
        server_id, container = hint.get("server_id", ""), hint.get("container", "")
        if not server_id or cache.status(server_id) is None:
            return {"state": DeploymentState.Unknown.value}
        found = next((c for c in cache.containers(server_id) if c.name == container), None)
        if found is None:
            return {"state": DeploymentState.NotDeployed.value}
        state = found.state.value or DeploymentState.Unknown.value
        return {"state": state, "status": found.status}

    async def live(req: GetLiveInfo, ctx: RequestContext) -> LiveInfo:
        if req.type == ResourceTargetVariant.Server:
            return LiveInfo(infos={server_id: server_info(server_id) for server_id in req.ids})
        if req.type == ResourceTargetVariant.Deployment:
            return LiveInfo(infos={i: deployment_info(req.hints[i]) for i in req.ids if i in req.hints})
        return LiveInfo()

    executor.bus.handle(GetLiveInfo, live)
