"""The alerter service: turns agent heartbeats and events into alerts, keeps them in its own database, and
answers the alert reads and writes.

Components are built in `__init__` and started/stopped in `start`/`stop` in one list each (`_components`), so
another part (delivery) joins by adding itself there.
"""

from __future__ import annotations

import logging

from contracts.catalog import load_all
from services.common.auth import load_jwt_signer
from services.common.bus import Bus
from services.common.caller import Authenticator, CredentialCheck
from services.common.mongo import connect, service_database
from services.common.outbox import Outbox
from services.common.registry_client import RegistryClient
from services.common.settings import Settings

SERVICE = "alerter"
"""Name of this service (database `<prefix>_alerter`, queue group `varanus-alerter`)."""

log = logging.getLogger(__name__)


class Alerter:
    """Wires the alerter's store, evaluation and consumers to the bus."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        load_all()
        self.settings = settings
        self.client = connect(settings)
        self.db = service_database(self.client, settings, SERVICE)
        self.signer = load_jwt_signer(settings)
        # Late-bound: the registry client needs the bus, which needs this check.
        check = authenticate or CredentialCheck(
            self.signer.verify,
            lambda user_id: self.registry.resolve_caller(user_id),  # noqa: PLW0108
            lambda key, secret: self.registry.verify_api_key(key, secret),  # noqa: PLW0108
        )
        self.bus = Bus(SERVICE, settings, check)
        self.outbox = Outbox(self.db)
        """Alert events ride in the alert writes they describe."""
        self.bus.outbox = self.outbox
        self.registry = RegistryClient(self.bus, self.signer)

    async def start(self) -> None:
        """Create indexes, connect, start the components, and answer."""
        await self.bus.start()
        if isinstance(self.bus.authenticate, CredentialCheck):
            await self.bus.authenticate.watch(self.bus.nc)
        log.info("alerter answering %d requests", len(self.bus.handled))

    async def stop(self) -> None:
        """Stop the components, stop answering, close connections."""
        await self.bus.stop()
        await self.client.close()
