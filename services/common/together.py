"""`python -m services.common.together <service>...`: several services in one process, for the embedded default.

Each service is built exactly as its own `python -m services.<name>` builds it (its `build(settings)`) and
keeps its own NATS connection, queue group, database and presence: on the bus it is the same separate service, and a second replica elsewhere shares its load as before. What the services
share is the interpreter, so pydantic, faststream, pymongo and the contract models are in memory once rather
than once per service (each Python service process costs about 90 to 115 MB of RSS, most of it those libraries).
The price is isolation: a service that takes the process down takes the others with it (the launcher restarts
the process), and they share one event loop.

The registry, when listed, is started first and alone: it answers NATS's auth callout, without which no other
service may connect. The others then start together. SIGINT/SIGTERM stops them in reverse order.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import logging
import signal
import sys
from collections.abc import Sequence

import uvloop

from services.common.gc_freeze import settle
from services.common.logging import JsonFormatter, redactor, setup_logging
from services.common.runtime import ServiceApp
from services.common.settings import Settings

log = logging.getLogger("services.common.together")
REGISTRY = "registry"


class ServiceFormatter(JsonFormatter):
    """JSON lines whose `service` is the service whose logger wrote them (`services.<name>...`)."""

    def __init__(self, names: Sequence[str]) -> None:
        super().__init__("together")
        self.names = set(names)

    def format(self, record: logging.LogRecord) -> str:
        parts = record.name.split(".")
        own = parts[1] if len(parts) > 1 and parts[0] == "services" and parts[1] in self.names else None
        self.service = own or "together"
        return super().format(record)


async def build(name: str, settings: Settings) -> ServiceApp:
    """Service `name` as its `__main__` builds it (by name: services/common imports no service)."""
    module = importlib.import_module(f"services.{name}.__main__")
    app: ServiceApp = await module.build(settings)
    return app


async def run(names: Sequence[str], settings: Settings, stop: asyncio.Event) -> None:
    """Start the services (the registry first), wait for `stop`, stop them in reverse order."""
    ordered = sorted(names, key=lambda n: n != REGISTRY)
    started: list[tuple[str, ServiceApp]] = []
    try:
        if ordered and ordered[0] == REGISTRY:
            registry = await build(REGISTRY, settings)
            await registry.start()
            started.append((REGISTRY, registry))
            ordered = ordered[1:]
        apps = [(name, await build(name, settings)) for name in ordered]
        settle()

        async def start(name: str, app: ServiceApp) -> None:
            await app.start()
            started.append((name, app))
            log.info("%s started", name)

        await asyncio.gather(*(start(name, app) for name, app in apps))
        log.info("started %s in one process", ", ".join(n for n, _ in started))
        await stop.wait()
    finally:
        for name, app in reversed(started):
            try:
                await app.stop()
            except Exception:
                log.exception("%s did not stop cleanly", name)
        log.info("stopped")


def main(argv: list[str] | None = None) -> int:
    """Command line: the services to run together."""
    parser = argparse.ArgumentParser(prog="python -m services.common.together", description=__doc__)
    parser.add_argument("services", nargs="+", help="service packages, e.g. registry gateway executor")
    names = parser.parse_args(argv).services
    settings = Settings.load()
    setup_logging("together", settings.log_level)
    logging.getLogger().handlers[0].setFormatter(ServiceFormatter(names))
    redactor.add(*settings.config_secret_values())

    async def main_loop() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        await run(names, settings, stop)

    # uvloop, as uvicorn picks for the gateway when it runs alone.
    uvloop.run(main_loop())
    return 0


if __name__ == "__main__":
    sys.exit(main())
