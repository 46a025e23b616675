"""Whether a deployment's image tag points to a newer image than its container runs, and the auto update.

The registry side is the manifest digest the tag has now (the agent asks the registry, nothing is pulled).
The running side is the `RepoDigests` of the image the container was created from: Docker records there the
manifest digest each pull or push of that image saw. A manifest digest is a hash of its content, so when the
registry's digest is among them the container runs exactly that image; otherwise the tag has moved.

A container that is not deployed or not running has nothing to compare, and its result is cleared (as in
Komodo, whose check only looks at running containers).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from contracts.api.agent.container import InspectContainer, RegistryAuth
from contracts.api.agent.docker_objects import InspectImage
from contracts.api.agent.image_digest import GetLatestImageDigest, LatestImageDigest
from contracts.api.execute.deployment import Deploy
from contracts.api.read.update import GetUpdate
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.deployment import Deployment, container_name
from contracts.entities.server import Server
from contracts.entities.update import Update, UpdateStatus
from contracts.events.execution import DeploymentAutoUpdated, DeploymentImageUpdateAvailable
from services.common.bus import RemoteError
from services.executor.handlers.execute.deploy import DEPLOY_TIMEOUT_SECONDS, image_and_auth
from services.executor.updates.store import DIGEST_CACHE_SECONDS, UpdateRecord, UpdateStore, now_ms

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

DIGEST_TIMEOUT_SECONDS: Final = 40.0
"""Longest wait for the agent's registry lookup (the agent gives up on the registry after 30 s)."""
WAIT_POLL_SECONDS: Final = 0.5
"""How often a waited-for redeploy's Update is read."""


def repo_digest_values(repo_digests: list[str]) -> set[str]:
    """The digests of Docker `RepoDigests` entries (`repo@sha256:...`)."""
    return {entry.rsplit("@", 1)[1] for entry in repo_digests if "@" in entry}


def is_update_available(latest_digest: str, repo_digests: list[str]) -> bool:
    """Whether the registry's digest is not one the running image has (an image never pulled nor pushed has
    none, so any image in the registry counts as newer)."""
    return bool(latest_digest) and latest_digest not in repo_digest_values(repo_digests)


def digest_key(image: str, auth: RegistryAuth | None) -> str:
    """The digest cache key: the image as written, and the account that may read it (a private image's
    digest is not handed to a deployment without that account)."""
    return f"{auth.username if auth is not None else ''}|{image}"


async def running_image(executor: Executor, server: Server, container: str) -> tuple[str, list[str]] | None:
    """The image id and `RepoDigests` of a running container's image; None when it is not deployed or not
    running."""
    try:
        inspected: dict[str, Any] = await executor.agents.ask(server, InspectContainer(name=container))
    except RemoteError as err:
        if err.status == 404:
            return None
        raise
    if not (inspected.get("State") or {}).get("Running"):
        return None
    image_id = str(inspected.get("Image") or "")
    if not image_id:
        return None
    image: dict[str, Any] = await executor.agents.ask(server, InspectImage(name=image_id))
    return image_id, [str(entry) for entry in image.get("RepoDigests") or []]


async def latest_digest(
    executor: Executor,
    store: UpdateStore,
    server: Server,
    image: str,
    auth: RegistryAuth | None,
    max_age_seconds: float,
) -> str:
    """The digest the image's tag has in its registry: from the cache when seen within `max_age_seconds`,
    else asked of the server's agent (and cached)."""
    key = digest_key(image, auth)
    cached = await store.cached_digest(key, max_age_seconds)
    if cached is not None:
        return cached
    answer: LatestImageDigest = await executor.agents.ask(
        server, GetLatestImageDigest(image=image, registry_auth=auth), timeout=DIGEST_TIMEOUT_SECONDS
    )
    await store.remember_digest(key, answer.digest)
    return answer.digest


async def check_deployment(
    executor: Executor,
    store: UpdateStore,
    deployment: Deployment,
    server: Server,
    max_age_seconds: float = DIGEST_CACHE_SECONDS,
) -> UpdateRecord:
    """Compare the registry's digest with the running image's, keep the result, and publish
    `DeploymentImageUpdateAvailable` when an update is newly found (not again on every poll).

    Errors (registry refused, unreachable, ...) propagate and leave the previous result as it was.
    """
    image, auth = await image_and_auth(executor, deployment)
    running = await running_image(
        executor, server, container_name(deployment.name, deployment.config.custom_name)
    )
    if running is None:
        await store.clear(deployment.id)
        return UpdateRecord(
            deployment_id=deployment.id, update_available=False, image=image, checked_ts=now_ms()
        )
    image_id, repo_digests = running
    latest = await latest_digest(executor, store, server, image, auth, max_age_seconds)
    record = UpdateRecord(
        deployment_id=deployment.id,
        update_available=is_update_available(latest, repo_digests),
        image=image,
        latest_digest=latest,
        running_image_id=image_id,
        checked_ts=now_ms(),
    )
    previous = await store.get(deployment.id)
    await store.save(record)
    newly = record.update_available and (
        previous is None or not previous.update_available or previous.latest_digest != latest
    )
    if newly:
        await executor.bus.record(
            DeploymentImageUpdateAvailable(
                image=image, latest_digest=latest, server_id=server.id, resource=deployment_target(deployment)
            )
        )
    return record


def deployment_target(deployment: Deployment) -> ResourceTarget:
    """The deployment as an event or Update target."""
    return ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)


async def wait_for_update(
    executor: Executor, update_id: str, seconds: float = DEPLOY_TIMEOUT_SECONDS
) -> Update | None:
    """The Update once Complete, read through the registry every half second; None if it is not done in time."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found: Update = await executor.bus.request(
            GetUpdate(id=update_id), executor.registry.system_headers()
        )
        if found.status == UpdateStatus.Complete:
            return found
        await asyncio.sleep(WAIT_POLL_SECONDS)
    return None


async def start_redeploy(executor: Executor, deployment: Deployment, headers: Mapping[str, str]) -> Update:
    """Start Deploy through the bus with these credentials (so its permission check and Update operator are
    the caller's); the InProgress Update."""
    started: Update = await executor.bus.request(Deploy(deployment=deployment.id), headers)
    return started


async def follow_redeploy(
    executor: Executor,
    store: UpdateStore,
    deployment: Deployment,
    server: Server,
    update: Update,
    latest: str,
) -> UpdateRecord | None:
    """Wait for an auto update's Deploy, publish `DeploymentAutoUpdated`, forget its follow-up, and check again
    once it succeeded (with the digest just seen, so the result shows what runs now). None when the redeploy did
    not succeed or is not over."""
    finished = await wait_for_update(executor, update.id)
    if finished is None:
        # Still running after the deploy timeout: the next poll announces it (the follow-up is kept).
        log.warning("auto update of deployment %s still runs (Update %s)", deployment.name, update.id)
        return None
    success = finished.success
    image = (await image_and_auth(executor, deployment))[0]
    # One event per redeploy, whichever replica announces it (the outbox and JetStream keep one per id).
    await executor.bus.record(
        DeploymentAutoUpdated(
            id=f"auto-updated-{update.id}",
            update_id=update.id,
            success=success,
            image=image,
            latest_digest=latest,
            resource=deployment_target(deployment),
        )
    )
    await store.drop_follow_up(update.id)
    if not success:
        log.warning("auto update of deployment %s did not succeed (Update %s)", deployment.name, update.id)
        return None
    return await check_deployment(executor, store, deployment, server)
