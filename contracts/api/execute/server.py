"""Executions on a server's docker: container lifecycle, deletes and prunes (`/execute`).

Each answers at once with the Update that tracks the work.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from contracts.api.base import ExecuteRequest
from contracts.entities.common import TerminationSignal, parse_termination_signal
from contracts.entities.update import Update


class StartContainer(ExecuteRequest):
    """Start a container (`docker start`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""


class RestartContainer(ExecuteRequest):
    """Restart a container (`docker restart`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""


class PauseContainer(ExecuteRequest):
    """Pause a container (`docker pause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""


class UnpauseContainer(ExecuteRequest):
    """Unpause a container (`docker unpause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""


class StopContainer(ExecuteRequest):
    """Stop a container (`docker stop`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""
    signal: TerminationSignal | None = None
    """Signal to stop with, instead of the default."""
    time: int | None = None
    """Seconds to wait before killing, instead of the default."""

    _signal = field_validator("signal", mode="before")(parse_termination_signal)


class DestroyContainer(ExecuteRequest):
    """Stop and remove a container (`docker container rm`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    container: str
    """The container name."""
    signal: TerminationSignal | None = None
    """Signal to stop with, instead of the default."""
    time: int | None = None
    """Seconds to wait before killing, instead of the default."""

    _signal = field_validator("signal", mode="before")(parse_termination_signal)


class StartAllContainers(ExecuteRequest):
    """Start all containers on the server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class RestartAllContainers(ExecuteRequest):
    """Restart all containers on the server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class PauseAllContainers(ExecuteRequest):
    """Pause all containers on the server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class UnpauseAllContainers(ExecuteRequest):
    """Unpause all containers on the server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class StopAllContainers(ExecuteRequest):
    """Stop all containers on the server; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class PruneContainers(ExecuteRequest):
    """Prune stopped containers (`docker container prune -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class DeleteNetwork(ExecuteRequest):
    """Delete a docker network (`docker network rm`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    name: str
    """Name of the network."""


class PruneNetworks(ExecuteRequest):
    """Prune unused networks (`docker network prune -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class DeleteImage(ExecuteRequest):
    """Delete a docker image (`docker image rm`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    name: str
    """Name of the image."""


class PruneImages(ExecuteRequest):
    """Prune unused images (`docker image prune -a -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class DeleteVolume(ExecuteRequest):
    """Delete a docker volume (`docker volume rm`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
    name: str
    """Name of the volume."""


class PruneVolumes(ExecuteRequest):
    """Prune unused volumes (`docker volume prune -a -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class PruneDockerBuilders(ExecuteRequest):
    """Prune the docker builder cache (`docker builder prune -a -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class PruneBuildx(ExecuteRequest):
    """Prune the buildx cache (`docker buildx prune -a -f`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""


class PruneSystem(ExecuteRequest):
    """Prune the docker system including volumes (`docker system prune -a -f --volumes`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the server."""
