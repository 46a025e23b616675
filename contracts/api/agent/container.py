"""Agent requests about containers: inspect, logs, stats, and the lifecycle operations (each answers a Log)."""

from __future__ import annotations

import re
import shlex
from typing import Any, ClassVar

from pydantic import Field, field_validator

from contracts.api.base import AgentRequest
from contracts.base import KomodoModel
from contracts.entities.common import SearchCombinator
from contracts.entities.docker import ContainerStats, InspectContainerResponse
from contracts.entities.update import Log

_PORT_RANGE = re.compile(r"[0-9]+(-[0-9]+)?")


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


class RegistryAuth(KomodoModel):
    """Credentials to pull from a private image registry (never logged)."""

    server: str
    """The registry's address (e.g. `ghcr.io`, `127.0.0.1:5000`)."""
    username: str
    """The account."""
    password: str
    """The token or password."""


class RunContainer(AgentRequest):
    """(Re)create and start a Deployment's container; answers the Logs of each stage.

    A container of that name already there is kept aside (renamed and stopped) while the new one is created
    and started, removed once the new one runs, and restored (renamed back, started again if it ran) when the
    new one cannot be created or started.
    """

    RESPONSE: ClassVar[Any] = list[Log]

    name: str
    """The container name."""
    image: str
    """The image to run."""
    registry_auth: RegistryAuth | None = None
    """Credentials to pull the image with, if it is private."""
    environment: list[str] = Field(default_factory=list)
    """`KEY=value` entries."""
    ports: list[str] = Field(default_factory=list)
    """Port mappings as `docker run -p`: `[[ip:]host:]container[/protocol]`, ports or ranges (`8000-8005`)."""
    volumes: list[str] = Field(default_factory=list)
    """Mounts: `source:target[:mode]` (a source path or a volume name)."""
    labels: list[str] = Field(default_factory=list)
    """`key=value` labels."""
    command: list[str] = Field(default_factory=list)
    """The command, as its arguments (empty: the image's)."""
    network: str = "host"
    """The network mode or network to join."""
    restart: str = "no"
    """Restart policy: `no`, `on-failure`, `always`, `unless-stopped`."""
    stop_signal: str = "SIGTERM"
    """Signal that stops the container (also for the previous one)."""
    stop_time: int = Field(default=10, ge=0)
    """Seconds before a stop kills it."""
    extra_args: list[str] = Field(default_factory=list)
    """More `docker run` arguments (each split as a shell would, never run through one)."""

    @field_validator("ports")
    @classmethod
    def _ports(cls, ports: list[str]) -> list[str]:
        # A first check only (the agent parses each entry as the docker CLI does, and names what it refuses).
        for entry in ports:
            parts = entry.partition("/")[0].split(":")
            host = parts[-2] if len(parts) > 1 else ""
            if not _PORT_RANGE.fullmatch(parts[-1]) or (host and not _PORT_RANGE.fullmatch(host)):
                raise ValueError(
                    f"{entry!r} is not [[ip:]host_port:]container_port[/protocol] (ports or ranges)"
                )
        return ports

    @field_validator("volumes")
    @classmethod
    def _volumes(cls, volumes: list[str]) -> list[str]:
        for entry in volumes:
            parts = entry.split(":")
            if len(parts) not in (2, 3) or not all(parts[:2]):
                raise ValueError(f"{entry!r} is not source:target[:mode]")
        return volumes

    @field_validator("extra_args")
    @classmethod
    def _extra_args(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            try:
                shlex.split(entry)
            except ValueError as err:
                raise ValueError(f"extra argument {entry!r}: {err}") from None
        return entries

    @field_validator("environment", "labels")
    @classmethod
    def _key_values(cls, entries: list[str]) -> list[str]:
        for entry in entries:
            key, sep, _ = entry.partition("=")
            if not sep or not key.strip():
                raise ValueError(f"{key.strip() or entry!r} is not key=value")
        return entries


class PullImage(AgentRequest):
    """Pull an image (with registry credentials when given); answers the Log."""

    RESPONSE: ClassVar[Any] = Log

    image: str
    """The image to pull."""
    registry_auth: RegistryAuth | None = None
    """Credentials for a private registry."""
