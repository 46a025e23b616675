"""`python -m services.alerter`: evaluate heartbeats and events into alerts, and answer alert requests."""

from __future__ import annotations

from services.alerter.app import Alerter
from services.common.runtime import run_service
from services.common.settings import Settings


async def build(settings: Settings) -> Alerter:
    """The alerter service for these settings."""
    return Alerter(settings)


def main() -> None:
    """Run the alerter until SIGINT/SIGTERM."""
    run_service("alerter", build)


if __name__ == "__main__":
    main()
