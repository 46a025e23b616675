"""Executions on alerters (`/execute`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.entities.common import SeverityLevel
from contracts.entities.update import Update


class TestAlerter(ExecuteRequest):
    """Send a test alert through an alerter (filters bypassed); answers the Update."""

    __test__ = False  # not a pytest test class

    RESPONSE: ClassVar[Any] = Update

    alerter: str
    """Id or name of the alerter."""


class SendAlert(ExecuteRequest):
    """Send a custom alert through alerters; answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    level: SeverityLevel = SeverityLevel.Ok
    """Severity of the alert."""
    message: str
    """The message."""
    details: str = ""
    """More text."""
    alerters: list[str] = Field(default_factory=list)
    """Alerters (ids or names) to send through; empty means all enabled."""
