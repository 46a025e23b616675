"""Agent request for the digest an image's tag has in its registry now (Komodo's periphery `GetLatestImageDigest`).

The agent asks the registry for the manifest's digest without pulling anything, so the executor can tell
whether a deployment's container runs the image its tag points to today.
"""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.agent.container import RegistryAuth
from contracts.api.base import AgentRequest
from contracts.base import KomodoModel


class LatestImageDigest(KomodoModel):
    """The digest an image reference resolves to in its registry now."""

    digest: str
    """The manifest digest (`sha256:...`): of the index or manifest list for a multi-platform image."""


class GetLatestImageDigest(AgentRequest):
    """Ask the image's registry for the digest its tag points to now, without pulling."""

    RESPONSE: ClassVar[Any] = LatestImageDigest

    image: str
    """The image reference (`nginx`, `ghcr.io/org/app:1.2`, `127.0.0.1:5000/app:latest`)."""
    registry_auth: RegistryAuth | None = None
    """Credentials for a private registry (never logged); anonymous when None."""
