"""Read requests about Servers (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page
from contracts.entities.server import (
    GetServersSummaryResponse,
    GetServerStateResponse,
    Server,
    ServerActionState,
    ServerListItem,
    ServerQuery,
    ServerSortBy,
)
from contracts.entities.system import PeripheryInformation


class GetServersSummary(ReadRequest):
    """Count servers by health; answers GetServersSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetServersSummaryResponse


class GetServer(ReadRequest):
    """Get one server; answers the Server."""

    RESPONSE: ClassVar[Any] = Server

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class GetServerState(ReadRequest):
    """Get a server's state; answers GetServerStateResponse."""

    RESPONSE: ClassVar[Any] = GetServerStateResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class GetPeripheryInformation(ReadRequest):
    """Get a server's Periphery version, public key and settings; answers PeripheryInformation."""

    RESPONSE: ClassVar[Any] = PeripheryInformation

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class GetServerActionState(ReadRequest):
    """Get the actions in progress on a server; answers ServerActionState."""

    RESPONSE: ClassVar[Any] = ServerActionState

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class ListServers(ReadRequest):
    """List servers matching a query; answers a list of ServerListItem."""

    RESPONSE: ClassVar[Any] = list[ServerListItem]

    query: ServerQuery = Field(default_factory=ServerQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: ServerSortBy = ServerSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullServers(ReadRequest):
    """List full servers matching a query; answers a list of Server."""

    RESPONSE: ClassVar[Any] = list[Server]

    query: ServerQuery = Field(default_factory=ServerQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
