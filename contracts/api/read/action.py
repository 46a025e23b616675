"""Read requests about actions (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.action import (
    Action,
    ActionActionState,
    ActionListItem,
    ActionQuery,
    ActionSortBy,
    GetActionsSummaryResponse,
)
from contracts.entities.common import Limit, Page


class GetActionsSummary(ReadRequest):
    """Count actions by state; answers GetActionsSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetActionsSummaryResponse


class GetAction(ReadRequest):
    """Get one action; answers the Action."""

    RESPONSE: ClassVar[Any] = Action

    action: str = Field(validation_alias=AliasChoices("action", "id", "name"))
    """Id or name of the action (`id` and `name` accepted)."""


class ListActions(ReadRequest):
    """List actions matching a query; answers a list of ActionListItem."""

    RESPONSE: ClassVar[Any] = list[ActionListItem]

    query: ActionQuery = Field(default_factory=ActionQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: ActionSortBy = ActionSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullActions(ReadRequest):
    """List full actions matching a query; answers a list of Action."""

    RESPONSE: ClassVar[Any] = list[Action]

    query: ActionQuery = Field(default_factory=ActionQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class GetActionActionState(ReadRequest):
    """Get how many runs of an action are in progress; answers ActionActionState."""

    RESPONSE: ClassVar[Any] = ActionActionState

    action: str = Field(validation_alias=AliasChoices("action", "id", "name"))
    """Id or name of the action."""
