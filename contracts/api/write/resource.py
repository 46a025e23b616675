"""Write requests common to every resource kind (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import NoData, WriteRequest
from contracts.entities.common import ResourceTarget


class UpdateResourceMeta(WriteRequest):
    """Change a resource's description, template flag or tags (names or ids); answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    target: ResourceTarget
    """The resource (its id or name)."""
    description: str | None = None
    """New description, if changing."""
    template: bool | None = None
    """New template flag, if changing."""
    tags: list[str] | None = None
    """New tags (names or ids), if changing."""
