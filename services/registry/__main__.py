"""`python -m services.registry`: run the registry service."""

from __future__ import annotations

from services.common.runtime import run_service
from services.common.settings import Settings
from services.registry.app import Registry


async def build(settings: Settings) -> Registry:
    """Build the registry from settings."""
    return Registry(settings)


if __name__ == "__main__":
    run_service("registry", build)
