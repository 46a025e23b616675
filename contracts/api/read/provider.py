"""Read requests about git provider and image registry accounts (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.provider import GitProviderAccount, ImageRegistryAccount


class GetGitProviderAccount(ReadRequest):
    """Get a git provider account by id; answers the GitProviderAccount."""

    RESPONSE: ClassVar[Any] = GitProviderAccount

    id: str
    """The account id."""


class ListGitProviderAccounts(ReadRequest):
    """List git provider accounts, optionally of one domain and/or username."""

    RESPONSE: ClassVar[Any] = list[GitProviderAccount]

    domain: str | None = None
    """Only accounts on this domain."""
    username: str | None = None
    """Only accounts with this username."""


class GetImageRegistryAccount(ReadRequest):
    """Get an image registry account by id; answers the ImageRegistryAccount."""

    RESPONSE: ClassVar[Any] = ImageRegistryAccount

    id: str
    """The account id."""


class ListImageRegistryAccounts(ReadRequest):
    """List image registry accounts, optionally of one domain and/or username."""

    RESPONSE: ClassVar[Any] = list[ImageRegistryAccount]

    domain: str | None = None
    """Only accounts on this domain."""
    username: str | None = None
    """Only accounts with this username."""
