"""Read requests about Deployments (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.common import Limit, Page, SearchCombinator
from contracts.entities.deployment import (
    Deployment,
    DeploymentActionState,
    DeploymentListItem,
    DeploymentQuery,
    DeploymentSortBy,
    GetDeploymentContainerResponse,
    GetDeploymentsSummaryResponse,
)
from contracts.entities.docker import ContainerStats, InspectContainerResponse
from contracts.entities.update import Log


class GetDeploymentsSummary(ReadRequest):
    """Count deployments by state; answers GetDeploymentsSummaryResponse."""

    RESPONSE: ClassVar[Any] = GetDeploymentsSummaryResponse


class GetDeployment(ReadRequest):
    """Get one deployment; answers the Deployment."""

    RESPONSE: ClassVar[Any] = Deployment

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""


class GetDeploymentContainer(ReadRequest):
    """Get a deployment's state and container (from the core's cache); answers GetDeploymentContainerResponse."""

    RESPONSE: ClassVar[Any] = GetDeploymentContainerResponse

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""


class GetDeploymentActionState(ReadRequest):
    """Get the actions in progress on a deployment; answers DeploymentActionState."""

    RESPONSE: ClassVar[Any] = DeploymentActionState

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""


class GetDeploymentStats(ReadRequest):
    """Get the container's `docker stats` from its server; answers ContainerStats."""

    RESPONSE: ClassVar[Any] = ContainerStats

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""


class GetDeploymentLog(ReadRequest):
    """Get the tail of the container's log, stdout and stderr apart; answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""
    tail: int = 100
    """Number of lines (max 5000)."""
    timestamps: bool = False
    """Add `--timestamps`."""


class SearchDeploymentLog(ReadRequest):
    """Search the container's log with grep (all lines in stdout); answers a Log."""

    RESPONSE: ClassVar[Any] = Log

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""
    terms: list[str]
    """Terms to search for."""
    combinator: SearchCombinator = SearchCombinator.Or
    """Lines need all terms (And) or any (Or)."""
    invert: bool = False
    """Return the lines that do not match."""
    timestamps: bool = False
    """Add `--timestamps`."""


class InspectDeploymentContainer(ReadRequest):
    """Inspect the deployment's container; answers Docker's container JSON."""

    RESPONSE: ClassVar[Any] = InspectContainerResponse

    deployment: str = Field(validation_alias=AliasChoices("deployment", "id", "name"))
    """Id or name of the deployment (`id` and `name` accepted)."""


class ListDeployments(ReadRequest):
    """List deployments matching a query; answers a list of DeploymentListItem."""

    RESPONSE: ClassVar[Any] = list[DeploymentListItem]

    query: DeploymentQuery = Field(default_factory=DeploymentQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""
    sort_by: DeploymentSortBy = DeploymentSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""


class ListFullDeployments(ReadRequest):
    """List full deployments matching a query; answers a list of Deployment."""

    RESPONSE: ClassVar[Any] = list[Deployment]

    query: DeploymentQuery = Field(default_factory=DeploymentQuery)
    """Filters; empty returns all."""
    page: Page = 0
    """Page of results, from 0."""
    limit: Limit | None = None
    """Results per page; null uses the core's default, 0 returns all."""


class ListCommonDeploymentExtraArgs(ReadRequest):
    """List extra args used across deployments (for suggestions); answers a list of strings."""

    RESPONSE: ClassVar[Any] = list[str]

    query: DeploymentQuery = Field(default_factory=DeploymentQuery)
    """Filters; empty uses all deployments."""
