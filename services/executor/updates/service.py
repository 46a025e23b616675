"""The image update checks as the executor runs them: one deployment or stack (with its auto update), and a
sweep over every deployment and stack that polls for updates (GlobalAutoUpdate and the timer).

Redeploys go through the bus as a Deploy (DeployStack) request, so they take Deploy's lease, permission check and Update
like any other deploy. A redeploy nobody waits for is followed in a task here, which publishes
`DeploymentAutoUpdated` and checks again once it is done.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from contracts.api.read.deployment import ListFullDeployments
from contracts.api.read.stack import ListFullStacks
from contracts.api.read.update import GetUpdate
from contracts.entities.common import PermissionLevel, ResourceTargetVariant
from contracts.entities.deployment import Deployment, container_name
from contracts.entities.docker import ContainerStateStatusEnum
from contracts.entities.server import Server
from contracts.entities.stack import Stack
from contracts.entities.update import Log, Update, UpdateStatus
from services.common.caller import Caller
from services.common.errors import ServiceError
from services.common.logging import redactor
from services.common.mongo import Document
from services.executor.stacks.services import project_of
from services.executor.stacks.state import project_containers
from services.executor.updates.check import check_deployment, follow_redeploy, start_redeploy
from services.executor.updates.stack_check import (
    check_stack,
    follow_stack_redeploy,
    redeploy_services,
    start_stack_redeploy,
)
from services.executor.updates.store import (
    DIGEST_CACHE_SECONDS,
    FollowUp,
    StackUpdateRecord,
    UpdateStore,
    now_ms,
)

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
    stack: StackUpdateRecord | None = None
    """A stack's result per service (stack checks only)."""


def wants_polling(deployment: Deployment) -> bool:
    """Whether a deployment asks for image update checks (`auto_update` implies `poll_for_updates`)."""
    return deployment.config.poll_for_updates or deployment.config.auto_update


