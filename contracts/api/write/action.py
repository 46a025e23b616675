"""Write requests about actions (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.action import Action
from contracts.entities.update import Update


class CreateAction(WriteRequest):
    """Create an action from a partial config; answers the new Action."""

    RESPONSE: ClassVar[Any] = Action

    name: str
    """Name of the new action."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial ActionConfig merged over the defaults."""


class CopyAction(WriteRequest):
    """Create an action with the config of another; answers the new Action."""

    RESPONSE: ClassVar[Any] = Action

    name: str
    """Name of the new action."""
    id: str
    """Id or name of the action to copy."""


class DeleteAction(WriteRequest):
    """Delete an action; answers the deleted Action."""

    RESPONSE: ClassVar[Any] = Action

    id: str
    """Id or name of the action."""


class UpdateAction(WriteRequest):
    """Change the given fields of an action's config (the rest stays); answers the Action."""

    RESPONSE: ClassVar[Any] = Action

    id: str
    """Id or name of the action."""
    config: dict[str, Any]
    """Partial ActionConfig: the fields to change."""


class RenameAction(WriteRequest):
    """Rename an action; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the action."""
    name: str
    """The new name."""
