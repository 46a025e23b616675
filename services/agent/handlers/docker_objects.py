"""Requests about networks, images and volumes (inspect, history, delete, prune) and the build cache and system
prunes. Deletes and prunes answer a Log written like the docker CLI's output."""

from __future__ import annotations

import shlex
from typing import Any

from contracts.api.agent import docker_objects as api
from contracts.entities.docker import ImageHistoryResponseItem
from contracts.entities.update import Log
from services.agent.context import AgentContext
from services.agent.docker_api import api_at_least
from services.agent.handlers.base import HandlerTable, bind
from services.agent.handlers.container import prune_stopped
from services.agent.oplog import Output, docker_step, prune_output


async def inspect_network(ctx: AgentContext, request: api.InspectNetwork) -> dict[str, Any]:
    """Docker's inspect JSON of the network."""
    return await ctx.docker.inspect_network(request.name)


async def inspect_image(ctx: AgentContext, request: api.InspectImage) -> dict[str, Any]:
    """Docker's inspect JSON of the image."""
    return await ctx.docker.inspect_image(request.name)


async def inspect_volume(ctx: AgentContext, request: api.InspectVolume) -> dict[str, Any]:
    """Docker's inspect JSON of the volume."""
    return await ctx.docker.inspect_volume(request.name)


async def image_history(ctx: AgentContext, request: api.ImageHistory) -> list[ImageHistoryResponseItem]:
    """The image's layers, newest first."""
    await ctx.docker.inspect_image(request.name)
    async with ctx.docker.reachable() as docker:
        # aiodocker declares a dict; the engine answers a list of layers.
        layers: list[dict[str, Any]] = await docker._query_json(f"images/{request.name}/history")
    # Docker gives `Tags: null` for untagged layers; Komodo's answer has a list.
    return [
        ImageHistoryResponseItem.model_validate({**layer, "Tags": layer.get("Tags") or []})
        for layer in layers
    ]


async def delete_network(ctx: AgentContext, request: api.DeleteNetwork) -> Log:
    """Remove the network (`docker network rm`)."""
    info = await ctx.docker.inspect_network(request.name)

    async def act() -> Output:
        async with ctx.docker.reachable() as docker:
            await docker._query_json(f"networks/{info['Id']}", method="DELETE")
        return str(info.get("Name", request.name))

    return await docker_step("Delete Network", f"docker network rm {shlex.quote(request.name)}", act)


async def delete_image(ctx: AgentContext, request: api.DeleteImage) -> Log:
    """Remove the image, or this tag of it (`docker image rm`)."""
    await ctx.docker.inspect_image(request.name)

    async def act() -> Output:
        async with ctx.docker.reachable() as docker:
            removed = await docker.images.delete(request.name)
        return "\n".join(f"{key}: {value}" for item in removed or [] for key, value in item.items())

    return await docker_step("Delete Image", f"docker image rm {shlex.quote(request.name)}", act)


async def delete_volume(ctx: AgentContext, request: api.DeleteVolume) -> Log:
    """Remove the volume (`docker volume rm`)."""
    info = await ctx.docker.inspect_volume(request.name)

    async def act() -> Output:
        async with ctx.docker.reachable() as docker:
            await docker._query_json(f"volumes/{info['Name']}", method="DELETE")
        return str(info["Name"])

    return await docker_step("Delete Volume", f"docker volume rm {shlex.quote(request.name)}", act)


async def _prune_networks(ctx: AgentContext) -> str:
    async with ctx.docker.reachable() as docker:
        result = await docker.networks.prune()
    return prune_output("Deleted Networks", result.get("NetworksDeleted") or [], None)


async def _prune_images(ctx: AgentContext) -> str:
    # dangling=false: every image no container uses, not only untagged ones (the CLI's `-a`).
    async with ctx.docker.reachable() as docker:
        result = await docker.images.prune(filters={"dangling": ["false"]})
    deleted = [
        f"{key.lower()}: {value}" for item in result.get("ImagesDeleted") or [] for key, value in item.items()
    ]
    return prune_output("Deleted Images", deleted, result.get("SpaceReclaimed"))


