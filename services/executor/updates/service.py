"""The image update checks as the executor runs them: one deployment (with its auto update), and a sweep over
every deployment that polls for updates (GlobalAutoUpdate and the timer).

Redeploys go through the bus as a Deploy request, so they take Deploy's lease, permission check and Update
like any other deploy. A redeploy nobody waits for is followed in a task here, which publishes
`DeploymentAutoUpdated` and checks again once it is done.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Coroutine, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from contracts.api.read.deployment import ListFullDeployments
from contracts.entities.deployment import Deployment, container_name
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.entities.server import Server
from contracts.entities.update import Log
from services.common.errors import ServiceError
from services.common.logging import redactor
from services.common.mongo import Document
from services.executor.updates.check import check_deployment, follow_redeploy, start_redeploy
from services.executor.updates.store import DIGEST_CACHE_SECONDS, UpdateStore, now_ms

if TYPE_CHECKING:
    from pymongo.asynchronous.database import AsyncDatabase

    from services.executor.app import Executor

log = logging.getLogger(__name__)

SWEEP_CONCURRENCY: Final = 8
"""How many deployments a sweep checks at once (each costs a few agent requests and one registry request)."""


@dataclass(frozen=True)
class Outcome:
    """What one check found and did."""

    update_available: bool
    """Whether an update is (still) available after the check (and a waited-for redeploy)."""
    redeploy_id: str = ""
    """The Update of the redeploy it started, if any."""
    redeployed: bool | None = None
    """Whether that redeploy succeeded, when it was waited for."""


def wants_polling(deployment: Deployment) -> bool:
    """Whether a deployment asks for image update checks (`auto_update` implies `poll_for_updates`)."""
    return deployment.config.poll_for_updates or deployment.config.auto_update


class ImageUpdates:
    """The store of results, and the checks run over it."""

    def __init__(self, executor: Executor, db: AsyncDatabase[Document]) -> None:
        self.executor = executor
        self.store = UpdateStore(db)
        self.tasks: set[asyncio.Task[Any]] = set()

    def background(self, work: Coroutine[Any, Any, Any], what: str) -> None:
        """Run `work` in a task kept until it ends (its errors are logged, not lost)."""

        async def guarded() -> None:
            try:
                await work
            except Exception:
                log.exception("%s failed", what)

        task = asyncio.create_task(guarded())
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    async def check(
        self,
        deployment: Deployment,
        server: Server,
        redeploy_headers: Mapping[str, str] | None,
        skip_auto_update: bool,
        wait_for_auto_update: bool,
        max_age_seconds: float,
    ) -> Outcome:
        """Check one deployment; when an update is found, it has `auto_update` and `skip_auto_update` is not set,
        redeploy it with `redeploy_headers` (None: as the System user) and wait for that (or follow it in the
        background)."""
        record = await check_deployment(self.executor, self.store, deployment, server, max_age_seconds)
        if not (record.update_available and deployment.config.auto_update and not skip_auto_update):
            return Outcome(update_available=record.update_available)
        # System credentials are issued now: a token made at the start of a long sweep may have expired.
        headers = (
            redeploy_headers if redeploy_headers is not None else self.executor.registry.system_headers()
        )
        update = await start_redeploy(self.executor, deployment, headers)
        follow = follow_redeploy(self.executor, self.store, deployment, server, update, record.latest_digest)
        if not wait_for_auto_update:
            self.background(follow, f"following the auto update of deployment {deployment.name}")
            return Outcome(update_available=True, redeploy_id=update.id)
        after = await follow
        return Outcome(
            update_available=after.update_available if after is not None else True,
            redeploy_id=update.id,
            redeployed=after is not None,
        )

    def running_here(self, deployment: Deployment) -> bool:
        """Whether the last heartbeat of the deployment's server shows its container running (no agent request:
        a sweep skips the rest at once)."""
        server_id = deployment.config.server_id
        name = container_name(deployment.name, deployment.config.custom_name)
        return any(
            c.name == name and c.state == ContainerStateStatusEnum.Running
            for c in self.executor.cache.containers(server_id)
        )

    async def polled_deployments(self) -> list[Deployment]:
        """Every deployment with `poll_for_updates` or `auto_update`, a server, and a running container."""
        found: list[Deployment] = await self.executor.bus.request(
            ListFullDeployments(limit=0), self.executor.registry.system_headers()
        )
        return [d for d in found if wants_polling(d) and d.config.server_id and self.running_here(d)]

    async def sweep(self, skip_auto_update: bool, wait: bool, fresh: bool) -> list[Log]:
        """Check every polled deployment as the System user (auto updates too, unless skipped); a Log each.

        `fresh` asks the registries again (a digest read during this sweep is still shared by the deployments
        of the same image); otherwise digests up to 10 minutes old are reused.
        """
        deployments = await self.polled_deployments()
        sweep_started = now_ms()
        servers: dict[str, Server] = {}
        limit = asyncio.Semaphore(SWEEP_CONCURRENCY)

        async def one(deployment: Deployment) -> Log:
            stage = f"Check {deployment.name}"
            started = now_ms()
            async with limit:
                try:
                    server_id = deployment.config.server_id
                    if server_id not in servers:
                        servers[server_id] = await self.executor.registry.server_for_work(server_id)
                    max_age = (now_ms() - sweep_started) / 1000 if fresh else DIGEST_CACHE_SECONDS
                    outcome = await self.check(
                        deployment, servers[server_id], None, skip_auto_update, wait, max_age
                    )
                except ServiceError as err:
                    return failed(stage, redactor.redact(err.message), started)
                except Exception:
                    # One deployment's unexpected failure must not end the sweep of the others.
                    error_id = uuid.uuid4().hex[:12]
                    log.exception("update check of %s failed", deployment.name, extra={"error_id": error_id})
                    return failed(stage, f"internal error in the executor (error id {error_id})", started)
            return Log(
                stage=stage,
                stdout=describe(outcome),
                success=outcome.redeployed is not False,
                start_ts=started,
                end_ts=now_ms(),
            )

        return list(await asyncio.gather(*(one(d) for d in deployments)))

    async def poll(self) -> list[Log]:
        """One timed sweep: cached digests (10 min), auto updates followed in the background."""
        return await self.sweep(skip_auto_update=False, wait=False, fresh=False)

    async def stop(self) -> None:
        """Cancel the redeploys being followed (the Deploys themselves go on; their results are not rechecked)."""
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=5)


def failed(stage: str, message: str, started: int) -> Log:
    """The Log of a check that failed."""
    return Log(stage=stage, stderr=message, success=False, start_ts=started, end_ts=now_ms())


def describe(outcome: Outcome) -> str:
    """A check's outcome as a Log line."""
    if not outcome.redeploy_id:
        return "update available" if outcome.update_available else "up to date"
    if outcome.redeployed is None:
        return f"update available: redeploying (Update {outcome.redeploy_id})"
    if outcome.redeployed:
        return f"update available: redeployed (Update {outcome.redeploy_id})"
    return f"update available: the redeploy failed (Update {outcome.redeploy_id})"
