"""Deliveries of alerts to Alerters (a Varanus extension): one record per (alert event, alerter), kept by the
alerter service next to its alerts and shown on `GetAlert`."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.alert import Alert
from contracts.entities.common import I64


class DeliveryStatus(StrEnum):
    """Where a delivery stands."""

    Pending = "pending"
    Sent = "sent"
    Failed = "failed"


class AlertDelivery(KomodoModel):
    """One alert event sent (or being sent) to one Alerter."""

    key: str = ""
    """The delivery's key: `<event id>|<alerter id>` (a redelivered event finds it and sends nothing twice)."""
    alert_id: str = ""
    """The alert delivered."""
    event: str = ""
    """What happened to the alert: `AlertOpened`, `AlertRaised` or `AlertResolved` (`Test` for TestAlerter)."""
    alerter_id: str = ""
    """The Alerter it goes to."""
    alerter_name: str = ""
    """That Alerter's name when the delivery was recorded."""
    endpoint: str = ""
    """The endpoint kind (`Custom`, `Slack`, `Apprise`, ...)."""
    status: DeliveryStatus = DeliveryStatus.Pending
    """pending (not sent yet, or to be tried again), sent, or failed (every attempt failed)."""
    attempts: int = 0
    """Attempts made so far."""
    last_error: str | None = None
    """Why the last attempt failed (secret values replaced by `<NAME>`); null once sent."""
    template_error: str | None = None
    """Why the Alerter's `message_template` could not be rendered (the standard text was sent instead)."""
    created_ts: I64 = 0
    """When it was recorded (unix ms)."""
    updated_ts: I64 = 0
    """When it last changed (unix ms)."""
    next_ts: I64 | None = None
    """When a pending delivery is tried next (unix ms)."""
    sent_ts: I64 | None = None
    """When it was sent (unix ms)."""


class AlertWithDeliveries(Alert):
    """An alert as `GetAlert` answers it: Komodo's Alert plus its deliveries (a Varanus extension)."""

    deliveries: list[AlertDelivery] = Field(default_factory=list)
    """Its deliveries to Alerters, oldest first."""
