"""Write requests about git provider and image registry accounts (`/write`, admin only)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount


class CreateGitProviderAccount(WriteRequest):
    """Create a git provider account from the given fields; answers the GitProviderAccount."""

    RESPONSE: ClassVar[Any] = GitProviderAccount

    account: dict[str, Any] = Field(default_factory=dict)
    """Partial account: `domain`, `https`, `username`, `token`."""


class UpdateGitProviderAccount(WriteRequest):
    """Change the given fields of a git provider account; answers the GitProviderAccount."""

    RESPONSE: ClassVar[Any] = GitProviderAccount

    id: str
    """The account id."""
    account: dict[str, Any] = Field(default_factory=dict)
    """The fields to change."""


class DeleteGitProviderAccount(WriteRequest):
    """Delete a git provider account; answers the deleted GitProviderAccount."""

    RESPONSE: ClassVar[Any] = GitProviderAccount

    id: str
    """The account id."""


class CreateImageRegistryAccount(WriteRequest):
    """Create an image registry account from the given fields; answers the ImageRegistryAccount."""

    RESPONSE: ClassVar[Any] = ImageRegistryAccount

    account: dict[str, Any] = Field(default_factory=dict)
    """Partial account: `domain`, `username`, `token`."""


class UpdateImageRegistryAccount(WriteRequest):
    """Change the given fields of an image registry account; answers the ImageRegistryAccount."""

    RESPONSE: ClassVar[Any] = ImageRegistryAccount

    id: str
    """The account id."""
    account: dict[str, Any] = Field(default_factory=dict)
    """The fields to change."""


class DeleteImageRegistryAccount(WriteRequest):
    """Delete an image registry account; answers the deleted ImageRegistryAccount."""

    RESPONSE: ClassVar[Any] = ImageRegistryAccount

    id: str
    """The account id."""
