"""The latest status of every server, as its agent last reported it, held in memory by every replica.

Every executor replica hears every heartbeat (a plain subscription, not a queue group), so any replica can
answer reads from memory; this is what keeps container lists fast at tens of thousands of containers.

Agents send their full `AgentStatus` only when their lists change (and now and then as a safety net), and a
small `AgentBeat` otherwise. A beat only refreshes liveness and keeps its stats as the plain dicts JSON gave:
they are turned into typed models when the server's status is read, not at every beat, so that holding a
large fleet costs a `json.loads` of a small message per beat.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from contracts.entities.agent import AgentContainer, AgentStatus, ContainerStateChange
from contracts.entities.docker import ContainerStateStatusEnum, ContainerStats
from contracts.entities.server import ServerState
from contracts.entities.system import SystemStats

GRACE_SECONDS = 1.0
"""Slack on top of two missed heartbeats before a server is NotOk (clocks and transport jitter)."""


@dataclass
class Seen:
    """A server's last full status, the beats heard since, and when this replica last heard of it."""

    full: AgentStatus
    """The last full status, with the beats before the last read applied."""
    received: float
    """`time.monotonic()` at the reception of the last status or beat."""
    ts: int = 0
    """When the agent took its last status or beat (unix ms)."""
    interval_ms: int = 0
    """The agent's heartbeat interval (ms), as its last status or beat said."""
    system_stats: dict[str, Any] | None = None
    """The system stats of the last beat not applied to `full` yet (as JSON gave them)."""
    container_stats: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Container stats of beats not applied to `full` yet, by container name (as JSON gave them)."""
    container_status: dict[str, str] = field(default_factory=dict)
    """Containers' status lines of beats not applied to `full` yet, by container name."""

    @property
    def digest(self) -> str:
        """The lists' digest of the held full status."""
        return self.full.digest

    @property
    def status(self) -> AgentStatus:
        """The full status with the beats since applied (typed here, once per beat that was read)."""
        if (
            self.system_stats is not None
            or self.container_stats
            or self.container_status
            or self.ts != self.full.ts
        ):
            try:
                self.full = _applied(self)
            except ValidationError:
                # A malformed beat's stats are dropped; the rest of the status stands.
                self.full = self.full.model_copy(update={"ts": max(self.ts, self.full.ts)})
            self.system_stats = None
            self.container_stats = {}
            self.container_status = {}
        return self.full


def _applied(seen: Seen) -> AgentStatus:
    """`seen.full` with the beats' stats and status lines typed and put in."""
    full, stats, lines = seen.full, seen.container_stats, seen.container_status
    poll = full.status
    update: dict[str, Any] = {}
    if seen.system_stats is not None:
        update["system_stats"] = SystemStats.model_validate(seen.system_stats)
    if stats or lines:
        containers = []
        for container in poll.docker.containers:
            changes: dict[str, Any] = {}
            if container.name in stats:
                changes["stats"] = ContainerStats.model_validate(stats[container.name])
            if isinstance(lines.get(container.name), str):
                changes["status"] = lines[container.name]
            containers.append(container.model_copy(update=changes) if changes else container)
        update["docker"] = poll.docker.model_copy(update={"containers": containers})
    if update:
        poll = poll.model_copy(update=update)
    return full.model_copy(
        update={"ts": max(seen.ts, full.ts), "interval_ms": seen.interval_ms, "status": poll}
    )


def _index_of(containers: list[AgentContainer], change: ContainerStateChange) -> int | None:
    """Where the container a change is about is in `containers`: the one with its id, else one of its name
    that has no id to differ by (or the change has none)."""
    if change.id:
        for index, container in enumerate(containers):
            if container.id == change.id:
                return index
    for index, container in enumerate(containers):
        if container.name == change.name and not (change.id and container.id):
            return index
    return None


class ServerCache:
    """Latest AgentStatus per server id."""

    def __init__(
        self,
        on_change: Callable[[], None] = lambda: None,
        on_server_change: Callable[[], None] = lambda: None,
    ) -> None:
        self.seen: dict[str, Seen] = {}
        self.changed: set[str] = set()
        """Servers whose container list may have changed since `ContainerIndex` last looked (it empties it)."""
        self.on_change = on_change
        """Called when what deployments and stacks show of their containers may have changed (a full status, a
        container change, new status lines); not for stats alone."""
        self.on_server_change = on_server_change
        """Called when what server lists show may have changed: every heartbeat and beat (liveness, stats, agent
        version), and a server going Ok or NotOk (`AgentWatch` tells of those)."""

    def record(self, status: AgentStatus, now: float | None = None) -> None:
        """Keep a full heartbeat (one older than what is held is ignored); it replaces the beats before it."""
        held = self.seen.get(status.server_id)
        if held is not None and held.ts > status.ts:
            return
        self.seen[status.server_id] = Seen(
            full=status,
            received=time.monotonic() if now is None else now,
            ts=status.ts,
            interval_ms=status.interval_ms,
        )
        self.changed.add(status.server_id)
        self.on_change()
        self.on_server_change()

    def beat(self, server_id: str, body: dict[str, Any], now: float | None = None) -> bool:
        """Take a small heartbeat (an `AgentBeat` as JSON gave it). False when it stands for other lists than
        the held ones (or none are held): the caller then asks the agent for its full status. The liveness
        and stats of a beat are kept even then, so a server stays Ok while its full status comes."""
        held = self.seen.get(server_id)
        if held is None:
            return False
        ts = int(body["ts"])
        if ts < held.ts:
            return True
        held.received = time.monotonic() if now is None else now
        held.ts = ts
        held.interval_ms = int(body.get("interval_ms") or held.interval_ms)
        self.on_server_change()
        stats = body.get("system_stats")
        if stats is not None:
            held.system_stats = stats
        changed = body.get("container_stats")
        if changed:
            held.container_stats.update(changed)
        lines = body.get("container_status")
        if lines:
            held.container_status.update(lines)
            self.on_change()
        return bool(body.get("digest")) and body["digest"] == held.digest

    def apply(self, change: ContainerStateChange) -> None:
        """Apply a container state change (or a rename) to the held container list until the next heartbeat.

        The container is found by its id, and by its name only where ids cannot tell two apart: a redeploy
        renames the previous container aside and creates the new one under its name, so a name alone would
        give the new container's events to the old one (and its removal would drop the new one from the list).
        """
        held = self.seen.get(change.server_id)
        if held is None:
            return
        containers = held.status.status.docker.containers
        self.changed.add(change.server_id)
        self.on_change()
        index = _index_of(containers, change)
        if index is not None:
            if change.action == "destroy":
                del containers[index]
            elif change.action == "rename":
                containers[index] = containers[index].model_copy(update={"name": change.name})
            else:
                containers[index] = containers[index].model_copy(update={"state": change.state})
            return
        if change.action not in ("destroy", "rename") and change.state != ContainerStateStatusEnum.Empty:
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
        limit = 2 * held.interval_ms / 1000 + GRACE_SECONDS
        current = time.monotonic() if now is None else now
        return ServerState.Ok if current - held.received <= limit else ServerState.NotOk

    def status(self, server_id: str) -> AgentStatus | None:
        """The last heartbeat of a server (its full status with the beats since applied), or None."""
        held = self.seen.get(server_id)
        return held.status if held is not None else None

    def containers(self, server_id: str) -> list[AgentContainer]:
        """The containers of a server, as last reported."""
        held = self.seen.get(server_id)
        return list(held.status.status.docker.containers) if held is not None else []
