"""Read requests about Stacks (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page, SearchCombinator
from contracts.entities.docker import InspectContainerResponse
from contracts.entities.stack import (
    GetStacksSummaryResponse,
    Stack,
    StackActionState,
    StackListItem,
    StackQuery,
    StackService,
    StackServiceState,
    StackSortBy,
)
from contracts.entities.update import Log


class GetStacksSummary(ReadRequest):
    """Count stacks by state; answers GetStacksSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetStacksSummaryResponse


class GetStack(ReadRequest):
    """Get one stack; answers the Stack."""

    RESPONSE: ClassVar[Any] = Stack

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""


class GetStackActionState(ReadRequest):
    """Get the actions in progress on a stack; answers StackActionState."""

    RESPONSE: ClassVar[Any] = StackActionState

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""


class GetStackLog(ReadRequest):
    """Get the tail of the stack's logs (`docker compose logs`); answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""
    services: list[str]
    """Only these services; empty includes all."""
    tail: int = 100
    """Number of lines (max 5000)."""
    timestamps: bool = False
    """Add `--timestamps`."""


class SearchStackLog(ReadRequest):
    """Search the stack's logs with grep (all lines in stdout); answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""
    services: list[str]
    """Only these services; empty includes all."""
    terms: list[str]
    """Terms to search for."""
    combinator: SearchCombinator = SearchCombinator.Or
    """Lines need all terms (And) or any (Or)."""
    invert: bool = False
    """Return the lines that do not match."""
    timestamps: bool = False
    """Add `--timestamps`."""


class InspectStackContainer(ReadRequest):
    """Inspect the container of a stack service; answers Docker's container JSON."""

    RESPONSE: ClassVar[Any] = InspectContainerResponse

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""
    service: str
    """The service to inspect."""


class ListStacks(ReadRequest):
    """List stacks matching a query; answers a list of StackListItem."""

    RESPONSE: ClassVar[Any] = list[StackListItem]

    query: StackQuery = Field(default_factory=StackQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: StackSortBy = StackSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullStacks(ReadRequest):
    """List full stacks matching a query; answers a list of Stack."""

    RESPONSE: ClassVar[Any] = list[Stack]

    query: StackQuery = Field(default_factory=StackQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class ListStackServices(ReadRequest):
    """List a stack's services and their containers; answers a list of StackService."""

    RESPONSE: ClassVar[Any] = list[StackService]

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""


class ListAllStackServices(ReadRequest):
    """List the services of many stacks; answers a list of StackService."""

    RESPONSE: ClassVar[Any] = list[StackService]

    stacks: list[str] = Field(default_factory=list)
    """Only these stacks (ids or names)."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""
    terms: list[str] = Field(default_factory=list)
    """Service names must contain all these terms."""
    state: list[StackServiceState] = Field(default_factory=list)
    """Only services in these states."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class ListCommonStackExtraArgs(ReadRequest):
    """List extra args used across stacks (for suggestions); answers a list of strings."""

    RESPONSE: ClassVar[Any] = list[str]

    query: StackQuery = Field(default_factory=StackQuery)
    """Filters; empty uses all stacks."""


class ListCommonStackBuildExtraArgs(ReadRequest):
    """List build extra args used across stacks (for suggestions); answers a list of strings."""

    RESPONSE: ClassVar[Any] = list[str]

    query: StackQuery = Field(default_factory=StackQuery)
    """Filters; empty uses all stacks."""
