"""Redeploying the deployments of a build when it succeeds (Komodo's `redeploy_on_build`), as an event chain.

The durable consumer `executor-redeploy-on-build` follows `BuildFinished`. For a successful build it finds the
deployments whose image is that build (ListDeployments by `build_ids`) and that have `redeploy_on_build`, and redeploys each one that runs (as
Komodo 2: any state but NotDeployed, Exited and Unknown) with `Deploy` over the bus as the `Auto Redeploy` service
user, so the Deploy is an ordinary execution with its own Update, whose first log names the build run that caused
it. A failed build redeploys nothing.

Exactly once in effect: the Deploy's Update id is derived from the event and the deployment (`UPDATE_ID_HEADER`),
so a redelivered event (a replica died mid-way) finds the Deploys it already started (the registry answers 409
for an Update id in use) and starts only the missing ones. A deployment busy with another execution is retried
for up to `BUSY_WAIT_SECONDS`, then the event is redelivered (and dead-lettered after the consumer's tries).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import TYPE_CHECKING, Final

from contracts.api.execute.deployment import Deploy
from contracts.api.read.build import GetBuild
from contracts.api.read.deployment import GetDeployment, ListDeployments
from contracts.api.read.update import GetUpdate
from contracts.entities.deployment import DeploymentQuery, DeploymentQuerySpecifics, DeploymentState
from contracts.events.base import Event
from contracts.events.execution import BuildFinished
from contracts.service_users import AUTO_REDEPLOY_USER_ID
from contracts.subjects import CAUSE_HEADER, UPDATE_ID_HEADER
from services.common.bus import RemoteError
from services.common.consumer import Consumer

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

CONSUMER: Final = "executor-redeploy-on-build"
"""The durable name of the consumer (shared by every executor replica)."""
NOT_REDEPLOYED: Final = frozenset(
    {DeploymentState.NotDeployed, DeploymentState.Exited, DeploymentState.Unknown}
)
"""States of a deployment that a build's end leaves alone (Komodo 2's rule): nothing of it runs."""
BUSY_WAIT_SECONDS: Final = 60.0
"""How long a redeploy waits for a deployment busy with another execution before the event is tried again."""
BUSY_POLL_SECONDS: Final = 1.0
"""The pause between two tries of a busy deployment."""
ACK_WAIT_SECONDS: Final = BUSY_WAIT_SECONDS * 2
"""How long a delivery may take before JetStream delivers it again: longer than the busy wait."""


def redeploy_update_id(event_id: str, deployment_id: str) -> str:
    """The Update id of the Deploy that `event_id` causes on `deployment_id`: an ObjectId in hex, the same on every
    delivery and replica."""
    return hashlib.sha256(f"{event_id}:{deployment_id}".encode()).hexdigest()[:24]


async def redeploy(executor: Executor, event: Event) -> list[str]:
    """Start the redeploys a successful `BuildFinished` calls for; answers the ids of the Updates they have (started
    now or by an earlier delivery). Any other event, or a failed build, starts nothing."""
    if not isinstance(event, BuildFinished) or not event.success or event.resource is None:
        return []
    system = executor.registry.system_headers()
    query = DeploymentQuery(specific=DeploymentQuerySpecifics(build_ids=[event.resource.id]))
    listed = await executor.bus.request(ListDeployments(query=query, limit=0), system)
    running = [item for item in listed if item.info.state not in NOT_REDEPLOYED]
    chosen = []
    for item in running:
        deployment = await executor.bus.request(GetDeployment(deployment=item.id), system)
        if deployment.config.redeploy_on_build:
            chosen.append(item)
    if not chosen:
        return []
    build = await executor.bus.request(GetBuild(build=event.resource.id), system)
    version = event.build_version
    cause = (
        f"Redeploy on build: build {build.name!r} finished version "
        f"{version.major}.{version.minor}.{version.patch} (Update {event.update_id})"
    )
    results = await asyncio.gather(
        *(start_one(executor, event, item.id, cause) for item in chosen), return_exceptions=True
    )
    failures = [r for r in results if isinstance(r, BaseException)]
    if failures:
        raise failures[0]
    return [r for r in results if isinstance(r, str)]


async def start_one(executor: Executor, event: Event, deployment_id: str, cause: str) -> str:
    """Start the Deploy of one deployment as Auto Redeploy with the derived Update id; the id once started (now or
    earlier). Waits for a deployment busy with another execution up to `BUSY_WAIT_SECONDS`."""
    update_id = redeploy_update_id(event.id, deployment_id)
    headers = {
        "Authorization": executor.signer.issue(AUTO_REDEPLOY_USER_ID),
        UPDATE_ID_HEADER: update_id,
        CAUSE_HEADER: cause,
    }
    deadline = time.monotonic() + BUSY_WAIT_SECONDS
    while True:
        try:
            await executor.bus.request(Deploy(deployment=deployment_id), headers)
            log.info("redeploying deployment %s after a build (Update %s)", deployment_id, update_id)
            return update_id
        except RemoteError as err:
            if err.status != 409:
                raise
            if await update_exists(executor, update_id):  # started by an earlier delivery of this event
                return update_id
            if time.monotonic() >= deadline:
                raise
            await asyncio.sleep(BUSY_POLL_SECONDS)


async def update_exists(executor: Executor, update_id: str) -> bool:
    """Whether an Update of that id is stored."""
    try:
        await executor.bus.request(GetUpdate(id=update_id), executor.registry.system_headers())
    except RemoteError as err:
        if err.status == 404:
            return False
        raise
    return True


def redeploy_on_build(executor: Executor) -> Consumer:
    """The consumer that runs `redeploy` on each `BuildFinished`."""

    async def handle(event: Event) -> None:
        await redeploy(executor, event)

    return Consumer(CONSUMER, BuildFinished.SUBJECT, handle, executor.db, ack_wait=ACK_WAIT_SECONDS)
