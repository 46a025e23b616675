"""The alerter service starts next to the registry and stops cleanly."""

from __future__ import annotations

from services.alerter.app import Alerter


async def test_alerter_starts_and_stops(alerter: Alerter) -> None:
    assert alerter.db.name.endswith("_alerter")
