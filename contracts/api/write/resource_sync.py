"""Write requests about resource syncs (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.resource_sync import ResourceSync
from contracts.entities.update import Update


class CreateResourceSync(WriteRequest):
    """Create a resource sync from a partial config; answers the new ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    name: str
    """Name of the new resource sync."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial ResourceSyncConfig merged over the defaults."""


class CopyResourceSync(WriteRequest):
    """Create a resource sync with the config of another; answers the new ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    name: str
    """Name of the new resource sync."""
    id: str
    """Id or name of the resource sync to copy."""


class DeleteResourceSync(WriteRequest):
    """Delete a resource sync; answers the deleted ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    id: str
    """Id or name of the resource sync."""


class UpdateResourceSync(WriteRequest):
    """Change the given fields of a resource sync's config (the rest stays); answers the ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    id: str
    """Id or name of the resource sync."""
    config: dict[str, Any]
    """Partial ResourceSyncConfig: the fields to change."""


class RenameResourceSync(WriteRequest):
    """Rename a resource sync; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the resource sync."""
    name: str
    """The new name."""


class RefreshResourceSyncPending(WriteRequest):
    """Read the sync's files and compute its pending changes; answers the ResourceSync."""

    RESPONSE: ClassVar[Any] = ResourceSync

    sync: str
    """Id or name of the sync."""


class WriteSyncFileContents(WriteRequest):
    """Write one of the sync's files (on the host, or committed to its repo); answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    sync: str
    """Id or name of the sync."""
    resource_path: str
    """The resource path the file belongs to."""
    file_path: str
    """The file's path within it."""
    contents: str
    """The new contents."""


class CommitSync(WriteRequest):
    """Export the resources in the sync's scope and write them to its file (managed syncs); answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    sync: str
    """Id or name of the sync."""
