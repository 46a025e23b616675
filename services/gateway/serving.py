"""How the gateway is served by uvicorn: the same settings for `python -m services.gateway` and the tests."""

from __future__ import annotations

from typing import Any

import uvicorn

from services.common.settings import Settings
from services.gateway.app import create_app


def uvicorn_config(settings: Settings, **overrides: Any) -> uvicorn.Config:
    """uvicorn's config of a gateway on `settings.bind_ip:settings.port`.

    uvicorn's own proxy-header handling is off: its default believes `X-Forwarded-For` from any client on
    loopback, so a local client could pick its own address and dodge the rate limits. The app honours the
    header itself, only from `KOMODO_TRUSTED_PROXIES`.
    """
    options: dict[str, Any] = {
        "host": settings.bind_ip,
        "port": settings.port,
        "log_config": None,
        "access_log": False,
        "timeout_graceful_shutdown": 10,
        "server_header": False,
        "proxy_headers": False,
        "ws_ping_interval": 30.0,  # Komodo pings its websockets every 30 s
        "ws_ping_timeout": 30.0,
    }
    return uvicorn.Config(create_app(settings), **{**options, **overrides})
