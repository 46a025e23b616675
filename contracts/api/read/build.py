"""Read requests about Builds (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.build import (
    Build,
    BuildActionState,
    BuildListItem,
    BuildQuery,
    BuildSortBy,
    BuildVersionResponseItem,
    GetBuildMonthlyStatsResponse,
    GetBuildsSummaryResponse,
)
from contracts.entities.common import Limit, Page


class GetBuildsSummary(ReadRequest):
    """Count builds by state; answers GetBuildsSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetBuildsSummaryResponse


class GetBuild(ReadRequest):
    """Get one build; answers the Build."""

    RESPONSE: ClassVar[Any] = Build

    build: str = Field(validation_alias=AliasChoices("build", "id", "name"))
    """Id or name of the build (`id` and `name` accepted)."""


class GetBuildActionState(ReadRequest):
    """Get the actions in progress on a build; answers BuildActionState."""

    RESPONSE: ClassVar[Any] = BuildActionState

    build: str = Field(validation_alias=AliasChoices("build", "id", "name"))
    """Id or name of the build (`id` and `name` accepted)."""


class GetBuildMonthlyStats(ReadRequest):
    """Get build counts and times per day over 30 days; answers GetBuildMonthlyStatsResponse."""

    RESPONSE: ClassVar[Any] = GetBuildMonthlyStatsResponse

    page: Page = 0
    """30-day page; 0 is the most recent."""


class ListBuildVersions(ReadRequest):
    """List past successful versions of a build, newest first; answers a list of BuildVersionResponseItem."""

    RESPONSE: ClassVar[Any] = list[BuildVersionResponseItem]

    build: str = Field(validation_alias=AliasChoices("build", "id", "name"))
    """Id or name of the build (`id` and `name` accepted)."""
    major: int | None = None
    """Only versions with this major number."""
    minor: int | None = None
    """Only versions with this minor number."""
    patch: int | None = None
    """Only versions with this patch number."""
    limit: Limit | None = None
    """At most this many results (default: no limit)."""


class ListBuilds(ReadRequest):
    """List builds matching a query; answers a list of BuildListItem."""

    RESPONSE: ClassVar[Any] = list[BuildListItem]

    query: BuildQuery = Field(default_factory=BuildQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: BuildSortBy = BuildSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullBuilds(ReadRequest):
    """List full builds matching a query; answers a list of Build."""

    RESPONSE: ClassVar[Any] = list[Build]

    query: BuildQuery = Field(default_factory=BuildQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class ListCommonBuildExtraArgs(ReadRequest):
    """List extra args used across builds (for suggestions); answers a list of strings."""

    RESPONSE: ClassVar[Any] = list[str]

    query: BuildQuery = Field(default_factory=BuildQuery)
    """Filters; empty uses all builds."""
