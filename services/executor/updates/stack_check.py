"""Whether the services of a stack run older images than their tags point to now, and the stack auto update.

Per service, as for deployments (`check.py`): the manifest digest the service's image tag has in its registry
now (asked by the agent, nothing is pulled) against the `RepoDigests` of the image its running container was
created from. Services without a running container or without an image (build-only) are not compared.

The stack's `registry_account` is used for the images of its `registry_provider` only: other images are read
anonymously, so an account is never handed to a registry it does not belong to.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING, Final

from contracts.api.agent.container import RegistryAuth
from contracts.api.execute.stack import DeployStack
from contracts.entities.common import PermissionLevel
from contracts.entities.server import Server
from contracts.entities.stack import Stack, StackService, StackServiceState, StackServiceWithUpdate
from contracts.entities.update import Update
from contracts.events.execution import StackAutoUpdated, StackImageUpdateAvailable
from services.common.caller import Caller
from services.common.errors import ServiceError
from services.common.logging import redactor
from services.executor.handlers.execute.deploy import registry_domain
from services.executor.stacks.files import registry_auth
from services.executor.stacks.run import target_of
from services.executor.stacks.services import services_of
from services.executor.updates.check import is_update_available, latest_digest, running_image, wait_for_update
from services.executor.updates.store import FollowUp, ServiceUpdate, StackUpdateRecord, UpdateStore, now_ms

if TYPE_CHECKING:
    from collections.abc import Mapping

    from services.executor.app import Executor

log = logging.getLogger(__name__)

SERVICE_CONCURRENCY: Final = 4
"""How many services of one stack are compared at once."""


def auth_for(image: str, auth: RegistryAuth | None) -> RegistryAuth | None:
    """The stack's credentials when the image comes from their registry, else None (anonymous)."""
    if auth is None or registry_domain(image) != auth.server:
        return None
    return auth


async def check_service(
    executor: Executor,
    store: UpdateStore,
    server: Server,
    service: StackService,
    auth: RegistryAuth | None,
    max_age_seconds: float,
) -> ServiceUpdate:
    """Compare one service's running image with its registry's; not compared (no update) when the service has
    no image or no running container. Registry and agent errors propagate."""
    image = service.image.strip()
    container = service.container
    if not image or container is None or service.state != StackServiceState.Running:
        return ServiceUpdate(service=service.service, image=image, update_available=False)
    running = await running_image(executor, server, container.name)
    if running is None:
        return ServiceUpdate(service=service.service, image=image, update_available=False)
    image_id, repo_digests = running
    latest = await latest_digest(executor, store, server, image, auth_for(image, auth), max_age_seconds)
    return ServiceUpdate(
        service=service.service,
        image=image,
        update_available=is_update_available(latest, repo_digests),
        latest_digest=latest,
        running_image_id=image_id,
    )


async def check_stack(
    executor: Executor,
    store: UpdateStore,
    stack: Stack,
    server: Server,
    max_age_seconds: float,
    skip_services: Iterable[str] = (),
) -> StackUpdateRecord:
    """Check every service of a stack (but `skip_services`), keep the result, and publish
    `StackImageUpdateAvailable` for each service whose update is newly found.

    A service whose check fails (registry refused, unreachable) is logged and counted as without update, so one
    private image does not hide the others; when every compared service fails, the first error propagates and
    the previous result stays.
    """
    skipped = set(skip_services)
    auth = await registry_auth(executor, stack)
    services = [s for s in services_of(executor, stack) if s.service not in skipped]
    limit = asyncio.Semaphore(SERVICE_CONCURRENCY)

    async def one(service: StackService) -> tuple[ServiceUpdate, ServiceError | None]:
        async with limit:
            try:
                return await check_service(executor, store, server, service, auth, max_age_seconds), None
            except ServiceError as err:
                log.warning(
                    "update check of stack %s service %s failed: %s",
                    stack.name,
                    service.service,
                    redactor.redact(err.message),
                )
                return ServiceUpdate(
                    service=service.service, image=service.image, update_available=False
                ), err

    outcomes = await asyncio.gather(*(one(s) for s in services))
    errors = [err for _, err in outcomes if err is not None]
    if errors and not any(result.latest_digest for result, _ in outcomes):
        raise errors[0]
    record = StackUpdateRecord(
        stack_id=stack.id, services=tuple(result for result, _ in outcomes), checked_ts=now_ms()
    )
    previous = await store.get_stack(stack.id)
    before = {s.service: s for s in previous.services} if previous is not None else {}
    await store.save_stack(record)
    for result in record.updated():
        seen = before.get(result.service)
        if seen is not None and seen.update_available and seen.latest_digest == result.latest_digest:
            continue
        await executor.bus.record(
            StackImageUpdateAvailable(
                service=result.service,
                image=result.image,
                latest_digest=result.latest_digest,
                server_id=server.id,
                resource=target_of(stack),
            )
        )
    return record


def answer_services(record: StackUpdateRecord) -> list[StackServiceWithUpdate]:
    """The services of a check in Komodo's answer shape (`latest_image` pins the new digest when there is one)."""
    return [
        StackServiceWithUpdate(
            service=s.service,
            image=s.image,
            latest_image=f"{s.image.split('@', 1)[0]}@{s.latest_digest}" if s.update_available else None,
            update_available=s.update_available,
        )
        for s in record.services
    ]


def redeploy_services(stack: Stack, record: StackUpdateRecord) -> list[str]:
    """What an auto update deploys: every service with `auto_update_all_services` (an empty list), else only
    the services with an update."""
    if stack.config.auto_update_all_services:
        return []
    return [s.service for s in record.updated()]


async def start_stack_redeploy(
    executor: Executor, stack: Stack, services: list[str], headers: Mapping[str, str]
) -> Update:
    """Start DeployStack through the bus with these credentials; the InProgress Update."""
    started: Update = await executor.bus.request(DeployStack(stack=stack.id, services=services), headers)
    return started


async def follow_stack_redeploy(
    executor: Executor,
    store: UpdateStore,
    stack: Stack,
    server: Server,
    update: Update,
    follow_up: FollowUp,
) -> StackUpdateRecord | None:
    """Wait for an auto update's DeployStack, publish `StackAutoUpdated`, forget its follow-up, and check again
    once it succeeded (with the digests just seen). None when the redeploy did not succeed or is not over."""
    finished = await wait_for_update(executor, update.id)
    if finished is None:
        log.warning("auto update of stack %s still runs (Update %s)", stack.name, update.id)
        return None
    # One event per redeploy, whichever replica announces it (the outbox and JetStream keep one per id).
    await executor.bus.record(
        StackAutoUpdated(
            id=f"auto-updated-{update.id}",
            update_id=update.id,
            success=finished.success,
            services=list(follow_up.services),
            images=list(follow_up.images),
            resource=target_of(stack),
        )
    )
    await store.drop_follow_up(update.id)
    if not finished.success:
        log.warning("auto update of stack %s did not succeed (Update %s)", stack.name, update.id)
        return None
    fresh = await executor.registry.stack_with(Caller.system(), stack.id, PermissionLevel.Read)
    age = max(now_ms() - follow_up.checked_ts, 0) / 1000 + 1
    return await check_stack(executor, store, fresh, server, age)
