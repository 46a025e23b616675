"""Live state of resources, which the executor knows from the agents and the registry shows in its lists."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import InternalRequest
from contracts.base import KomodoModel
from contracts.entities.common import ResourceTargetVariant


class LiveInfo(KomodoModel):
    """Live list-info fields of resources, by resource id."""

    infos: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """For each resource id the executor knows, the list-info fields to show (e.g. `state`, `stats`, `version`)."""


class GetLiveInfo(InternalRequest):
    """Ask the executor for the live list-info fields of some resources of one type."""

    RESPONSE: ClassVar[Any] = LiveInfo

    type: ResourceTargetVariant
    """The resource type (Server now; Deployment and Stack later)."""
    ids: list[str]
    """The resource ids."""
    hints: dict[str, dict[str, str]] = Field(default_factory=dict)
    """What the registry knows that the executor needs, by id (a Deployment's `server_id` and `container`)."""


class GetBuilderLiveInfo(InternalRequest):
    """Ask the builder for the live list-info fields of some Repos or Builds (their `state`: a running action,
    else the last run's outcome)."""

    RESPONSE: ClassVar[Any] = LiveInfo

    type: ResourceTargetVariant
    """Repo or Build."""
    ids: list[str]
    """The resource ids."""
    hints: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Unused by the builder; kept so the registry calls both live sources alike."""


class GetSyncLiveInfo(InternalRequest):
    """Ask the sync service for the live list-info fields of some ResourceSyncs (`state: Syncing` for those a
    RunSync runs on; the others keep the state their last refresh recorded)."""

    RESPONSE: ClassVar[Any] = LiveInfo

    type: ResourceTargetVariant
    """ResourceSync."""
    ids: list[str]
    """The resource ids."""
    hints: dict[str, dict[str, str]] = Field(default_factory=dict)
    """Unused by the sync service; kept so the registry calls every live source alike."""
