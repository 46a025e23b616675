"""Credentials for git providers and image registries."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel, MongoId, id_field


class GitProviderAccount(KomodoModel):
    """An account on a git provider; its token clones private repositories."""

    id: MongoId = id_field("The Mongo id of the account.")
    """The Mongo id of the account."""
    domain: str = "github.com"
    """The provider's domain, e.g. `github.com` or `git.example.com`."""
    https: bool = True
    """Clone over https (false: http)."""
    username: str = ""
    """The account username."""
    token: str = ""
    """The access token (a secret)."""


class ImageRegistryAccount(KomodoModel):
    """An account on an image registry; its token logs in before pull and push."""

    id: MongoId = id_field("The Mongo id of the account.")
    """The Mongo id of the account."""
    domain: str = "docker.io"
    """The registry's domain, e.g. `docker.io` or `ghcr.io`."""
    username: str = ""
    """The account username."""
    token: str = ""
    """The access token or password (a secret)."""


class GitProvider(KomodoModel):
    """A git provider with its accounts, as the configuration files list them."""

    domain: str = "github.com"
    """The provider's domain."""
    https: bool = True
    """Whether it is reached over https."""
    accounts: list[ProviderAccount] = Field(default_factory=list)
    """The accounts available (tokens are never returned)."""


class ProviderAccount(KomodoModel):
    """An account listed from configuration (no token)."""

    username: str
    """The account username."""


class ImageRegistry(KomodoModel):
    """An image registry with its accounts and organizations, as the configuration files list them."""

    domain: str = "docker.io"
    """The registry's domain."""
    accounts: list[ProviderAccount] = Field(default_factory=list)
    """The accounts available (usernames only)."""
    organizations: list[str] = Field(default_factory=list)
    """Organizations images can be pushed under."""


GitProvider.model_rebuild()
ImageRegistry.model_rebuild()
