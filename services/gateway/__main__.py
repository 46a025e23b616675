"""`python -m services.gateway`: serve Komodo's HTTP API on `KOMODO_PORT` (default 9120)."""

from __future__ import annotations

import uvicorn

from services.common.gc_freeze import settle
from services.common.logging import setup_logging
from services.common.settings import Settings
from services.gateway.serving import ServedGateway, uvicorn_config


async def build(settings: Settings) -> ServedGateway:
    """The gateway as an app that starts and stops, for `services.common.together`."""
    return ServedGateway(settings)


def main() -> None:
    """Run the gateway until SIGINT/SIGTERM (uvicorn finishes requests in flight first)."""
    settings = Settings.load()
    setup_logging("gateway", settings.log_level)
    config = uvicorn_config(settings)
    settle()  # the app, its routes and the contracts' schemas live as long as the process
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
