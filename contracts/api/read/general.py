"""General read requests (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.common import ResourceTarget
from contracts.entities.core_info import GetCoreInfoResponse, GetVersionResponse
from contracts.entities.provider import GitProvider, ImageRegistry


class GetVersion(ReadRequest):
    """Get the version of the system; answers GetVersionResponse."""

    RESPONSE: ClassVar[Any] = GetVersionResponse


class GetCoreInfo(ReadRequest):
    """Get what clients need to know about the core; answers GetCoreInfoResponse."""

    RESPONSE: ClassVar[Any] = GetCoreInfoResponse


class ListSecrets(ReadRequest):
    """List the names of secrets from configuration (core, and the target's agent); answers a list of names."""

    RESPONSE: ClassVar[Any] = list[str]

    target: ResourceTarget | None = None
    """A Server or Builder whose agent's secrets are included."""


class ListGitProvidersFromConfig(ReadRequest):
    """List git providers from configuration (and the target's agent); answers a list of GitProvider."""

    RESPONSE: ClassVar[Any] = list[GitProvider]

    target: ResourceTarget | None = None
    """A Server or Builder whose agent's providers are included."""


class ListImageRegistriesFromConfig(ReadRequest):
    """List image registries from configuration (and the target's agent); answers a list of ImageRegistry."""

    RESPONSE: ClassVar[Any] = list[ImageRegistry]

    target: ResourceTarget | None = None
    """A Server or Builder whose agent's registries are included."""
