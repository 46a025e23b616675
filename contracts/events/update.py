"""Events about Updates (the audit log)."""

from __future__ import annotations

from typing import ClassVar

from contracts.entities.update import UpdateListItem
from contracts.events.base import Event


class UpdateChanged(Event):
    """An Update was created, got a log, or completed; carries its list item (what `/ws/update` pushes)."""

    KIND: ClassVar[str] = "update"

    update: UpdateListItem
    """The update as a list item, after the change."""
    created: bool = False
    """Whether this is the Update's creation."""
