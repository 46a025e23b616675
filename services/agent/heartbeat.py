"""The heartbeat: every monitoring interval, the host's status published as `AgentStatus` on
`komodo.agent.<server_id>.status` (plain NATS: a missed heartbeat is replaced by the next one)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Final

from contracts.entities.agent import AgentStatus
from contracts.subjects import agent_status_subject
from services.agent.context import AgentContext
from services.agent.oplog import now_ms
from services.agent.status import poll_status

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], Awaitable[None]]
"""Publishes a payload on a subject."""

LIST_TIMEOUT_MAX_SECONDS: Final = 5.0
"""Longest wait for the Docker lists of a heartbeat."""


async def heartbeat_status(ctx: AgentContext) -> AgentStatus:
    """The heartbeat now: system stats, Docker lists and the cached container stats (never waited for).

    The lists may take at most 80 % of an interval (1 to 5 s): an engine that hangs must not stop the
    heartbeats that tell Varanus the host is there; it is reported as not connected instead.
    """
    ts = now_ms()
    list_timeout = min(max(ctx.config.interval_seconds * 0.8, 1.0), LIST_TIMEOUT_MAX_SECONDS)
    status = await poll_status(ctx, include_stats=True, include_docker=True, list_timeout=list_timeout)
    return AgentStatus(
        server_id=ctx.config.server_id,
        ts=ts,
        interval_ms=int(ctx.config.interval_seconds * 1000),
        status=status,
    )


async def run_heartbeat(ctx: AgentContext, publish: Publish, docker_back: asyncio.Event) -> None:
    """Publish a heartbeat at once and then every interval, until cancelled.

    The schedule is kept on the clock: a slow heartbeat shortens the next pause, and one that overruns a whole
    interval skips the beats it missed rather than sending them in a burst. When Docker becomes reachable
    again `docker_back` is set, so the events watcher re-attaches without waiting out its back-off.
    """
    interval = ctx.config.interval_seconds
    subject = agent_status_subject(ctx.config.server_id)
    connected: bool | None = None
    next_at = time.monotonic()
    while True:
        try:
            status = await heartbeat_status(ctx)
            now_connected = status.status.periphery_info.docker_connected
            if now_connected != connected:
                if now_connected:
                    log.info("docker is reachable")
                    docker_back.set()
                    ctx.container_stats.expire()
                else:
                    log.warning("docker is not reachable; heartbeats go on with docker_connected false")
                connected = now_connected
            await publish(subject, status.model_dump_json(by_alias=True).encode())
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not send a heartbeat")
        next_at += interval
        now = time.monotonic()
        next_at = max(next_at, now)
        await asyncio.sleep(next_at - now)
