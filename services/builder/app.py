"""The builder service: repo and build executions, run on servers through their agents.

It shares the execution runtime with the executor (`services/common/runs.py`: a Mongo lease per target in its
own database, the Update created with a chosen id, a sweep closing what a stopped replica abandoned) and talks
to the registry and the agents only over the bus.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from services.builder.handlers.execute import build as execute_build
from services.builder.handlers.execute import repo as execute_repo
from services.builder.handlers.execute import server_template as execute_server_template
from services.builder.handlers.internal import live_info
from services.builder.handlers.read import action_state as read_action_state
from services.builder.handlers.read import build as read_build
from services.builder.handlers.write import build as write_build
from services.builder.handlers.write import repo as write_repo
from services.builder.history import BuildHistory
from services.builder.orphans import sweep_orphans
from services.builder.outcomes import Outcomes
from services.common.agents import AgentClient
from services.common.caller import Authenticator, CredentialCheck
from services.common.cloud.join import Launcher
from services.common.cloud.settings import CloudSettings
from services.common.runs import Runner
from services.common.service_core import service_core
from services.common.settings import Settings
from services.common.tasks import cancel_and_wait

SERVICE = "builder"
"""Name of this service (database `<prefix>_builder`, queue group `varanus-builder`)."""

log = logging.getLogger(__name__)


class Builder:
    """Wires the builder's leases, the registry and the agents to the bus."""

    def __init__(
        self,
        settings: Settings,
        authenticate: Authenticator | None = None,
        cloud: CloudSettings | None = None,
    ) -> None:
        self.settings = settings
        self.cloud = cloud or CloudSettings.load()
        """Cloud credentials and endpoints (AWS builders, ServerTemplates)."""
        self.cloud.redact()
        core = service_core(SERVICE, settings, authenticate)
        self.client, self.db, self.signer = core.client, core.db, core.signer
        self.bus, self.outbox, self.registry = core.bus, core.outbox, core.registry
        # Events that must arrive (`BuildFinished`) ride in the writes they describe (see `history`).
        self.agents = AgentClient(self.bus)
        self.launcher = Launcher(self.bus, self.registry.system_headers, settings, self.cloud)
        """Every cloud machine this service launches (at most `max_launching` waiting to join at once)."""
        self.orphan_sweep: asyncio.Task[list[str]] | None = None
        """The sweep of cloud machines nothing uses any more at start (`orphans.py`)."""
        self.orphan_sweeps: asyncio.Task[None] | None = None
        """The same sweep again every `sweep_seconds` after the first."""
        self.runner = Runner(self.db, self.registry, settings.lease_seconds)
        self.outcomes = Outcomes(self.db, self.runner)
        self.history = BuildHistory(self.db)
        self.outbox.carries(self.history.coll)
        for module in (
            read_action_state,
            read_build,
            execute_repo,
            execute_build,
            execute_server_template,
            write_repo,
            write_build,
            live_info,
        ):
            module.register(self)

    async def start(self) -> None:
        """Create indexes, connect, keep closing what stopped replicas left running, and answer."""
        await self.runner.ensure_indexes()
        await self.history.ensure_indexes()
        await self.bus.start()
        if isinstance(self.bus.authenticate, CredentialCheck):
            await self.bus.authenticate.watch(self.bus.nc)
        self.runner.start_sweeping()
        self.orphan_sweep = asyncio.create_task(self._sweep_orphans())
        self.orphan_sweeps = asyncio.create_task(self._keep_sweeping(self.orphan_sweep))
        log.info("builder answering %d requests", len(self.bus.handled))

    async def _sweep_orphans(self) -> list[str]:
        try:
            return await sweep_orphans(self)
        except Exception as err:  # the sweep is a safety net: the service runs without it
            log.warning("orphan sweep failed: %s", err)
            return []

    async def _keep_sweeping(self, first: asyncio.Task[list[str]]) -> None:
        # Machines whose launch was cut short by a killed replica are "in use" while its lease lives; they are
        # terminated by a later sweep, once the lease expired.
        with contextlib.suppress(Exception):
            await first
        while True:
            await asyncio.sleep(self.cloud.sweep_seconds)
            await self._sweep_orphans()

    async def stop(self) -> None:
        """Stop answering, let executions finish briefly, close connections."""
        await cancel_and_wait(self.orphan_sweeps, self.orphan_sweep)
        await self.runner.stop()
        await self.bus.stop()
        await self.client.close()
