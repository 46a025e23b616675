"""Write requests about tags (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import WriteRequest
from contracts.entities.tag import Tag, TagColor


class CreateTag(WriteRequest):
    """Create a tag; answers the Tag."""

    RESPONSE: ClassVar[Any] = Tag

    name: str
    """The tag name."""
    color: TagColor | None = None
    """The color (Slate when absent)."""


class DeleteTag(WriteRequest):
    """Delete a tag and take it off every resource; answers the deleted Tag."""

    RESPONSE: ClassVar[Any] = Tag

    id: str
    """Id or name of the tag."""


class RenameTag(WriteRequest):
    """Rename a tag; answers the Tag."""

    RESPONSE: ClassVar[Any] = Tag

    id: str
    """Id or name of the tag."""
    name: str
    """The new name."""


class UpdateTagColor(WriteRequest):
    """Change a tag's color; answers the Tag."""

    RESPONSE: ClassVar[Any] = Tag

    tag: str
    """Id or name of the tag."""
    color: TagColor
    """The new color."""
