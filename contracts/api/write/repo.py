"""Write requests about repos (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import NoData, WriteRequest
from contracts.entities.repo import Repo
from contracts.entities.update import Update


class CreateRepo(WriteRequest):
    """Create a repo from a partial config; answers the new Repo."""

    RESPONSE: ClassVar[Any] = Repo

    name: str
    """Name of the new repo."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial RepoConfig merged over the defaults."""


class CopyRepo(WriteRequest):
    """Create a repo with the config of another; answers the new Repo."""

    RESPONSE: ClassVar[Any] = Repo

    name: str
    """Name of the new repo."""
    id: str
    """Id or name of the repo to copy."""


class DeleteRepo(WriteRequest):
    """Delete a repo; answers the deleted Repo."""

    RESPONSE: ClassVar[Any] = Repo

    id: str
    """Id or name of the repo."""


class UpdateRepo(WriteRequest):
    """Change the given fields of a repo's config (the rest stays); answers the Repo."""

    RESPONSE: ClassVar[Any] = Repo

    id: str
    """Id or name of the repo."""
    config: dict[str, Any]
    """Partial RepoConfig: the fields to change."""


class RenameRepo(WriteRequest):
    """Rename a repo; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the repo."""
    name: str
    """The new name."""


class RefreshRepoCache(WriteRequest):
    """Read the latest commit of a repo's branch into its info; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    repo: str
    """Id or name of the repo."""
