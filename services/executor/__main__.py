"""`python -m services.executor`: keep servers' state from their agents and run executions on them."""

from __future__ import annotations

from services.common.runtime import run_service
from services.common.settings import Settings
from services.executor.app import Executor


async def build(settings: Settings) -> Executor:
    """The executor service for these settings."""
    return Executor(settings)


def main() -> None:
    """Run the executor until SIGINT/SIGTERM."""
    run_service("executor", build)


if __name__ == "__main__":
    main()
