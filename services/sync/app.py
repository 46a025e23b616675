"""The sync service: Komodo's ResourceSync. It reads TOML, compares it with the system, and changes the system
only through the registry's ordinary requests on the bus, as the `Resource Sync` service user.

It owns its database (`<prefix>_sync`: the execution leases of RunSync, through the shared `Runner`).
"""

from __future__ import annotations

import logging

from contracts.service_users import RESOURCE_SYNC_USER_ID
from services.common.caller import Authenticator, CredentialCheck
from services.common.runs import Runner
from services.common.service_core import service_core
from services.common.settings import Settings
from services.sync.handlers import action_state, export, files, live_info, refresh, run
from services.sync.pending_state import PendingStates
from services.sync.refresher import Refresher

SERVICE = "sync"
"""Name of this service (database `<prefix>_sync`, queue group `varanus-sync`)."""

log = logging.getLogger(__name__)


class Sync:
    """Wires the sync's handlers to the bus."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        self.settings = settings
        core = service_core(SERVICE, settings, authenticate)
        self.client, self.db, self.signer = core.client, core.db, core.signer
        self.bus, self.outbox, self.registry = core.bus, core.outbox, core.registry
        # `ResourceSyncPendingChanged` rides in the write of the state it announces (`pending_state.py`).
        self.states = PendingStates(self.outbox)
        self.runner = Runner(self.db, self.registry, settings.lease_seconds)
        self.swarms = self.db["Swarm"]
        """`[[swarm]]` entries of the files, kept as written (by name) until Varanus has Swarm resources."""
        for module in (refresh, run, export, files, action_state, live_info):
            module.register(self)
        self.refresher = Refresher(self)

    def sync_user_headers(self) -> dict[str, str]:
        """Credentials of the `Resource Sync` service user, which every change is made as."""
        return {"Authorization": self.signer.issue(RESOURCE_SYNC_USER_ID)}

    async def start(self) -> None:
        """Create indexes, connect, and answer."""
        await self.runner.ensure_indexes()
        await self.bus.start()
        if isinstance(self.bus.authenticate, CredentialCheck):
            await self.bus.authenticate.watch(self.bus.nc)
        self.runner.start_sweeping()
        await self.refresher.start()
        log.info("sync answering %d requests", len(self.bus.handled))

    async def stop(self) -> None:
        """Stop answering, let runs finish briefly, close connections."""
        await self.refresher.stop()
        await self.runner.stop()
        await self.bus.stop()
        await self.client.close()
