"""Read requests about a server's host: system information, stats, history and processes (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Page, Timelength
from contracts.entities.system import (
    GetHistoricalServerStatsResponse,
    SystemInformation,
    SystemProcess,
    SystemStats,
)


class GetSystemInformation(ReadRequest):
    """Get a server's system information; answers SystemInformation."""

    RESPONSE: ClassVar[Any] = SystemInformation

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class GetSystemStats(ReadRequest):
    """Get a server's latest system stats (from the core's cache); answers SystemStats."""

    RESPONSE: ClassVar[Any] = SystemStats

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""


class GetHistoricalServerStats(ReadRequest):
    """Get one page of a server's stats history; answers GetHistoricalServerStatsResponse."""

    RESPONSE: ClassVar[Any] = GetHistoricalServerStatsResponse

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
    granularity: Timelength
    """Time between two points (e.g. `15-sec`, `1-hr`)."""
    page: Page = 0
    """Page of history; 0 is the most recent (see `next_page`)."""


class ListSystemProcesses(ReadRequest):
    """List the processes on a server (from the core's cache); answers a list of SystemProcess."""

    RESPONSE: ClassVar[Any] = list[SystemProcess]

    server: str = Field(validation_alias=AliasChoices("server", "id", "name"))
    """Id or name of the server (`id` and `name` accepted)."""
