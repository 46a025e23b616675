"""The heartbeat: every monitoring interval, the host's status, published as the full `AgentStatus` on
`komodo.agent.<server_id>.status` when its lists changed, and as the small `AgentBeat` on
`komodo.agent.<server_id>.beat` otherwise (plain NATS: a missed heartbeat is replaced by the next one).

Whether the lists changed is told by `status_digest`, a hash of the status without its stats. A full status
also goes out every `full_every_seconds` as a safety net, and at once when a listener asks on
`komodo.agent.<server_id>.resend` (a listener that holds another digest than a beat's, e.g. a newly started
executor replica, asks so): that keeps every listener's view whole within one interval.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Final

from contracts.entities.agent import AgentBeat, AgentStatus, PollStatusResponse
from contracts.entities.docker import ContainerStats
from contracts.subjects import agent_beat_subject, agent_status_subject
from services.agent.context import AgentContext
from services.agent.oplog import now_ms
from services.agent.status import poll_status

log = logging.getLogger(__name__)

Publish = Callable[[str, bytes], Awaitable[None]]
"""Publishes a payload on a subject."""

LIST_TIMEOUT_MAX_SECONDS: Final = 5.0
"""Longest wait for the Docker lists of a heartbeat."""
RESEND_MIN_SECONDS: Final = 1.0
"""Shortest time between two full statuses sent because they were asked for (many replicas may ask at once)."""

_NO_STATS: Final[Mapping[str, Any]] = {
    "system_stats": True,
    "docker": {"containers": {"__all__": {"stats", "status"}}},
}
"""What `status_digest` leaves out: what changes with time alone, and rides in the beats."""


def status_digest(status: PollStatusResponse) -> str:
    """A hash of the status without system and container stats and containers' status lines (`Up 3 minutes`):
    it changes when anything else a full status says changes (a container, its state, an image, a network,
    the agent)."""
    body = status.model_dump_json(by_alias=True, exclude=_NO_STATS)
    return hashlib.blake2b(body.encode(), digest_size=12).hexdigest()


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
        digest=status_digest(status),
    )


class Heartbeat:
    """What the heartbeat loop remembers between beats: the last full status and the stats sent since."""

    def __init__(self, ctx: AgentContext, publish: Publish) -> None:
        self.ctx = ctx
        self.publish = publish
        self.resend = asyncio.Event()
        """Set when a listener asked for the full status."""
        self.last_full: AgentStatus | None = None
        self.latest: AgentStatus | None = None
        """The last status taken (sent full or as a beat): what a resend sends, so its stats are current."""
        self._full_at = float("-inf")
        self._resent_at = float("-inf")
        self._sent_stats: dict[str, ContainerStats] = {}
        self._sent_status: dict[str, str] = {}

    async def send(self, status: AgentStatus) -> None:
        """Publish `status` in full when its lists changed or the safety interval passed, else as a beat."""
        now = time.monotonic()
        self.latest = status
        held = self.last_full
        full_every = self.ctx.config.full_every_seconds
        if held is None or held.digest != status.digest or now - self._full_at >= full_every:
            await self._send_full(status, now)
            return
        containers = status.status.docker.containers
        changed = {
            c.name: c.stats
            for c in containers
            if c.stats is not None and self._sent_stats.get(c.name) != c.stats
        }
        lines = {
            c.name: c.status
            for c in containers
            if c.status is not None and self._sent_status.get(c.name) != c.status
        }
        beat = AgentBeat(
            server_id=status.server_id,
            ts=status.ts,
            interval_ms=status.interval_ms,
            digest=status.digest,
            version=status.status.periphery_info.version,
            system_stats=status.status.system_stats,
            container_stats=changed,
            container_status=lines,
        )
        await self.publish(agent_beat_subject(status.server_id), beat.model_dump_json(by_alias=True).encode())
        self._sent_stats.update(changed)
        self._sent_status.update(lines)

    async def send_again(self) -> None:
        """Publish the last status taken in full, newly stamped, when a listener asked (at most once a second)."""
        now = time.monotonic()
        if self.latest is None or now - self._resent_at < RESEND_MIN_SECONDS:
            return
        self._resent_at = now
        await self._send_full(self.latest.model_copy(update={"ts": now_ms()}), now)

    async def _send_full(self, status: AgentStatus, now: float) -> None:
        await self.publish(
            agent_status_subject(status.server_id), status.model_dump_json(by_alias=True).encode()
        )
        self.last_full = status
        self._full_at = now
        containers = status.status.docker.containers
        self._sent_stats = {c.name: c.stats for c in containers if c.stats is not None}
        self._sent_status = {c.name: c.status for c in containers if c.status is not None}


async def run_heartbeat(
    ctx: AgentContext, publish: Publish, docker_back: asyncio.Event, beat: Heartbeat | None = None
) -> None:
    """Publish a heartbeat at once and then every interval, until cancelled; in between, answer asks for the
    full status (`beat.resend`).

    The schedule is kept on the clock: a slow heartbeat shortens the next pause, and one that overruns a whole
    interval skips the beats it missed rather than sending them in a burst. When Docker becomes reachable
    again `docker_back` is set, so the events watcher re-attaches without waiting out its back-off.
    """
    beat = beat or Heartbeat(ctx, publish)
    interval = ctx.config.interval_seconds
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
            await beat.send(status)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("could not send a heartbeat")
        next_at += interval
        next_at = max(next_at, time.monotonic())
        while (pause := next_at - time.monotonic()) > 0:
            try:
                await asyncio.wait_for(beat.resend.wait(), pause)
            except TimeoutError:
                break
            beat.resend.clear()
            try:
                await beat.send_again()
            except Exception:
                log.exception("could not send the full status again")
