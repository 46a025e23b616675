"""Server reads answered from the agents' heartbeats: state, agent and host information, stats, processes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.system import GetSystemProcesses
from contracts.api.read.server import GetPeripheryInformation, GetServerActionState, GetServerState
from contracts.api.read.server_stats import (
    GetHistoricalServerStats,
    GetSystemInformation,
    GetSystemStats,
    ListSystemProcesses,
)
from contracts.entities.agent import AgentStatus
from contracts.entities.common import (
    PermissionLevel,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
    timelength_seconds,
)
from contracts.entities.server import GetServerStateResponse, Server, ServerActionState
from contracts.entities.system import (
    GetHistoricalServerStatsResponse,
    PeripheryInformation,
    SystemInformation,
    SystemProcess,
    SystemStats,
)
from services.common.bus import RequestContext
from services.common.errors import Unavailable

if TYPE_CHECKING:
    from services.executor.app import Executor

COUNTED = {
    "StartContainer": "starting_containers",
    "RestartContainer": "restarting_containers",
    "PauseContainer": "pausing_containers",
    "UnpauseContainer": "unpausing_containers",
    "StopContainer": "stopping_containers",
    "DestroyContainer": "destroying_containers",
}
"""Container executions counted in ServerActionState, by operation."""
FLAGGED = {
    "PruneNetworks": "pruning_networks",
    "PruneContainers": "pruning_containers",
    "PruneImages": "pruning_images",
    "PruneVolumes": "pruning_volumes",
    "PruneDockerBuilders": "pruning_builders",
    "PruneBuildx": "pruning_buildx",
    "PruneSystem": "pruning_system",
}
"""Prunes flagged in ServerActionState, by operation."""


def register(executor: Executor) -> None:
    """Answer the server reads."""
    cache = executor.cache
    registry = executor.registry

    def heard(server: Server) -> AgentStatus:
        status = cache.status(server.id)
        if status is None:
            raise Unavailable(f"server {server.name!r} has not reported yet: is its agent running?")
        return status

    async def state(req: GetServerState, ctx: RequestContext) -> GetServerStateResponse:
        server = await registry.server(ctx.headers, req.server)
        return GetServerStateResponse(status=cache.state(server.id, server.config.enabled))

    async def periphery(req: GetPeripheryInformation, ctx: RequestContext) -> PeripheryInformation:
        return heard(await registry.server(ctx.headers, req.server)).status.periphery_info

    async def system_information(req: GetSystemInformation, ctx: RequestContext) -> SystemInformation:
        return heard(await registry.server(ctx.headers, req.server)).status.system_info

    async def system_stats(req: GetSystemStats, ctx: RequestContext) -> SystemStats:
        server = await registry.server(ctx.headers, req.server)
        stats = heard(server).status.system_stats
        if stats is None:
            raise Unavailable(f"server {server.name!r} reports no system stats")
        return stats

    async def history(req: GetHistoricalServerStats, ctx: RequestContext) -> GetHistoricalServerStatsResponse:
        server = await registry.server(ctx.headers, req.server)
        return await executor.stats.history(server.id, timelength_seconds(req.granularity) * 1000, req.page)

    async def processes(req: ListSystemProcesses, ctx: RequestContext) -> list[SystemProcess]:
        server = await registry.server_with(
            ctx.caller, req.server, PermissionLevel.Read, SpecificPermission.Processes
        )
        found: list[SystemProcess] = await executor.agents.ask(server, GetSystemProcesses())
        return found

    async def action_state(req: GetServerActionState, ctx: RequestContext) -> ServerActionState:
        server = await registry.server(ctx.headers, req.server)
        live = await executor.runner.live(ResourceTarget(type=ResourceTargetVariant.Server, id=server.id))
        fields: dict[str, object] = {COUNTED[a]: n for a, n in live.items() if a in COUNTED}
        fields.update({FLAGGED[a]: True for a in live if a in FLAGGED})
        return ServerActionState.model_validate(fields)

    bus = executor.bus
    bus.handle(GetServerState, state)
    bus.handle(GetPeripheryInformation, periphery)
    bus.handle(GetSystemInformation, system_information)
    bus.handle(GetSystemStats, system_stats)
    bus.handle(GetHistoricalServerStats, history)
    bus.handle(ListSystemProcesses, processes)
    bus.handle(GetServerActionState, action_state)
