"""How the gateway is served by uvicorn: the same settings for `python -m services.gateway` and the tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Generator
from typing import Any

import uvicorn

from services.common.settings import Settings
from services.gateway.app import create_app
from services.gateway.kept_answers import KeptAnswers


def uvicorn_config(settings: Settings, kept: KeptAnswers | None = None, **overrides: Any) -> uvicorn.Config:
    """uvicorn's config of a gateway on `settings.bind_ip:settings.port`.

    uvicorn's own proxy-header handling is off: its default believes `X-Forwarded-For` from any client on
    loopback, so a local client could pick its own address and dodge the rate limits. The app honours the
    header itself, only from `KOMODO_TRUSTED_PROXIES`. `kept`: where the app keeps read answers (a new one
    when None; tests pass theirs to look into it).
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
    return uvicorn.Config(create_app(settings, kept), **{**options, **overrides})


class _Server(uvicorn.Server):
    """uvicorn without its own signal handlers: the process that runs it stops it."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class ServedGateway:
    """The gateway's uvicorn server as a start/stop app, for a process that runs it beside other services
    (`services.common.together`) and handles the stop signal itself."""

    def __init__(self, settings: Settings) -> None:
        self.server = _Server(uvicorn_config(settings))
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Serve, and return once the socket listens (an error when the server gave up before)."""
        self.task = asyncio.create_task(self.server.serve())
        while not self.server.started:
            if self.task.done():
                self.task.result()
                raise RuntimeError("the gateway stopped while starting")
            await asyncio.sleep(0.02)

    async def stop(self) -> None:
        """Finish the requests in flight (uvicorn's graceful shutdown, up to 10 s), then close."""
        self.server.should_exit = True
        if self.task is not None:
            await self.task
