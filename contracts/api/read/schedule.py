"""Read requests about schedules (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ReadRequest
from contracts.entities.common import TagQueryBehavior
from contracts.entities.schedule import Schedule


class ListSchedules(ReadRequest):
    """List the schedules of procedures and actions; answers a list of Schedule."""

    RESPONSE: ClassVar[Any] = list[Schedule]

    tags: list[str] = Field(default_factory=list)
    """Only targets with these tags."""
    tag_behavior: TagQueryBehavior = TagQueryBehavior.All
    """Whether targets need all tags or any."""
    terms: list[str] = Field(default_factory=list)
    """Target names must contain all these terms."""
