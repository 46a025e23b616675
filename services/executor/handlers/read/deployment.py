"""Deployment reads about its container: state and list item from the heartbeats; logs, stats and inspect live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.agent import container as agent
from contracts.api.read.deployment import (
    GetDeploymentActionState,
    GetDeploymentContainer,
    GetDeploymentLog,
    GetDeploymentStats,
    InspectDeploymentContainer,
    SearchDeploymentLog,
)
from contracts.entities.common import (
    PermissionLevel,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
)
from contracts.entities.deployment import (
    Deployment,
    DeploymentActionState,
    GetDeploymentContainerResponse,
    container_name,
)
from contracts.entities.docker import ContainerListItem, ContainerStats
from contracts.entities.server import Server
from contracts.entities.update import Log
from services.common.bus import RequestContext
from services.executor.resource_states import deployment_state

if TYPE_CHECKING:
    from services.executor.app import Executor

ACTIONS = {
    "PullDeployment": "pulling",
    "Deploy": "deploying",
    "StartDeployment": "starting",
    "RestartDeployment": "restarting",
    "PauseDeployment": "pausing",
    "UnpauseDeployment": "unpausing",
    "StopDeployment": "stopping",
    "DestroyDeployment": "destroying",
}
"""DeploymentActionState flags, by the operation that sets them."""


def register(executor: Executor) -> None:
    """Answer the deployment container reads."""
    registry = executor.registry
    cache = executor.cache

    async def located(
        ctx: RequestContext, name: str, specific: SpecificPermission | None = None
    ) -> tuple[Deployment, Server, str]:
        deployment, server = await registry.deployment_on_server(
            ctx.caller, name, PermissionLevel.Read, specific
        )
        return deployment, server, container_name(deployment.name, deployment.config.custom_name)

    async def container(req: GetDeploymentContainer, ctx: RequestContext) -> GetDeploymentContainerResponse:
        deployment = await registry.deployment_with(ctx.caller, req.deployment, PermissionLevel.Read)
        server_id = deployment.config.server_id
        wanted = container_name(deployment.name, deployment.config.custom_name)
        state, _ = deployment_state(cache, server_id, wanted)
        found = (
            next((c for c in cache.containers(server_id) if c.name == wanted), None) if server_id else None
        )
        if found is None:
            return GetDeploymentContainerResponse(state=state)
        item = ContainerListItem.model_validate(
            {**found.model_dump(exclude={"labels"}), "server_id": server_id}
        )
        return GetDeploymentContainerResponse(state=state, container=item)

    async def action_state(req: GetDeploymentActionState, ctx: RequestContext) -> DeploymentActionState:
        deployment = await registry.deployment_with(ctx.caller, req.deployment, PermissionLevel.Read)
        live = await executor.runner.live(
            ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
        )
        return DeploymentActionState.model_validate({ACTIONS[a]: True for a in live if a in ACTIONS})

    async def stats(req: GetDeploymentStats, ctx: RequestContext) -> ContainerStats:
        _, server, name = await located(ctx, req.deployment)
        found: ContainerStats = await executor.agents.ask(server, agent.GetContainerStats(name=name))
        return found

    async def log(req: GetDeploymentLog, ctx: RequestContext) -> Log:
        _, server, name = await located(ctx, req.deployment, SpecificPermission.Logs)
        tail = max(1, min(req.tail, 5000))
        found: Log = await executor.agents.ask(
            server, agent.GetContainerLog(name=name, tail=tail, timestamps=req.timestamps)
        )
        return found

    async def search(req: SearchDeploymentLog, ctx: RequestContext) -> Log:
        _, server, name = await located(ctx, req.deployment, SpecificPermission.Logs)
        request = agent.GetContainerLogSearch(
            name=name,
            terms=req.terms,
            combinator=req.combinator,
            invert=req.invert,
            timestamps=req.timestamps,
        )
        found: Log = await executor.agents.ask(server, request)
        return found

    async def inspect(req: InspectDeploymentContainer, ctx: RequestContext) -> dict[str, Any]:
        _, server, name = await located(ctx, req.deployment, SpecificPermission.Inspect)
        found: dict[str, Any] = await executor.agents.ask(server, agent.InspectContainer(name=name))
        return found

    bus = executor.bus
    bus.handle(GetDeploymentContainer, container)
    bus.handle(GetDeploymentActionState, action_state)
    bus.handle(GetDeploymentStats, stats)
    bus.handle(GetDeploymentLog, log)
    bus.handle(SearchDeploymentLog, search)
    bus.handle(InspectDeploymentContainer, inspect)
