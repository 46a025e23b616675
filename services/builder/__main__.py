"""`python -m services.builder`: run repo and build executions on the servers' agents."""

from __future__ import annotations

from services.builder.app import Builder
from services.common.runtime import run_service
from services.common.settings import Settings


async def build(settings: Settings) -> Builder:
    """The builder service for these settings."""
    return Builder(settings)


def main() -> None:
    """Run the builder until SIGINT/SIGTERM."""
    run_service("builder", build)


if __name__ == "__main__":
    main()
