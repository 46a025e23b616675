"""The host's status at one moment (`PollStatusResponse`), as PollStatus answers it and the heartbeat sends it."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping

from aiodocker.exceptions import DockerError

from contracts.entities.agent import DockerLists, PollStatusResponse
from contracts.entities.docker import ContainerStateStatusEnum, ContainerStats
from contracts.entities.system import PeripheryInformation, SystemStats
from services.agent.context import AgentContext
from services.agent.docker_lists import docker_lists
from services.common.errors import Unavailable
from services.common.version import VERSION

log = logging.getLogger(__name__)


async def _lists(ctx: AgentContext, timeout: float) -> tuple[bool, DockerLists]:
    """(docker_connected, lists): empty lists when the engine is not reachable or does not answer in time."""
    try:
        async with asyncio.timeout(timeout):
            return True, await docker_lists(ctx.docker)
    except Unavailable as err:
        log.debug("no docker lists: %s", err.message)
        return False, DockerLists()
    except TimeoutError:
        log.warning("docker did not list its objects within %g s", timeout)
        return False, DockerLists()
    except DockerError as err:
        # The engine answered, with an error: it is there, the lists are not.
        log.warning("docker could not list its objects: %s", err)
        return True, DockerLists()


def _with_stats(lists: DockerLists, stats: Mapping[str, ContainerStats]) -> DockerLists:
    """The lists with each container's stats (by name) attached."""
    if not stats:
        return lists
    containers = [
        item.model_copy(update={"stats": stats[item.name]}) if item.name in stats else item
        for item in lists.containers
    ]
    return lists.model_copy(update={"containers": containers})


async def poll_status(
    ctx: AgentContext,
    include_stats: bool,
    include_docker: bool,
    list_timeout: float,
    container_stats_wait: float = 0.0,
) -> PollStatusResponse:
    """System information, system stats and the Docker lists, read concurrently.

    System stats younger than half a monitoring interval are reused. Container stats come from the cache: when
    it is stale a refresh starts in the background. With `container_stats_wait` (PollStatus) the answer waits
    for that refresh, and reads the stats of containers started since, within that many seconds in all; without
    it (heartbeats) nothing waits for container stats.
    """
    deadline = time.monotonic() + container_stats_wait
    system: asyncio.Task[SystemStats] | None = None
    refreshed: asyncio.Task[dict[str, ContainerStats]] | None = None
    if include_stats:
        system = asyncio.create_task(ctx.host.current(max_age=ctx.config.interval_seconds / 2))
        if container_stats_wait > 0:
            refreshed = asyncio.create_task(ctx.container_stats.fresh(container_stats_wait))
        else:
            ctx.container_stats.refresh_soon()
    if include_docker:
        connected, lists = await _lists(ctx, list_timeout)
    else:
        connected, lists = await ctx.docker.ping(), DockerLists()
    if refreshed is not None:
        await refreshed
        missing = [
            (item.id, item.name)
            for item in lists.containers
            if item.id
            and item.state == ContainerStateStatusEnum.Running
            and item.name not in ctx.container_stats.stats
        ]
        remaining = deadline - time.monotonic()
        if missing and remaining > 0:
            await ctx.container_stats.fill(missing, remaining)
    if include_stats:
        lists = _with_stats(lists, ctx.container_stats.stats)
    system_stats = await system if system is not None else None
    return PollStatusResponse(
        periphery_info=PeripheryInformation(
            version=VERSION,
            terminals_disabled=True,
            container_terminals_disabled=True,
            stats_polling_rate=ctx.config.interval,
            docker_connected=connected,
        ),
        system_info=ctx.host.info,
        system_stats=system_stats,
        docker=lists,
    )
