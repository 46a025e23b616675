"""Events of the alert lifecycle: published by the alerter through its outbox, so any subscriber hears alerts
without an Alerter resource, and the alerter's own deliveries consume them durably."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from contracts.entities.alert import Alert
from contracts.events.base import Event


class AlertEvent(Event):
    """Base of the alert events: the alert as it stands after the change."""

    alert: Alert
    """The alert after the change (its `id` is stable from opening to resolving)."""
    alerters: list[str] = Field(default_factory=list)
    """Ids of the only Alerters that deliver it (a SendAlert's enabled alerters the caller may Execute, as
    Komodo chooses them); empty: every Alerter whose filters let it through."""


class AlertOpened(AlertEvent):
    """An alert opened: a condition held long enough, or a one-off alert (build failed, custom, ...) was raised.
    One-off alerts are opened already resolved."""

    KIND: ClassVar[str] = "alert"


class AlertRaised(AlertEvent):
    """An open alert's level grew (WARNING to CRITICAL) in place; the alert keeps its id."""

    KIND: ClassVar[str] = "alert"


class AlertResolved(AlertEvent):
    """An open alert was resolved: its condition cleared, its resource went away, or an admin closed it."""

    KIND: ClassVar[str] = "alert"
