"""The alerter service: turns agent heartbeats and events into alerts, keeps them in its own database, and
answers the alert reads and writes.

Parts that run in the background are `Component`s (something with `start` and `stop`), listed once in
`self.components`: `start` starts them in order once the bus is up, `stop` stops them in reverse before the bus
goes. Another part (delivery) joins by appending itself to that list in `__init__`.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final, Protocol

from contracts.api.execute.alerter import TestAlerter
from contracts.entities.alert import Alert
from services.alerter import handlers
from services.alerter.delivery.service import Delivery
from services.alerter.events import EventAlerts
from services.alerter.servers import ServerMonitor
from services.alerter.store import AlertStore
from services.common.caller import Authenticator, CredentialCheck
from services.common.service_core import service_core
from services.common.settings import Settings
from services.common.tasks import cancel_and_wait

SERVICE = "alerter"
"""Name of this service (database `<prefix>_alerter`, queue group `varanus-alerter`)."""
PRUNE_SECONDS: Final = 3600.0
"""How often resolved alerts older than `keep_alerts_for_days` are deleted."""

log = logging.getLogger(__name__)


class Component(Protocol):
    """A background part of the alerter."""

    async def start(self) -> None:
        """Begin (the bus is connected)."""

    async def stop(self) -> None:
        """End (the bus is still connected)."""


class Pruner:
    """Deletes resolved alerts older than `keep_alerts_for_days`, at start and every hour."""

    def __init__(self, store: AlertStore, keep_days: int) -> None:
        self.store = store
        self.keep_days = keep_days
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Start pruning."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop pruning."""
        if self._task is not None:
            await cancel_and_wait(self._task)

    async def _run(self) -> None:
        while True:
            try:
                removed = await self.store.prune(self.keep_days)
                if removed:
                    log.info("deleted %d resolved alerts older than %d days", removed, self.keep_days)
            except Exception as err:
                log.warning("could not prune old alerts: %s", err)
            await asyncio.sleep(PRUNE_SECONDS)


class Alerter:
    """Wires the alerter's store, evaluation and consumers to the bus."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        self.settings = settings
        core = service_core(SERVICE, settings, authenticate)
        self.client, self.db, self.signer = core.client, core.db, core.signer
        self.bus, self.outbox, self.registry = core.bus, core.outbox, core.registry
        # Alert events ride in the alert writes they describe (`store.py`).
        self.store = AlertStore(self.db, self.outbox)
        self.servers = ServerMonitor(self, self.store)
        self.components: list[Component] = [self.servers, Pruner(self.store, settings.keep_alerts_for_days)]
        """Started in order after the bus, stopped in reverse before it."""
        self.event_alerts = EventAlerts(self)
        for consumer in self.event_alerts.consumers():
            self.bus.consume(consumer)
        handlers.register(self)
        self.delivery = Delivery(self)
        """Sends alert events to Alerters (`delivery/`)."""
        self.components.append(self.delivery)
        self.bus.consume(self.delivery.consumer())
        self.bus.handle(TestAlerter, self.delivery.test_alerter)

    def forget_open(self, alert: Alert) -> None:
        """An open alert was closed by hand: its condition may open again."""
        self.servers.forget_open(alert)

    async def start(self) -> None:
        """Create indexes, connect, start the components, and answer."""
        await self.store.ensure_indexes()
        await self.bus.start()
        if isinstance(self.bus.authenticate, CredentialCheck):
            await self.bus.authenticate.watch(self.bus.nc)
        for component in self.components:
            await component.start()
        log.info("alerter answering %d requests", len(self.bus.handled))

    async def stop(self) -> None:
        """Stop the components, stop answering, close connections."""
        for component in reversed(self.components):
            await component.stop()
        await self.bus.stop()
        await self.client.close()
