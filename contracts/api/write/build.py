"""Write requests about Builds (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import NoData, WriteRequest
from contracts.entities.build import Build
from contracts.entities.update import Update


class CreateBuild(WriteRequest):
    """Create a build from a partial config; answers the new Build."""

    RESPONSE: ClassVar[Any] = Build

    name: str
    """Name of the new build."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial BuildConfig merged over the defaults."""


class CopyBuild(WriteRequest):
    """Create a build with the config of another; answers the new Build."""

    RESPONSE: ClassVar[Any] = Build

    name: str
    """Name of the new build."""
    id: str
    """Id of the build to copy."""


class DeleteBuild(WriteRequest):
    """Delete a build; answers the deleted Build."""

    RESPONSE: ClassVar[Any] = Build

    id: str
    """Id or name of the build."""


class UpdateBuild(WriteRequest):
    """Merge a partial config into a build; answers the updated Build."""

    RESPONSE: ClassVar[Any] = Build

    id: str
    """Id or name of the build."""
    config: dict[str, Any]
    """Partial BuildConfig; only the fields given change."""


class RenameBuild(WriteRequest):
    """Rename a build; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the build."""
    name: str
    """The new name."""


class WriteBuildFileContents(WriteRequest):
    """Write the Dockerfile on the host, or commit it to the repo; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    build: str = Field(validation_alias=AliasChoices("build", "id", "name"))
    """Id or name of the build (`id` and `name` accepted)."""
    contents: str
    """The Dockerfile contents to write."""


class RefreshBuildCache(WriteRequest):
    """Refresh the build's cached remote Dockerfile and latest commit; answers NoData."""

    RESPONSE: ClassVar[Any] = NoData

    build: str = Field(validation_alias=AliasChoices("build", "id", "name"))
    """Id or name of the build (`id` and `name` accepted)."""
