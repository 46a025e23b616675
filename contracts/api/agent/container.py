"""Agent requests about containers: inspect, logs, stats, and the lifecycle operations (each answers a Log)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import AgentRequest
from contracts.entities.common import SearchCombinator
from contracts.entities.docker import ContainerStats, InspectContainerResponse
from contracts.entities.update import Log


class InspectContainer(AgentRequest):
    """Docker's inspect JSON of one container."""

    RESPONSE: ClassVar[Any] = InspectContainerResponse

    name: str
    """The container name or id."""


class GetContainerLog(AgentRequest):
    """The last lines of a container's log (stdout and stderr separately)."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""
    tail: int = Field(default=100, ge=1, le=5000)
    """How many lines from the end (1 to 5000)."""
    timestamps: bool = False
    """Whether each line starts with Docker's timestamp."""


class GetContainerLogSearch(AgentRequest):
    """The lines of a container's log that contain (any or all of) some terms."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""
    terms: list[str]
    """The terms searched for (plain text, case-sensitive)."""
    combinator: SearchCombinator = SearchCombinator.Or
    """Whether a line must hold any (Or) or all (And) of the terms."""
    invert: bool = False
    """Keep the lines that do not match instead."""
    timestamps: bool = False
    """Whether each line starts with Docker's timestamp."""


class GetContainerStats(AgentRequest):
    """One container's current stats."""

    RESPONSE: ClassVar[Any] = ContainerStats

    name: str
    """The container name or id."""


class StartContainer(AgentRequest):
    """Start a container."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""


class RestartContainer(AgentRequest):
    """Restart a container."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""


class PauseContainer(AgentRequest):
    """Pause a container."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""


class UnpauseContainer(AgentRequest):
    """Unpause a container."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""


class StopContainer(AgentRequest):
    """Stop a container: send a signal, then kill it after a grace time."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""
    signal: str | None = None
    """The signal to send (e.g. `SIGTERM`); the container's own stop signal when None."""
    time: int | None = Field(default=None, ge=0)
    """Seconds to wait before killing; Docker's default (10) when None."""


class RemoveContainer(AgentRequest):
    """Stop a container (signal and grace time) and remove it."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The container name or id."""
    signal: str | None = None
    """The signal to send first (e.g. `SIGTERM`)."""
    time: int | None = Field(default=None, ge=0)
    """Seconds to wait before killing."""


class StartAllContainers(AgentRequest):
    """Start every stopped container."""

    RESPONSE: ClassVar[Any] = list[Log]


class RestartAllContainers(AgentRequest):
    """Restart every running container (as `docker restart $(docker ps -q)`)."""

    RESPONSE: ClassVar[Any] = list[Log]


class PauseAllContainers(AgentRequest):
    """Pause every running container."""

    RESPONSE: ClassVar[Any] = list[Log]


class UnpauseAllContainers(AgentRequest):
    """Unpause every paused container."""

    RESPONSE: ClassVar[Any] = list[Log]


class StopAllContainers(AgentRequest):
    """Stop every running container."""

    RESPONSE: ClassVar[Any] = list[Log]


class PruneContainers(AgentRequest):
    """Remove every stopped container."""

    RESPONSE: ClassVar[Any] = Log
