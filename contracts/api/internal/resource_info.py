"""What executions learn about a resource that the registry keeps in its `info` (a stack's deployed files)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import InternalRequest, NoData
from contracts.entities.common import ResourceTarget


class UpdateResourceInfo(InternalRequest):
    """Set some fields of a resource's `info` (the others stay); answers nothing. Services only."""

    RESPONSE: ClassVar[Any] = NoData

    target: ResourceTarget
    """The resource."""
    info: dict[str, Any]
    """The info fields to set, by name; each must be a field of the resource type's info."""
