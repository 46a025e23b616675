"""Read requests about alerters (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.alerter import (
    Alerter,
    AlerterListItem,
    AlerterQuery,
    AlerterSortBy,
    GetAlertersSummaryResponse,
)
from contracts.entities.common import Limit, Page


class GetAlertersSummary(ReadRequest):
    """Count alerters; answers GetAlertersSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetAlertersSummaryResponse


class GetAlerter(ReadRequest):
    """Get one alerter; answers the Alerter."""

    RESPONSE: ClassVar[Any] = Alerter

    alerter: str = Field(validation_alias=AliasChoices("alerter", "id", "name"))
    """Id or name of the alerter (`id` and `name` accepted)."""


class ListAlerters(ReadRequest):
    """List alerters matching a query; answers a list of AlerterListItem."""

    RESPONSE: ClassVar[Any] = list[AlerterListItem]

    query: AlerterQuery = Field(default_factory=AlerterQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: AlerterSortBy = AlerterSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullAlerters(ReadRequest):
    """List full alerters matching a query; answers a list of Alerter."""

    RESPONSE: ClassVar[Any] = list[Alerter]

    query: AlerterQuery = Field(default_factory=AlerterQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
