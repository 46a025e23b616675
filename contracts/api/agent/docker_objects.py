"""Agent requests about networks, images and volumes, and pruning."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import AgentRequest
from contracts.entities.docker import (
    ImageHistoryResponseItem,
    InspectImageResponse,
    InspectNetworkResponse,
    InspectVolumeResponse,
)
from contracts.entities.update import Log


class InspectNetwork(AgentRequest):
    """Docker's inspect JSON of one network."""

    RESPONSE: ClassVar[Any] = InspectNetworkResponse

    name: str
    """The network name or id."""


class DeleteNetwork(AgentRequest):
    """Remove a network."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The network name or id."""


class PruneNetworks(AgentRequest):
    """Remove every unused network."""

    RESPONSE: ClassVar[Any] = Log


class InspectImage(AgentRequest):
    """Docker's inspect JSON of one image."""

    RESPONSE: ClassVar[Any] = InspectImageResponse

    name: str
    """The image name, tag or id."""


class ImageHistory(AgentRequest):
    """The layers of an image."""

    RESPONSE: ClassVar[Any] = list[ImageHistoryResponseItem]

    name: str
    """The image name, tag or id."""


class DeleteImage(AgentRequest):
    """Remove an image."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The image name, tag or id."""


class PruneImages(AgentRequest):
    """Remove every image no container uses (`docker image prune -a -f`)."""

    RESPONSE: ClassVar[Any] = Log


class InspectVolume(AgentRequest):
    """Docker's inspect JSON of one volume."""

    RESPONSE: ClassVar[Any] = InspectVolumeResponse

    name: str
    """The volume name."""


class DeleteVolume(AgentRequest):
    """Remove a volume."""

    RESPONSE: ClassVar[Any] = Log

    name: str
    """The volume name."""


class PruneVolumes(AgentRequest):
    """Remove every unused volume."""

    RESPONSE: ClassVar[Any] = Log


class PruneBuilders(AgentRequest):
    """Remove the build cache (Docker's `POST /build/prune`)."""

    RESPONSE: ClassVar[Any] = Log


class PruneBuildx(AgentRequest):
    """Remove the buildx cache (the same build cache on a plain dockerd)."""

    RESPONSE: ClassVar[Any] = Log


class PruneSystem(AgentRequest):
    """Remove stopped containers, unused networks, images and volumes, and the build cache (`docker system prune -a -f --volumes`)."""

    RESPONSE: ClassVar[Any] = Log
