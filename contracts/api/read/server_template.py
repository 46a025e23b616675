"""Read requests about server templates (`/read`).

Komodo 1.17.4's shapes; the list requests also take Komodo 2's `page` and `limit`, as every other kind's do.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page
from contracts.entities.server_template import (
    GetServerTemplatesSummaryResponse,
    ServerTemplate,
    ServerTemplateListItem,
    ServerTemplateQuery,
)


class GetServerTemplatesSummary(ReadRequest):
    """Count server templates; answers GetServerTemplatesSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetServerTemplatesSummaryResponse


class GetServerTemplate(ReadRequest):
    """Get one server template; answers the ServerTemplate."""

    RESPONSE: ClassVar[Any] = ServerTemplate

    server_template: str = Field(validation_alias=AliasChoices("server_template", "id", "name"))
    """Id or name of the server template (`id` and `name` accepted)."""


class ListServerTemplates(ReadRequest):
    """List server templates matching a query; answers a list of ServerTemplateListItem."""

    RESPONSE: ClassVar[Any] = list[ServerTemplateListItem]

    query: ServerTemplateQuery = Field(default_factory=ServerTemplateQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class ListFullServerTemplates(ReadRequest):
    """List full server templates matching a query; answers a list of ServerTemplate."""

    RESPONSE: ClassVar[Any] = list[ServerTemplate]

    query: ServerTemplateQuery = Field(default_factory=ServerTemplateQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
