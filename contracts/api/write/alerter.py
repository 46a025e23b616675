"""Write requests about alerters (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.alerter import Alerter
from contracts.entities.update import Update


class CreateAlerter(WriteRequest):
    """Create an alerter from a partial config; answers the new Alerter."""

    RESPONSE: ClassVar[Any] = Alerter

    name: str
    """Name of the new alerter."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial AlerterConfig merged over the defaults."""


class CopyAlerter(WriteRequest):
    """Create an alerter with the config of another; answers the new Alerter."""

    RESPONSE: ClassVar[Any] = Alerter

    name: str
    """Name of the new alerter."""
    id: str
    """Id or name of the alerter to copy."""


class DeleteAlerter(WriteRequest):
    """Delete an alerter; answers the deleted Alerter."""

    RESPONSE: ClassVar[Any] = Alerter

    id: str
    """Id or name of the alerter."""


class UpdateAlerter(WriteRequest):
    """Change the given fields of an alerter's config (the rest stays); answers the Alerter."""

    RESPONSE: ClassVar[Any] = Alerter

    id: str
    """Id or name of the alerter."""
    config: dict[str, Any]
    """Partial AlerterConfig: the fields to change."""


class RenameAlerter(WriteRequest):
    """Rename an alerter; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the alerter."""
    name: str
    """The new name."""
