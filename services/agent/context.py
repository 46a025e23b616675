"""What every part of an agent shares: its configuration, Docker, the host's stats and the container stats."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from services.agent.container_stats import StatsCache
from services.agent.docker_api import DockerApi
from services.agent.host_stats import HostStats
from services.agent.image_build.running import RunningBuilds
from services.agent.settings import AgentConfig


async def _dropped(subject: str, payload: bytes) -> None:
    """What `publish` does before the agent is connected: nothing."""


@dataclass
class AgentContext:
    """The agent's shared parts, handed to request handlers, the heartbeat and the events watcher."""

    config: AgentConfig
    """The agent's settings (server id, interval, Docker endpoint)."""
    docker: DockerApi
    """The local Docker engine."""
    host: HostStats
    """The host's system information and stats."""
    container_stats: StatsCache
    """The last stats of each running container."""
    publish: Callable[[str, bytes], Awaitable[None]] = field(default=_dropped)
    """Publishes on the bus (the agent sets it once connected; before that, messages are dropped)."""
    builds: RunningBuilds = field(default_factory=RunningBuilds)
    """The image builds running now, by build key."""

    @classmethod
    def build(cls, config: AgentConfig) -> AgentContext:
        """Make the parts for `config` (nothing connects yet)."""
        docker = DockerApi(config.docker_host)
        return cls(
            config=config,
            docker=docker,
            host=HostStats(config.interval),
            container_stats=StatsCache(docker, config.container_stats_seconds),
        )

    async def close(self) -> None:
        """Stop the stats refresh and close the Docker connections."""
        await self.container_stats.stop()
        await self.docker.close()
