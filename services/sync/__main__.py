"""`python -m services.sync`: ResourceSync (TOML GitOps): pending changes, RunSync and TOML exports."""

from __future__ import annotations

from services.common.runtime import run_service
from services.common.settings import Settings
from services.sync.app import Sync


async def build(settings: Settings) -> Sync:
    """The sync service for these settings."""
    return Sync(settings)


def main() -> None:
    """Run the sync service until SIGINT/SIGTERM."""
    run_service("sync", build)


if __name__ == "__main__":
    main()