async def _prune_volumes(ctx: AgentContext) -> str:
    # From API 1.42 a prune takes only anonymous volumes unless `all` is set; before, it took every unused one.
    filters = {"all": ["true"]} if api_at_least(await ctx.docker.api_version(), 1, 42) else None
    async with ctx.docker.reachable() as docker:
        result = await docker.volumes.prune(filters=filters)
    return prune_output("Deleted Volumes", result.get("VolumesDeleted") or [], result.get("SpaceReclaimed"))


async def _prune_build_cache(ctx: AgentContext, every: bool) -> str:
    async with ctx.docker.reachable() as docker:
        result = await docker.images.prune_builds(all_builds=every)
    return prune_output(
        "Deleted build cache objects", result.get("CachesDeleted") or [], result.get("SpaceReclaimed")
    )


async def prune_networks(ctx: AgentContext, request: api.PruneNetworks) -> Log:
    """Remove every unused network (`docker network prune -f`)."""
    return await docker_step("Prune Networks", "docker network prune -f", lambda: _prune_networks(ctx))


async def prune_images(ctx: AgentContext, request: api.PruneImages) -> Log:
    """Remove every image no container uses (`docker image prune -a -f`, as Komodo)."""
    return await docker_step("Prune Images", "docker image prune -a -f", lambda: _prune_images(ctx))


async def prune_volumes(ctx: AgentContext, request: api.PruneVolumes) -> Log:
    """Remove every unused volume, named ones included (`docker volume prune -a -f`)."""
    return await docker_step("Prune Volumes", "docker volume prune -a -f", lambda: _prune_volumes(ctx))


async def prune_builders(ctx: AgentContext, request: api.PruneBuilders) -> Log:
    """Remove the whole build cache (`docker builder prune -a -f`)."""
    return await docker_step(
        "Prune Builders", "docker builder prune -a -f", lambda: _prune_build_cache(ctx, True)
    )


async def prune_buildx(ctx: AgentContext, request: api.PruneBuildx) -> Log:
    """Remove the whole buildx cache: on a plain dockerd the same build cache (`docker buildx prune -a -f`)."""
    return await docker_step(
        "Prune Buildx", "docker buildx prune -a -f", lambda: _prune_build_cache(ctx, True)
    )


async def prune_system(ctx: AgentContext, request: api.PruneSystem) -> Log:
    """`docker system prune -a -f --volumes` (Komodo's PruneSystem): stopped containers, unused networks, every
    unused image, unused volumes and the whole build cache.

    The parts run one after another, as the CLI does them; stdout has each part's output.
    """

    async def act() -> Output:
        parts = [
            await prune_stopped(ctx),
            await _prune_networks(ctx),
            await _prune_images(ctx),
            await _prune_volumes(ctx),
            await _prune_build_cache(ctx, True),
        ]
        return "\n\n".join(part for part in parts if part)

    return await docker_step("Prune System", "docker system prune -a -f --volumes", act)


def handlers(ctx: AgentContext) -> HandlerTable:
    """The network, image, volume and prune requests and their handlers."""
    return {
        api.InspectNetwork: bind(ctx, inspect_network),
        api.DeleteNetwork: bind(ctx, delete_network),
        api.PruneNetworks: bind(ctx, prune_networks),
        api.InspectImage: bind(ctx, inspect_image),
        api.ImageHistory: bind(ctx, image_history),
        api.DeleteImage: bind(ctx, delete_image),
        api.PruneImages: bind(ctx, prune_images),
        api.InspectVolume: bind(ctx, inspect_volume),
        api.DeleteVolume: bind(ctx, delete_volume),
        api.PruneVolumes: bind(ctx, prune_volumes),
        api.PruneBuilders: bind(ctx, prune_builders),
        api.PruneBuildx: bind(ctx, prune_buildx),
        api.PruneSystem: bind(ctx, prune_system),
    }
