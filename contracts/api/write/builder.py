"""Write requests about builders (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.builder import Builder
from contracts.entities.update import Update


class CreateBuilder(WriteRequest):
    """Create a builder from a partial config; answers the new Builder."""

    RESPONSE: ClassVar[Any] = Builder

    name: str
    """Name of the new builder."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial BuilderConfig merged over the defaults."""


class CopyBuilder(WriteRequest):
    """Create a builder with the config of another; answers the new Builder."""

    RESPONSE: ClassVar[Any] = Builder

    name: str
    """Name of the new builder."""
    id: str
    """Id or name of the builder to copy."""


class DeleteBuilder(WriteRequest):
    """Delete a builder; answers the deleted Builder."""

    RESPONSE: ClassVar[Any] = Builder

    id: str
    """Id or name of the builder."""


class UpdateBuilder(WriteRequest):
    """Change the given fields of a builder's config (the rest stays); answers the Builder."""

    RESPONSE: ClassVar[Any] = Builder

    id: str
    """Id or name of the builder."""
    config: dict[str, Any]
    """Partial BuilderConfig: the fields to change."""


class RenameBuilder(WriteRequest):
    """Rename a builder; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the builder."""
    name: str
    """The new name."""
