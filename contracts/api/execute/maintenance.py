"""Maintenance executions (`/execute`, admin only); each answers the Update that tracks it."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ExecuteRequest
from contracts.entities.update import Update


class ClearRepoCache(ExecuteRequest):
    """Delete the core's cached repository clones."""

    RESPONSE: ClassVar[Any] = Update


class BackupCoreDatabase(ExecuteRequest):
    """Back up the databases to dated, compressed files."""

    RESPONSE: ClassVar[Any] = Update


class GlobalAutoUpdate(ExecuteRequest):
    """Check every stack and deployment that polls for image updates, and redeploy those with auto update."""

    RESPONSE: ClassVar[Any] = Update

    skip_auto_update: bool = False
    """Only check; do not redeploy."""


class RotateAllServerKeys(ExecuteRequest):
    """Rotate the credentials of every server with `auto_rotate_keys`."""

    RESPONSE: ClassVar[Any] = Update


class RotateCoreKeys(ExecuteRequest):
    """Rotate the core's keys and give agents the new public key."""

    RESPONSE: ClassVar[Any] = Update

    force: bool = False
    """Go on even when some servers are unreachable."""
