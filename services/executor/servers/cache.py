"""The latest status of every server, as its agent last reported it, held in memory by every replica.

Every executor replica hears every heartbeat (a plain subscription, not a queue group), so any replica can
answer reads from memory; this is what keeps container lists fast at tens of thousands of containers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from contracts.entities.agent import AgentContainer, AgentStatus, ContainerStateChange
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.entities.server import ServerState

GRACE_SECONDS = 1.0
"""Slack on top of two missed heartbeats before a server is NotOk (clocks and transport jitter)."""


@dataclass
class Seen:
    """A server's last heartbeat and when this replica received it."""

    status: AgentStatus
    received: float
    """`time.monotonic()` at reception."""


class ServerCache:
    """Latest AgentStatus per server id."""

    def __init__(self) -> None:
        self.seen: dict[str, Seen] = {}
        self.changed: set[str] = set()
        """Servers whose container list may have changed since `ContainerIndex` last looked (it empties it)."""

    def record(self, status: AgentStatus, now: float | None = None) -> None:
        """Keep a heartbeat (an older one than what is held is ignored)."""
        held = self.seen.get(status.server_id)
        if held is not None and held.status.ts > status.ts:
            return
        self.seen[status.server_id] = Seen(status, time.monotonic() if now is None else now)
        self.changed.add(status.server_id)

    def apply(self, change: ContainerStateChange) -> None:
        """Apply a container state change to the held container list until the next heartbeat."""
        held = self.seen.get(change.server_id)
        if held is None:
            return
        containers = held.status.status.docker.containers
        self.changed.add(change.server_id)
        for index, container in enumerate(containers):
            if container.name == change.name or (change.id and container.id == change.id):
                if change.action == "destroy":
                    del containers[index]
                else:
                    containers[index] = container.model_copy(update={"state": change.state})
                return
        if change.action != "destroy" and change.state != ContainerStateStatusEnum.Empty:
            containers.append(
                AgentContainer(
                    server_id=change.server_id, name=change.name, id=change.id or None, state=change.state
                )
            )

    def state(self, server_id: str, enabled: bool = True, now: float | None = None) -> ServerState:
        """Disabled; Ok while heartbeats come (two missed ones make it NotOk); NotOk if never heard."""
        if not enabled:
            return ServerState.Disabled
        held = self.seen.get(server_id)
        if held is None:
            return ServerState.NotOk
        limit = 2 * held.status.interval_ms / 1000 + GRACE_SECONDS
        current = time.monotonic() if now is None else now
        return ServerState.Ok if current - held.received <= limit else ServerState.NotOk

    def status(self, server_id: str) -> AgentStatus | None:
        """The last heartbeat of a server, or None."""
        held = self.seen.get(server_id)
        return held.status if held is not None else None

    def containers(self, server_id: str) -> list[AgentContainer]:
        """The containers of a server, as last reported."""
        held = self.seen.get(server_id)
        return list(held.status.status.docker.containers) if held is not None else []
