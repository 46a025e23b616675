"""`python -m services.gateway`: serve Komodo's HTTP API on `KOMODO_PORT` (default 9120)."""

from __future__ import annotations

import uvicorn

from services.common.logging import setup_logging
from services.common.settings import Settings
from services.gateway.app import create_app


def main() -> None:
    """Run the gateway until SIGINT/SIGTERM (uvicorn finishes requests in flight first)."""
    settings = Settings.load()
    setup_logging("gateway", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.bind_ip,
        port=settings.port,
        log_config=None,
        access_log=False,
        timeout_graceful_shutdown=10,
        server_header=False,
        ws_ping_interval=30.0,  # Komodo pings its websockets every 30 s
        ws_ping_timeout=30.0,
    )


if __name__ == "__main__":
    main()
