"""Read requests about docker objects on servers: containers, logs, compose projects, networks, images,
volumes (`/read`).

Inspect requests answer Docker's Engine API JSON (PascalCase keys) as a plain dict.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page, SearchCombinator
from contracts.entities.docker import (
    ComposeProject,
    ContainerListItem,
    ContainerSortBy,
    ContainerStateStatusEnum,
    GetContainersSummaryResponse,
    GetResourceMatchingContainerResponse,
    ImageHistoryResponseItem,
    ImageListItem,
    InspectContainerResponse,
    InspectImageResponse,
    InspectNetworkResponse,
    InspectVolumeResponse,
    NetworkListItem,
    VolumeListItem,
)
from contracts.entities.update import Log


class GetContainersSummary(ReadRequest):
    """Count containers on all servers by state; answers GetContainersSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetContainersSummaryResponse


class ListAllContainers(ReadRequest):
    """List containers across servers; answers a list of ContainerListItem."""

    RESPONSE: ClassVar[Any] = list[ContainerListItem]

    servers: list[str] = Field(default_factory=list)
    """Only these servers (ids or names)."""
    tags: list[str] = Field(default_factory=list)
    """Only servers with these tags."""
    terms: list[str] = Field(default_factory=list)
    """Container names must contain all these terms."""
    state: list[ContainerStateStatusEnum] = Field(default_factory=list)
    """Only containers in these states."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: ContainerSortBy = ContainerSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListContainers(ReadRequest):
    """List the containers on a server; answers a list of ContainerListItem."""

    RESPONSE: ClassVar[Any] = list[ContainerListItem]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class InspectContainer(ReadRequest):
    """Inspect a container on a server; answers Docker's container JSON."""

    RESPONSE: ClassVar[Any] = InspectContainerResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    container: str
    """The container name."""


class GetResourceMatchingContainer(ReadRequest):
    """Find the Deployment or Stack a container belongs to; answers GetResourceMatchingContainerResponse."""

    RESPONSE: ClassVar[Any] = GetResourceMatchingContainerResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    container: str
    """The container name."""


class GetContainerLog(ReadRequest):
    """Get the tail of a container's log, stdout and stderr apart; answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    container: str
    """The container name."""
    tail: int = 100
    """Number of lines (max 5000)."""
    timestamps: bool = False
    """Add `--timestamps`."""


class SearchContainerLog(ReadRequest):
    """Search a container's log with grep (all lines in stdout); answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    container: str
    """The container name."""
    terms: list[str]
    """Terms to search for."""
    combinator: SearchCombinator = SearchCombinator.Or
    """Lines need all terms (And) or any (Or)."""
    invert: bool = False
    """Return the lines that do not match."""
    timestamps: bool = False
    """Add `--timestamps`."""


class ListComposeProjects(ReadRequest):
    """List the compose projects on a server; answers a list of ComposeProject."""

    RESPONSE: ClassVar[Any] = list[ComposeProject]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class ListNetworks(ReadRequest):
    """List the docker networks on a server; answers a list of NetworkListItem."""

    RESPONSE: ClassVar[Any] = list[NetworkListItem]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class InspectNetwork(ReadRequest):
    """Inspect a docker network on a server; answers Docker's network JSON."""

    RESPONSE: ClassVar[Any] = InspectNetworkResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    network: str
    """The network name."""


class ListImages(ReadRequest):
    """List the images cached on a server; answers a list of ImageListItem."""

    RESPONSE: ClassVar[Any] = list[ImageListItem]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class InspectImage(ReadRequest):
    """Inspect an image on a server; answers Docker's image JSON."""

    RESPONSE: ClassVar[Any] = InspectImageResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    image: str
    """The image name."""


class ListImageHistory(ReadRequest):
    """Get an image's layer history on a server; answers a list of ImageHistoryResponseItem."""

    RESPONSE: ClassVar[Any] = list[ImageHistoryResponseItem]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    image: str
    """The image name."""


class ListVolumes(ReadRequest):
    """List the docker volumes on a server; answers a list of VolumeListItem."""

    RESPONSE: ClassVar[Any] = list[VolumeListItem]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class InspectVolume(ReadRequest):
    """Inspect a docker volume on a server; answers Docker's volume JSON."""

    RESPONSE: ClassVar[Any] = InspectVolumeResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    volume: str
    """The volume name."""
