"""Credentials for git providers and image registries: stored accounts, and the ones configuration files list."""

from __future__ import annotations

from pydantic import AliasChoices, Field

from contracts.base import KomodoModel, MongoId, id_field


class GitProviderAccount(KomodoModel):
    """An account on a git provider; its token clones private repositories.

    Komodo refuses two accounts with the same domain and username.
    """

    id: MongoId = id_field("The Mongo id of the account.")
    """The Mongo id of the account."""
    domain: str = "github.com"
    """The provider's domain without protocol, e.g. `github.com` (the protocol comes from `https`)."""
    https: bool = True
    """Clone over https (false: http)."""
    username: str = ""
    """The account username."""
    token: str = ""
    """The access token (a secret)."""
    ssh_private_key: str = ""
    """Varanus extension: a private key (OpenSSH or PEM, a secret). When set, repositories of this account are
    cloned, pulled and pushed over SSH as `ssh://git@<domain>/<repo>.git` (a port may be part of `domain`)
    instead of http(s) with the token."""
    ssh_known_hosts: str = ""
    """Varanus extension: known_hosts lines pinning the git server's host key for SSH (`ssh-keyscan <host>`);
    empty: the key the server shows is accepted for each transfer and shown in its Log."""


class ImageRegistryAccount(KomodoModel):
    """An account on an image registry; its token logs in before pull and push."""

    id: MongoId = id_field("The Mongo id of the account.")
    """The Mongo id of the account."""
    domain: str = "docker.io"
    """The registry's domain, e.g. `docker.io` or `ghcr.io` (`http://` only works for insecure registries)."""
    username: str = ""
    """The account username."""
    token: str = ""
    """The access token or password (a secret)."""


class ProviderAccount(KomodoModel):
    """An account listed in a configuration file; its token is read from the file but never written out."""

    username: str = Field(validation_alias=AliasChoices("username", "account"))
    """The account username (`account` is accepted too)."""
    token: str = Field(default="", exclude=True)
    """The access token; never serialized, so API answers carry usernames only."""


class GitProvider(KomodoModel):
    """A git provider with its accounts, as a configuration file (`[[git_provider]]`) lists it."""

    domain: str = "github.com"
    """The provider's domain."""
    https: bool = True
    """Whether it is reached over https."""
    accounts: list[ProviderAccount] = Field(
        default_factory=list, validation_alias=AliasChoices("accounts", "account")
    )
    """The accounts on the provider (`account` is accepted too)."""


class ImageRegistry(KomodoModel):
    """An image registry with its accounts and organizations, as a configuration file (`[[image_registry]]`) lists it."""

    domain: str = "docker.io"
    """The registry's domain."""
    accounts: list[ProviderAccount] = Field(
        default_factory=list, validation_alias=AliasChoices("accounts", "account")
    )
    """The accounts on the registry (`account` is accepted too)."""
    organizations: list[str] = Field(
        default_factory=list, validation_alias=AliasChoices("organizations", "organization")
    )
    """Organizations whose repositories images can be pushed under (`organization` is accepted too)."""
