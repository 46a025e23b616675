"""Write requests about server templates (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.server_template import ServerTemplate
from contracts.entities.update import Update


class CreateServerTemplate(WriteRequest):
    """Create a server template from a partial config; answers the new ServerTemplate."""

    RESPONSE: ClassVar[Any] = ServerTemplate

    name: str
    """Name of the new server template."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial ServerTemplateConfig merged over the defaults."""


class CopyServerTemplate(WriteRequest):
    """Create a server template with the config of another; answers the new ServerTemplate."""

    RESPONSE: ClassVar[Any] = ServerTemplate

    name: str
    """Name of the new server template."""
    id: str
    """Id or name of the server template to copy."""


class DeleteServerTemplate(WriteRequest):
    """Delete a server template; answers the deleted ServerTemplate."""

    RESPONSE: ClassVar[Any] = ServerTemplate

    id: str
    """Id or name of the server template."""


class UpdateServerTemplate(WriteRequest):
    """Change the given fields of a server template's config (the rest stays); answers the ServerTemplate."""

    RESPONSE: ClassVar[Any] = ServerTemplate

    id: str
    """Id or name of the server template."""
    config: dict[str, Any]
    """Partial ServerTemplateConfig: the fields to change."""


class RenameServerTemplate(WriteRequest):
    """Rename a server template; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the server template."""
    name: str
    """The new name."""