class ImageUpdates:
    """The store of results, and the checks run over it."""

    def __init__(self, executor: Executor, db: AsyncDatabase[Document]) -> None:
        self.executor = executor
        self.store = UpdateStore(db, executor.live_changes.changed)
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
        await self.store.add_follow_up(
            FollowUp(
                update_id=update.id,
                kind=ResourceTargetVariant.Deployment.value,
                resource_id=deployment.id,
                latest_digest=record.latest_digest,
                checked_ts=record.checked_ts,
            )
        )
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

    async def check_stack(
        self,
        stack: Stack,
        server: Server,
        redeploy_headers: Mapping[str, str] | None,
        skip_auto_update: bool,
        wait_for_auto_update: bool,
        max_age_seconds: float,
        skip_services: Iterable[str] = (),
    ) -> Outcome:
        """Check one stack's services; when some have updates, the stack has `auto_update` and
        `skip_auto_update` is not set, redeploy them (all services with `auto_update_all_services`) with
        `redeploy_headers` (None: as the System user) and wait for that (or follow it in the background)."""
        record = await check_stack(self.executor, self.store, stack, server, max_age_seconds, skip_services)
        updated = bool(record.updated())
        if not (updated and stack.config.auto_update and not skip_auto_update):
            return Outcome(update_available=updated, stack=record)
        headers = (
            redeploy_headers if redeploy_headers is not None else self.executor.registry.system_headers()
        )
        services = redeploy_services(stack, record)
        update = await start_stack_redeploy(self.executor, stack, services, headers)
        follow_up = FollowUp(
            update_id=update.id,
            kind=ResourceTargetVariant.Stack.value,
            resource_id=stack.id,
            services=tuple(services),
            images=tuple(s.image for s in record.updated()),
            checked_ts=record.checked_ts,
        )
        await self.store.add_follow_up(follow_up)
        follow = follow_stack_redeploy(self.executor, self.store, stack, server, update, follow_up)
        if not wait_for_auto_update:
            self.background(follow, f"following the auto update of stack {stack.name}")
            return Outcome(update_available=True, redeploy_id=update.id, stack=record)
        after = await follow
        return Outcome(
            update_available=bool(after.updated()) if after is not None else True,
            redeploy_id=update.id,
            redeployed=after is not None,
            stack=after if after is not None else record,
        )

    def stack_running_here(self, stack: Stack) -> bool:
        """Whether the last heartbeat of the stack's server shows a running container of its project."""
        containers = project_containers(
            self.executor.cache.containers(stack.config.server_id), project_of(stack)
        )
        return any(c.state == ContainerStateStatusEnum.Running for c in containers)

    async def polled_stacks(self) -> list[Stack]:
        """Every stack with `poll_for_updates` or `auto_update`, a server, and a running container."""
        found: list[Stack] = await self.executor.bus.request(
            ListFullStacks(limit=0), self.executor.registry.system_headers()
        )
        return [
            s
            for s in found
            if (s.config.poll_for_updates or s.config.auto_update)
            and s.config.server_id
            and self.stack_running_here(s)
        ]

    async def sweep(self, skip_auto_update: bool, wait: bool, fresh: bool) -> list[Log]:
        """Check every polled deployment and stack as the System user (auto updates too, unless skipped); a Log
        each. Stack services in `auto_update_skip_services` are left out, as in Komodo's global flow.

        `fresh` asks the registries again (a digest read during this sweep is still shared by the resources
        of the same image); otherwise digests up to 10 minutes old are reused.
        """
        deployments = await self.polled_deployments()
        stacks = await self.polled_stacks()
        sweep_started = now_ms()
        servers: dict[str, Server] = {}
        limit = asyncio.Semaphore(SWEEP_CONCURRENCY)

        async def guarded(
            stage: str, server_id: str, work: Callable[[Server, float], Awaitable[Outcome]]
        ) -> Log:
            started = now_ms()
            async with limit:
                try:
                    if server_id not in servers:
                        servers[server_id] = await self.executor.registry.server_for_work(server_id)
                    max_age = (now_ms() - sweep_started) / 1000 if fresh else DIGEST_CACHE_SECONDS
                    outcome = await work(servers[server_id], max_age)
                except ServiceError as err:
                    return failed(stage, redactor.redact(err.message), started)
                except Exception:
                    # One resource's unexpected failure must not end the sweep of the others.
                    error_id = uuid.uuid4().hex[:12]
                    log.exception("update check %r failed", stage, extra={"error_id": error_id})
                    return failed(stage, f"internal error in the executor (error id {error_id})", started)
            return Log(
                stage=stage,
                stdout=describe(outcome),
                success=outcome.redeployed is not False,
                start_ts=started,
                end_ts=now_ms(),
            )

        def deployment_work(deployment: Deployment) -> Callable[[Server, float], Awaitable[Outcome]]:
            async def work(server: Server, max_age: float) -> Outcome:
                return await self.check(deployment, server, None, skip_auto_update, wait, max_age)

            return work

        def stack_work(stack: Stack) -> Callable[[Server, float], Awaitable[Outcome]]:
            async def work(server: Server, max_age: float) -> Outcome:
                return await self.check_stack(
                    stack,
                    server,
                    None,
                    skip_auto_update,
                    wait,
                    max_age,
                    stack.config.auto_update_skip_services,
                )

            return work

        return list(
            await asyncio.gather(
                *(guarded(f"Check {d.name}", d.config.server_id, deployment_work(d)) for d in deployments),
                *(guarded(f"Check stack {s.name}", s.config.server_id, stack_work(s)) for s in stacks),
            )
        )

    async def poll(self) -> list[Log]:
        """One timed sweep: the follow-ups a dead replica left are finished first, then the checks with cached
        digests (10 min), auto updates followed in the background."""
        await self.resume_follow_ups()
        return await self.sweep(skip_auto_update=False, wait=False, fresh=False)

    async def resume_follow_ups(self) -> int:
        """Announce (and check again after) the auto update redeploys whose Update is complete but whose
        follow-up is still stored: the replica following them died. Answers how many were finished."""
        registry = self.executor.registry
        finished = 0
        for follow_up in await self.store.pending_follow_ups():
            try:
                found: Update = await self.executor.bus.request(
                    GetUpdate(id=follow_up.update_id), registry.system_headers()
                )
                if found.status != UpdateStatus.Complete:
                    continue  # still running (or followed by a live replica)
                if follow_up.kind == ResourceTargetVariant.Deployment.value:
                    deployment, server = await registry.deployment_on_server(
                        Caller.system(), follow_up.resource_id, PermissionLevel.Read
                    )
                    await follow_redeploy(
                        self.executor, self.store, deployment, server, found, follow_up.latest_digest
                    )
                else:
                    stack, server = await registry.stack_on_server(
                        Caller.system(), follow_up.resource_id, PermissionLevel.Read
                    )
                    await follow_stack_redeploy(self.executor, self.store, stack, server, found, follow_up)
                finished += 1
            except ServiceError as err:
                # The resource, its server or the Update is gone (4xx): nothing is left to announce.
                if err.status < 500:
                    await self.store.drop_follow_up(follow_up.update_id)
                log.warning(
                    "could not finish the auto update of Update %s: %s",
                    follow_up.update_id,
                    redactor.redact(err.message),
                )
        return finished

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
        if not outcome.update_available:
            return "up to date"
        if outcome.stack is not None:
            return "update available: " + ", ".join(
                f"{s.service} ({s.image})" for s in outcome.stack.updated()
            )
        return "update available"
    if outcome.redeployed is None:
        return f"update available: redeploying (Update {outcome.redeploy_id})"
    if outcome.redeployed:
        return f"update available: redeployed (Update {outcome.redeploy_id})"
    return f"update available: the redeploy failed (Update {outcome.redeploy_id})"
