"""Read requests about procedures (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page
from contracts.entities.procedure import (
    GetProceduresSummaryResponse,
    Procedure,
    ProcedureActionState,
    ProcedureListItem,
    ProcedureQuery,
    ProcedureSortBy,
)


class GetProceduresSummary(ReadRequest):
    """Count procedures by state; answers GetProceduresSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetProceduresSummaryResponse


class GetProcedure(ReadRequest):
    """Get one procedure; answers the Procedure."""

    RESPONSE: ClassVar[Any] = Procedure

    procedure: str = Field(validation_alias=AliasChoices("procedure", "id", "name"))
    """Id or name of the procedure (`id` and `name` accepted)."""


class ListProcedures(ReadRequest):
    """List procedures matching a query; answers a list of ProcedureListItem."""

    RESPONSE: ClassVar[Any] = list[ProcedureListItem]

    query: ProcedureQuery = Field(default_factory=ProcedureQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: ProcedureSortBy = ProcedureSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullProcedures(ReadRequest):
    """List full procedures matching a query; answers a list of Procedure."""

    RESPONSE: ClassVar[Any] = list[Procedure]

    query: ProcedureQuery = Field(default_factory=ProcedureQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class GetProcedureActionState(ReadRequest):
    """Get whether a procedure is running; answers ProcedureActionState."""

    RESPONSE: ClassVar[Any] = ProcedureActionState

    procedure: str = Field(validation_alias=AliasChoices("procedure", "id", "name"))
    """Id or name of the procedure."""
