"""Events about resource configuration."""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from contracts.events.base import Event


class ResourceChange(StrEnum):
    """What happened to a resource."""

    Created = "Created"
    Updated = "Updated"
    Renamed = "Renamed"
    Deleted = "Deleted"


class ResourceChanged(Event):
    """A resource, tag, variable or account was created, changed, renamed or deleted in the registry."""

    KIND: ClassVar[str] = "resource"

    change: ResourceChange
    """What happened."""
    name: str = ""
    """The name after the change (before it, for deletions)."""
    previous_name: str = ""
    """The name before a rename."""
    entity: str = ""
    """For non-resource entities (Tag, Variable, GitProviderAccount, ...), their collection name."""
    entity_id: str = ""
    """For non-resource entities, their id (or variable name)."""
