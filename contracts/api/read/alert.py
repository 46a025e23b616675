"""Read requests about alerts (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.alert import ListAlertsResponse
from contracts.entities.alert_delivery import AlertWithDeliveries
from contracts.entities.common import Page


class ListAlerts(ReadRequest):
    """List alerts matching a filter, 100 per page, newest first; answers ListAlertsResponse."""

    RESPONSE: ClassVar[Any] = ListAlertsResponse

    query: dict[str, Any] | None = None
    """A Mongo filter on alerts, e.g. `{"resolved": false, "level": "CRITICAL"}`; null returns all."""
    page: Page = 0
    """The page, from 0 (the most recent alerts)."""


class GetAlert(ReadRequest):
    """Get one alert; answers the Alert, with its deliveries to Alerters (`deliveries`, a Varanus extension)."""

    RESPONSE: ClassVar[Any] = AlertWithDeliveries

    id: str
    """Id of the alert."""
