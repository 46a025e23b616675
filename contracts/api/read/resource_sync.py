"""Read requests about resource syncs (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page
from contracts.entities.resource_sync import (
    GetResourceSyncsSummaryResponse,
    ResourceSync,
    ResourceSyncActionState,
    ResourceSyncListItem,
    ResourceSyncQuery,
    ResourceSyncSortBy,
)


class GetResourceSyncsSummary(ReadRequest):
    """Count resource syncs by state; answers GetResourceSyncsSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetResourceSyncsSummaryResponse


class GetResourceSync(ReadRequest):
    """Get one resource sync; answers the ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    sync: str = Field(validation_alias=AliasChoices("sync", "id", "name"))
    """Id or name of the resource sync (`id` and `name` accepted)."""


class ListResourceSyncs(ReadRequest):
    """List resource syncs matching a query; answers a list of ResourceSyncListItem."""

    RESPONSE: ClassVar[Any] = list[ResourceSyncListItem]

    query: ResourceSyncQuery = Field(default_factory=ResourceSyncQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: ResourceSyncSortBy = ResourceSyncSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullResourceSyncs(ReadRequest):
    """List full resource syncs matching a query; answers a list of ResourceSync."""

    RESPONSE: ClassVar[Any] = list[ResourceSync]

    query: ResourceSyncQuery = Field(default_factory=ResourceSyncQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class GetResourceSyncActionState(ReadRequest):
    """Get whether a sync is running; answers ResourceSyncActionState."""

    RESPONSE: ClassVar[Any] = ResourceSyncActionState

    sync: str = Field(validation_alias=AliasChoices("sync", "id", "name"))
    """Id or name of the sync."""
