"""Read requests about repos (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page
from contracts.entities.repo import (
    GetReposSummaryResponse,
    Repo,
    RepoActionState,
    RepoListItem,
    RepoQuery,
    RepoSortBy,
)


class GetReposSummary(ReadRequest):
    """Count repos by state; answers GetReposSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetReposSummaryResponse


class GetRepo(ReadRequest):
    """Get one repo; answers the Repo."""

    RESPONSE: ClassVar[Any] = Repo

    repo: str = Field(validation_alias=AliasChoices("repo", "id", "name"))
    """Id or name of the repo (`id` and `name` accepted)."""


class ListRepos(ReadRequest):
    """List repos matching a query; answers a list of RepoListItem."""

    RESPONSE: ClassVar[Any] = list[RepoListItem]

    query: RepoQuery = Field(default_factory=RepoQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: RepoSortBy = RepoSortBy.Name
    """Sort field (non-name sorts are applied after the query)."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullRepos(ReadRequest):
    """List full repos matching a query; answers a list of Repo."""

    RESPONSE: ClassVar[Any] = list[Repo]

    query: RepoQuery = Field(default_factory=RepoQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class GetRepoActionState(ReadRequest):
    """Get what a repo is busy with; answers RepoActionState."""

    RESPONSE: ClassVar[Any] = RepoActionState

    repo: str = Field(validation_alias=AliasChoices("repo", "id", "name"))
    """Id or name of the repo."""
