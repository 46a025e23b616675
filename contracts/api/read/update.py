"""Read requests about Updates, the audit log (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ReadRequest
from contracts.base import KomodoModel
from contracts.entities.common import Page
from contracts.entities.update import Update, UpdateListItem


class ListUpdatesResponse(KomodoModel):
    """A page of Updates, newest first."""

    updates: list[UpdateListItem]
    """The Updates of this page."""
    next_page: int | None = Field(default=None, ge=0)
    """The page to ask for next, when there is one."""


class GetUpdate(ReadRequest):
    """Get one Update with its logs; answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """The Update id."""


class ListUpdates(ReadRequest):
    """List Updates matching a filter, 100 per page, newest first; answers ListUpdatesResponse."""

    RESPONSE: ClassVar[Any] = ListUpdatesResponse

    query: dict[str, Any] | None = None
    """Mongo-style filter on `operation`, `target.type`, `target.id`, `operator`, `status`, `success`, times."""
    page: Page = 0
    """The page, from 0 (the newest); pass the previous answer's `next_page`."""
