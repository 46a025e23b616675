"""Running a service process: settings, logging, start, and a graceful stop on SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol

import uvloop

from services.common.gc_freeze import settle
from services.common.logging import redactor, setup_logging
from services.common.settings import Settings

log = logging.getLogger(__name__)


class ServiceApp(Protocol):
    """What a service's `__main__` builds: something that starts and stops."""

    async def start(self) -> None:
        """Connect and begin serving."""

    async def stop(self) -> None:
        """Finish in-flight work and disconnect."""


async def serve(app: ServiceApp, stop: asyncio.Event) -> None:
    """Start `app`, wait until `stop` is set, then stop it."""
    await app.start()
    try:
        await stop.wait()
    finally:
        await app.stop()


def run_service(name: str, build: Callable[[Settings], Awaitable[ServiceApp]]) -> None:
    """Entry point of `python -m services.<name>`: load settings, log as JSON, serve until a stop signal.

    The service runs on uvloop, as the services do together under `./run up` and as the gateway does under
    uvicorn: each bus request costs about a third less event-loop time than on asyncio's own loop
    (docs/performance.md), and a service run alone behaves as it does together. (The agent has its own entry
    point and runs on asyncio's loop.)
    """
    settings = Settings.load()
    setup_logging(name, settings.log_level)
    redactor.add(*settings.config_secret_values())

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        app = await build(settings)
        settle()
        log.info("%s starting", name, extra={"nats": settings.nats_url})
        await serve(app, stop)
        log.info("%s stopped", name)

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())
