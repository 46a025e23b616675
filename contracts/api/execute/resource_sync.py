"""Executions on resource syncs (`/execute`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ExecuteRequest
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.update import Update


class RunSync(ExecuteRequest):
    """Apply a sync's pending changes (all, or those of one type or some resources); answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    sync: str
    """Id or name of the sync."""
    resource_type: ResourceTargetVariant | None = None
    """Only apply changes to this resource type."""
    resources: list[str] | None = None
    """Only apply changes to these resources (names or ids)."""
    confirm_deletes: bool = False
    """Varanus: allow a run that deletes more than the configured share of the sync's resources
    (`VARANUS_SYNC_DELETE_SHARE`, default half); without it such a run is refused with the count."""
