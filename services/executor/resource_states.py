"""Deployment and Stack state changes, as events: what alerting and procedures follow.

Every replica keeps, from the registry, which container each deployment runs as and which compose project each
stack runs as (refreshed every 10 s), and every 5 s derives their states from the heartbeats it holds. A change
is published as `DeploymentStateChanged` / `StackStateChanged`; the event id is made of the resource, the new
state and the heartbeat it was seen in, so replicas that see the same heartbeat publish one event. The first
state seen after a start is recorded without an event (it is not a change anyone caused); a resource deployed
before its first check (listed by a refresh or not) is followed from the moment its deploy starts, so its first
change is published.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from contracts.api.read.deployment import ListFullDeployments
from contracts.api.read.stack import ListFullStacks
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.deployment import Deployment, DeploymentState, container_name
from contracts.entities.stack import Stack, StackState, project_name
from contracts.events.execution import DeploymentStateChanged, StackStateChanged
from services.common.errors import ServiceError
from services.common.tasks import cancel_and_wait
from services.executor.servers.cache import ServerCache
from services.executor.stacks.state import project_containers, stack_state, unhealthy

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

REFRESH_SECONDS = 10.0
"""How often the list of deployments and stacks is read again from the registry."""
CHECK_SECONDS = 5.0
"""How often states are derived and compared."""


def deployment_state(
    cache: ServerCache, server_id: str, container: str
) -> tuple[DeploymentState, str | None]:
    """A deployment's state and Docker status from its server's last heartbeat (a failing healthcheck is
    `unhealthy`)."""
    if not server_id or cache.status(server_id) is None:
        return DeploymentState.Unknown, None
    found = next((c for c in cache.containers(server_id) if c.name == container), None)
    if found is None:
        return DeploymentState.NotDeployed, None
    if found.state.value == "running" and unhealthy(found):
        return DeploymentState.Unhealthy, found.status
    return DeploymentState(found.state.value or DeploymentState.Unknown.value), found.status


@dataclass(frozen=True)
class Watched:
    """A resource whose state is followed."""

    variant: ResourceTargetVariant
    """Deployment or Stack."""
    server_id: str
    """Its server."""
    name: str
    """Its container (deployment) or compose project (stack)."""
    services: tuple[str, ...] = ()
    """A stack's declared services."""
    ignore: tuple[str, ...] = ()
    """A stack's ignored services."""


def watched_deployment(deployment: Deployment) -> Watched:
    """What is followed of a deployment."""
    name = container_name(deployment.name, deployment.config.custom_name)
    return Watched(ResourceTargetVariant.Deployment, deployment.config.server_id, name)


def watched_stack(stack: Stack) -> Watched:
    """What is followed of a stack."""
    declared = (
        stack.info.deployed_services
        if stack.info.deployed_services is not None
        else stack.info.latest_services
    )
    return Watched(
        ResourceTargetVariant.Stack,
        stack.config.server_id,
        stack.info.deployed_project_name or project_name(stack.name, stack.config.project_name),
        tuple(s.service_name for s in declared),
        tuple(stack.config.ignore_services),
    )


def state_of(cache: ServerCache, item: Watched) -> str:
    """The state of a followed resource now, in Komodo's spelling."""
    if item.variant == ResourceTargetVariant.Deployment:
        return deployment_state(cache, item.server_id, item.name)[0].value
    if not item.server_id or cache.status(item.server_id) is None:
        return StackState.Unknown.value
    containers = project_containers(cache.containers(item.server_id), item.name)
    return stack_state(containers, list(item.services), item.ignore).value


class ResourceStates:
    """Follows deployment and stack states and publishes their changes."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.watched: dict[str, Watched] = {}
        self.known: dict[str, str] = {}
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start following."""
        self.task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop following."""
        if self.task is not None:
            await cancel_and_wait(self.task)

    async def refresh(self) -> None:
        """Read which deployments and stacks exist, and where, from the registry (as the System user)."""
        headers = self.executor.registry.system_headers()
        deployments: list[Deployment] = await self.executor.bus.request(ListFullDeployments(limit=0), headers)
        stacks: list[Stack] = await self.executor.bus.request(ListFullStacks(limit=0), headers)
        watched = {d.id: watched_deployment(d) for d in deployments if d.config.server_id}
        watched.update({s.id: watched_stack(s) for s in stacks if s.config.server_id})
        self.watched = watched
        for gone in set(self.known) - set(watched):
            del self.known[gone]

    def follow(self, resource: Deployment | Stack) -> None:
        """Follow a resource from now on, with the state it has now, if no state of it is known yet: a
        deployment or stack deployed before its first check has its first change published too.

        That holds whether or not a refresh already listed it: a refresh adds a resource without a state, and
        the check after it would take the deployed state as the first one seen (and publish nothing)."""
        if resource.id in self.known or not resource.config.server_id:
            return
        item = self.watched.get(resource.id)
        if item is None:
            item = (
                watched_deployment(resource) if isinstance(resource, Deployment) else watched_stack(resource)
            )
            self.watched[resource.id] = item
        self.known[resource.id] = state_of(self.executor.cache, item)

    async def check(self) -> int:
        """Compare states with the last seen and publish the changes; answers how many were published."""
        published = 0
        cache = self.executor.cache
        for resource_id, item in list(self.watched.items()):
            current = state_of(cache, item)
            previous = self.known.get(resource_id)
            self.known[resource_id] = current
            if previous is None or previous == current:
                continue
            status = cache.status(item.server_id)
            event_cls = (
                DeploymentStateChanged
                if item.variant == ResourceTargetVariant.Deployment
                else StackStateChanged
            )
            event = event_cls(
                id=f"{item.variant.value.lower()}-state-{resource_id}-{current}-{status.ts if status else 0}",
                previous=previous,
                current=current,
                resource=ResourceTarget(type=item.variant, id=resource_id),
            )
            try:
                await self.executor.bus.record(event)
                published += 1
            except Exception:
                log.exception("could not publish the state change of %s %s", item.variant.value, resource_id)
        return published

    async def _run(self) -> None:
        refreshed = 0.0
        loop = asyncio.get_running_loop()
        while True:
            if loop.time() - refreshed >= REFRESH_SECONDS:
                try:
                    await self.refresh()
                    refreshed = loop.time()
                except ServiceError as err:
                    log.warning("could not read deployments and stacks: %s", err.message)
            await self.check()
            await asyncio.sleep(CHECK_SECONDS)
