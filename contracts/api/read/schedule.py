"""Read requests about schedules (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from contracts.api.base import ReadRequest
from contracts.entities.common import Page, TagQueryBehavior
from contracts.entities.docker import parse_string_list
from contracts.entities.schedule import Schedule, ScheduleSortBy


class ListSchedules(ReadRequest):
    """List the schedules of procedures and actions the caller can read; answers a list of Schedule."""

    RESPONSE: ClassVar[Any] = list[Schedule]

    tags: list[str] = Field(default_factory=list)
    """Only targets with these tags (ids or names; a comma separated string is accepted)."""
    tag_behavior: TagQueryBehavior = TagQueryBehavior.All
    """Whether targets need all the tags or any of them."""
    terms: list[str] = Field(default_factory=list)
    """Target names must contain all these terms."""
    page: Page = 0
    """Page of results, from 0."""
    limit: int | None = Field(default=None, ge=0)
    """Schedules per page; null uses the core's default, 0 returns all."""
    sort_by: ScheduleSortBy = ScheduleSortBy.Name
    """Sort field."""
    sort_desc: bool = False
    """Reverse the sort."""

    _tags = field_validator("tags", mode="before")(parse_string_list)
