"""Requests about the agent and its host: GetHealth, GetVersion, PollStatus, GetSystemProcesses."""

from __future__ import annotations

from typing import Final

from contracts.api.agent import system as api
from contracts.api.base import NoData
from contracts.entities.agent import PollStatusResponse
from contracts.entities.core_info import GetVersionResponse
from contracts.entities.system import SystemProcess
from services.agent.context import AgentContext
from services.agent.handlers.base import HandlerTable, bind
from services.agent.status import poll_status
from services.common.version import VERSION

CONTAINER_STATS_WAIT_SECONDS: Final = 4.0
"""How long PollStatus waits for container stats (stale ones re-read, new containers read) before answering
with what it has."""
LIST_TIMEOUT_SECONDS: Final = 5.0
"""How long PollStatus waits for the Docker lists (an engine slower than this is reported as not connected);
with the stats wait, which runs alongside, an answer comes within the executor's 10 s."""


async def get_health(ctx: AgentContext, request: api.GetHealth) -> NoData:
    """`{}`: the agent answers (whether Docker does is PollStatus's `docker_connected`)."""
    return NoData()


async def get_version(ctx: AgentContext, request: api.GetVersion) -> GetVersionResponse:
    """The agent's version."""
    return GetVersionResponse(version=VERSION)


async def get_status(ctx: AgentContext, request: api.PollStatus) -> PollStatusResponse:
    """The host's status now; container stats are at most `max(interval, 30 s)` old."""
    return await poll_status(
        ctx,
        request.include_stats,
        request.include_docker,
        list_timeout=LIST_TIMEOUT_SECONDS,
        container_stats_wait=CONTAINER_STATS_WAIT_SECONDS,
    )


async def get_processes(ctx: AgentContext, request: api.GetSystemProcesses) -> list[SystemProcess]:
    """The host's processes, busiest first."""
    return await ctx.host.list_processes()


def handlers(ctx: AgentContext) -> HandlerTable:
    """The system requests and their handlers."""
    return {
        api.GetHealth: bind(ctx, get_health),
        api.GetVersion: bind(ctx, get_version),
        api.PollStatus: bind(ctx, get_status),
        api.GetSystemProcesses: bind(ctx, get_processes),
    }
