"""Read requests about builders (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.builder import (
    Builder,
    BuilderListItem,
    BuilderQuery,
    BuilderSortBy,
    GetBuildersSummaryResponse,
)
from contracts.entities.common import Limit, Page


class GetBuildersSummary(ReadRequest):
    """Count builders; answers GetBuildersSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetBuildersSummaryResponse


class GetBuilder(ReadRequest):
    """Get one builder; answers the Builder."""

    RESPONSE: ClassVar[Any] = Builder

    builder: str = Field(validation_alias=AliasChoices("builder", "id", "name"))
    """Id or name of the builder (`id` and `name` accepted)."""


class ListBuilders(ReadRequest):
    """List builders matching a query; answers a list of BuilderListItem."""

    RESPONSE: ClassVar[Any] = list[BuilderListItem]

    query: BuilderQuery = Field(default_factory=BuilderQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: BuilderSortBy = BuilderSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullBuilders(ReadRequest):
    """List full builders matching a query; answers a list of Builder."""

    RESPONSE: ClassVar[Any] = list[Builder]

    query: BuilderQuery = Field(default_factory=BuilderQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
