"""Reads of a server's networks, images, volumes and compose projects: lists from the heartbeats, inspects live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.agent import docker_objects as agent
from contracts.api.read.docker import (
    InspectImage,
    InspectNetwork,
    InspectVolume,
    ListComposeProjects,
    ListImageHistory,
    ListImages,
    ListNetworks,
    ListVolumes,
)
from contracts.entities.agent import DockerLists
from contracts.entities.docker import (
    ComposeProject,
    ImageHistoryResponseItem,
    ImageListItem,
    NetworkListItem,
    VolumeListItem,
)
from contracts.entities.server import Server
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer the network, image, volume and compose project reads."""
    cache = executor.cache
    registry = executor.registry
    agents = executor.agents

    async def lists(ctx: RequestContext, server: str) -> DockerLists:
        found = await registry.server(ctx.headers, server)
        status = cache.status(found.id)
        return status.status.docker if status is not None else DockerLists()

    async def networks(req: ListNetworks, ctx: RequestContext) -> list[NetworkListItem]:
        return sorted((await lists(ctx, req.server)).networks, key=lambda n: n.name or "")

    async def images(req: ListImages, ctx: RequestContext) -> list[ImageListItem]:
        return sorted((await lists(ctx, req.server)).images, key=lambda i: i.name)

    async def volumes(req: ListVolumes, ctx: RequestContext) -> list[VolumeListItem]:
        return sorted((await lists(ctx, req.server)).volumes, key=lambda v: v.name)

    async def projects(req: ListComposeProjects, ctx: RequestContext) -> list[ComposeProject]:
        return sorted((await lists(ctx, req.server)).projects, key=lambda p: p.name)

    async def server_of(ctx: RequestContext, server: str) -> Server:
        return await registry.server(ctx.headers, server)

    async def inspect_network(req: InspectNetwork, ctx: RequestContext) -> dict[str, Any]:
        found: dict[str, Any] = await agents.ask(
            await server_of(ctx, req.server), agent.InspectNetwork(name=req.network)
        )
        return found

    async def inspect_image(req: InspectImage, ctx: RequestContext) -> dict[str, Any]:
        found: dict[str, Any] = await agents.ask(
            await server_of(ctx, req.server), agent.InspectImage(name=req.image)
        )
        return found

    async def image_history(req: ListImageHistory, ctx: RequestContext) -> list[ImageHistoryResponseItem]:
        found: list[ImageHistoryResponseItem] = await agents.ask(
            await server_of(ctx, req.server), agent.ImageHistory(name=req.image)
        )
        return found

    async def inspect_volume(req: InspectVolume, ctx: RequestContext) -> dict[str, Any]:
        found: dict[str, Any] = await agents.ask(
            await server_of(ctx, req.server), agent.InspectVolume(name=req.volume)
        )
        return found

    bus = executor.bus
    bus.handle(ListNetworks, networks)
    bus.handle(ListImages, images)
    bus.handle(ListVolumes, volumes)
    bus.handle(ListComposeProjects, projects)
    bus.handle(InspectNetwork, inspect_network)
    bus.handle(InspectImage, inspect_image)
    bus.handle(ListImageHistory, image_history)
    bus.handle(InspectVolume, inspect_volume)
