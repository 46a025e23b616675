"""The executor service: servers' live state from their agents, their reads, and executions run on them."""

from __future__ import annotations

import asyncio
import logging

from contracts.subjects import SERVER_LIVE_CHANGED_SUBJECT
from services.common.agents import AgentClient
from services.common.caller import Authenticator, CredentialCheck
from services.common.runs import Runner
from services.common.service_core import service_core
from services.common.settings import Settings
from services.executor.actions.runs import ActionRuns
from services.executor.actions.startup import on_start as actions_on_start
from services.executor.forget_deleted import forget_deleted
from services.executor.handlers.execute import action as execute_action
from services.executor.handlers.execute import batch_deployment as execute_batch_deployment
from services.executor.handlers.execute import batch_stack as execute_batch_stack
from services.executor.handlers.execute import deploy as execute_deploy
from services.executor.handlers.execute import deployment as execute_deployment
from services.executor.handlers.execute import global_auto_update as execute_global_auto_update
from services.executor.handlers.execute import procedure as execute_procedure
from services.executor.handlers.execute import server as execute_server
from services.executor.handlers.execute import stack as execute_stack
from services.executor.handlers.execute import stack_lifecycle as execute_stack_lifecycle
from services.executor.handlers.internal import fleet, live_info
from services.executor.handlers.read import action as read_action
from services.executor.handlers.read import container as read_container
from services.executor.handlers.read import deployment as read_deployment
from services.executor.handlers.read import docker as read_docker
from services.executor.handlers.read import schedule as read_schedule
from services.executor.handlers.read import server as read_server
from services.executor.handlers.read import stack as read_stack
from services.executor.handlers.write import check_deployment_update as write_check_deployment_update
from services.executor.handlers.write import check_stack_update as write_check_stack_update
from services.executor.handlers.write import create_deployment_from_container
from services.executor.handlers.write import stack as write_stack
from services.executor.live_changes import LiveChanges
from services.executor.procedures.chain import Chain
from services.executor.procedures.consumers import children_consumer, stage_consumer
from services.executor.redeploy_on_build import redeploy_on_build
from services.executor.resource_states import ResourceStates
from services.executor.schedules.scheduler import Scheduler
from services.executor.servers.cache import ServerCache
from services.executor.servers.stats import StatsStore
from services.executor.servers.watch import AgentWatch
from services.executor.updates.poller import UpdatePoller
from services.executor.updates.service import ImageUpdates

SERVICE = "executor"
"""Name of this service (database `<prefix>_executor`, queue group `varanus-executor`)."""

log = logging.getLogger(__name__)


class Executor:
    """Wires the executor's state, the registry and the agents to the bus."""

    def __init__(self, settings: Settings, authenticate: Authenticator | None = None) -> None:
        self.settings = settings
        core = service_core(SERVICE, settings, authenticate)
        self.client, self.db, self.signer = core.client, core.db, core.signer
        self.bus, self.outbox, self.registry = core.bus, core.outbox, core.registry
        self.bus.consume(forget_deleted(self.db))
        self.bus.consume(redeploy_on_build(self))
        self.procedures = Chain(self)
        self.bus.consume(stage_consumer(self.procedures))
        self.bus.consume(children_consumer(self.procedures))
        self.schedules = Scheduler(self)
        self.bus.consume(self.schedules.consumer())
        self.agents = AgentClient(self.bus)
        self.live_changes = LiveChanges(lambda: self.bus.broker.connection)
        self.server_changes = LiveChanges(
            lambda: self.bus.broker.connection, subject=SERVER_LIVE_CHANGED_SUBJECT
        )
        self.cache = ServerCache(self.live_changes.changed, self.server_changes.changed)
        self.stats = StatsStore(self.db, settings.keep_stats_for_days)
        self.runner = Runner(self.db, self.registry, settings.lease_seconds)
        self.watch = AgentWatch(self.bus, self.cache, self.stats)
        self.resource_states = ResourceStates(self)
        self.image_updates = ImageUpdates(self, self.db)
        self.update_poller = UpdatePoller(self.image_updates, self.db["ImageUpdatePoll"])
        self.action_runs = ActionRuns(self)
        self.actions_started: asyncio.Task[None] | None = None
        for module in (
            read_server,
            read_container,
            read_docker,
            read_deployment,
            execute_server,
            execute_deployment,
            execute_deploy,
            execute_batch_deployment,
            read_stack,
            execute_stack,
            execute_stack_lifecycle,
            execute_batch_stack,
            write_stack,
            execute_global_auto_update,
            write_check_deployment_update,
            write_check_stack_update,
            live_info,
            fleet,
            create_deployment_from_container,
            execute_procedure,
            execute_action,
            read_action,
            read_schedule,
        ):
            module.register(self)

    async def start(self) -> None:
        """Create indexes, connect, follow the agents, keep closing what crashed executors left running, and answer."""
        await self.stats.ensure_indexes()
        await self.runner.ensure_indexes()
        await self.procedures.store.ensure_indexes()
        await self.schedules.store.ensure_indexes()
        await self.bus.start()
        if isinstance(self.bus.authenticate, CredentialCheck):
            await self.bus.authenticate.watch(self.bus.nc)
        await self.watch.start()
        self.resource_states.start()
        self.update_poller.start()
        self.runner.start_sweeping()
        self.procedures.start_sweeping()
        await self.action_runs.start()
        self.actions_started = asyncio.create_task(actions_on_start(self))
        self.schedules.start()
        log.info("executor answering %d requests", len(self.bus.handled))

    async def stop(self) -> None:
        """Stop answering, let executions finish briefly, close connections."""
        await self.watch.stop()
        self.live_changes.stop()
        self.server_changes.stop()
        await self.resource_states.stop()
        await self.update_poller.stop()
        await self.image_updates.stop()
        await self.procedures.stop()
        await self.schedules.stop()
        if self.actions_started is not None:
            self.actions_started.cancel()
        await self.action_runs.stop()
        await self.runner.stop()
        await self.bus.stop()
        await self.client.close()
