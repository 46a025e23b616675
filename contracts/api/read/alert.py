"""Read requests about alerts (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.alert import Alert, ListAlertsResponse


class ListAlerts(ReadRequest):
    """List alerts matching a filter, 100 per page, newest first; answers ListAlertsResponse."""

    RESPONSE: ClassVar[Any] = ListAlertsResponse

    query: dict[str, Any] | None = None
    """Mongo-style filter (e.g. `{"resolved": false}`)."""
    page: int = 0
    """The page, from 0."""


class GetAlert(ReadRequest):
    """Get one alert; answers the Alert."""

    RESPONSE: ClassVar[Any] = Alert

    id: str
    """The alert id."""
