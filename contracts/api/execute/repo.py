"""Executions on repos (`/execute`); each answers the Update that tracks it."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.update import Update


class CloneRepo(ExecuteRequest):
    """Clone the repo on its Server (deleting an earlier clone) and run `on_clone`."""

    RESPONSE: ClassVar[Any] = Update

    repo: str
    """Id or name of the repo."""


class PullRepo(ExecuteRequest):
    """Pull the repo on its Server and run `on_pull`."""

    RESPONSE: ClassVar[Any] = Update

    repo: str
    """Id or name of the repo."""


class BuildRepo(ExecuteRequest):
    """Clone the repo on its Builder and run `on_clone` there."""

    RESPONSE: ClassVar[Any] = Update

    repo: str
    """Id or name of the repo."""


class CancelRepoBuild(ExecuteRequest):
    """Cancel a running BuildRepo."""

    RESPONSE: ClassVar[Any] = Update

    repo: str
    """Id or name of the repo."""


class BatchCloneRepo(ExecuteRequest):
    """Clone every repo matching a pattern; answers one item per repo."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only repos with these tags."""


class BatchPullRepo(ExecuteRequest):
    """Pull every repo matching a pattern; answers one item per repo."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only repos with these tags."""


class BatchBuildRepo(ExecuteRequest):
    """Build every repo matching a pattern; answers one item per repo."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only repos with these tags."""
