"""Running executions: a lease per target (deployments, stacks) or per (target, action), the Update that tracks
the work, and the work itself.

An execution answers at once with its InProgress Update; the work goes on in a task. The lease is a Mongo
document claimed atomically (a unique `_id`), renewed while the work runs and released at its end, so two
replicas never run the same action on the same target at once and a crashed replica's claim expires. On start
an executor closes, as failed, the Updates whose lease expired without being released (their replica died).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.common import ResourceTarget, ResourceTargetVariant, Version
from contracts.entities.update import Log, Operation, Update
from services.common.errors import Busy, ServiceError
from services.common.logging import redactor
from services.common.mongo import Document
from services.executor.registry_client import RegistryClient

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
"""How long a claim lives without renewal."""
RENEW_SECONDS = 20.0
"""How often a running execution renews its claim."""

Work = Callable[[Update], Awaitable[list[Log]]]
"""The work of an execution: given its Update, the logs it produced (appended as they come is up to it)."""
Redact = Callable[[str], str]
"""Hides an execution's secret values in a text."""


def now_ms() -> int:
    """Unix time in milliseconds."""
    return int(time.time() * 1000)


EXCLUSIVE: frozenset[ResourceTargetVariant] = frozenset(
    {ResourceTargetVariant.Deployment, ResourceTargetVariant.Stack}
)
"""Kinds that run one execution at a time, whatever it is (Komodo's "busy" resource): a Destroy must not run
while a Deploy of the same deployment does. Other kinds (a server's container operations, ...) run different
actions side by side, one of each at a time."""


def target_key(target: ResourceTarget) -> str:
    """`<Type>:<id>`, the key of a target in leases."""
    return f"{target.type.value}:{target.id}"


def lease_key(target: ResourceTarget, operation: Operation, lock: str = "") -> str:
    """The lease an execution claims: the whole target for the exclusive kinds, else the target's action; a
    `lock` (one service of a stack for RunStackService) makes a lease of its own beside them."""
    if lock:
        return f"{target_key(target)}:{operation.value}:{lock}"
    if target.type in EXCLUSIVE:
        return f"{target_key(target)}:*"
    return f"{target_key(target)}:{operation.value}"


class Runner:
    """Starts executions and keeps their leases."""

    def __init__(self, db: AsyncDatabase[Document], registry: RegistryClient) -> None:
        self.leases = db["Lease"]
        self.registry = registry
        self.tasks: set[asyncio.Task[None]] = set()

    async def ensure_indexes(self) -> None:
        """Lookups of a target's leases."""
        await self.leases.create_index([("target", ASCENDING), ("action", ASCENDING)])

    async def _claim(self, key: str, target: ResourceTarget, action: str, owner: str) -> None:
        now = now_ms()
        try:
            await self.leases.update_one(
                {"_id": key, "until": {"$lt": now}},
                {
                    "$set": {
                        "target": target_key(target),
                        "action": action,
                        "until": now + int(LEASE_SECONDS * 1000),
                        "owner": owner,
                        "update_id": "",
                    }
                },
                upsert=True,
            )
        except DuplicateKeyError:
            held = await self.leases.find_one({"_id": key})
            running = str(held.get("action")) if held is not None else action
            name = await self.registry.name_of(target)
            raise Busy(f"{target.type.value} {name!r} is busy: {running} is already running on it") from None

    async def start(
        self,
        operation: Operation,
        target: ResourceTarget,
        operator: str,
        work: Work,
        lock: str = "",
        redact: Redact | None = None,
        version: Version | None = None,
    ) -> Update:
        """Claim the action's lease (409 busy when held), create the Update and start the work in a task.

        `redact` (the execution's secrets) is applied to every Log before it is stored, errors included; `version`
        (a Build's, for a deploy of its image) is recorded on the Update.
        """
        owner = uuid.uuid4().hex
        key = lease_key(target, operation, lock)
        await self._claim(key, target, operation.value, owner)
        try:
            update = await self.registry.create_update(operation, target, operator, version)
        except BaseException:
            await self.leases.delete_one({"_id": key, "owner": owner})
            raise
        await self.leases.update_one({"_id": key, "owner": owner}, {"$set": {"update_id": update.id}})
        task = asyncio.create_task(self._run(update, work, key, owner, redact))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return update

    async def _renew(self, key: str, owner: str) -> None:
        while True:
            await asyncio.sleep(RENEW_SECONDS)
            await self.leases.update_one(
                {"_id": key, "owner": owner}, {"$set": {"until": now_ms() + int(LEASE_SECONDS * 1000)}}
            )

    async def _run(self, update: Update, work: Work, key: str, owner: str, redact: Redact | None) -> None:
        renewing = asyncio.create_task(self._renew(key, owner))
        logs: list[Log] = []
        started = now_ms()
        try:
            logs = await work(update)
        except ServiceError as err:
            logs = [
                Log(
                    stage=update.operation.value,
                    stderr=redactor.redact(err.message),
                    success=False,
                    start_ts=started,
                    end_ts=now_ms(),
                )
            ]
        except Exception:
            error_id = uuid.uuid4().hex[:12]
            log.exception("%s failed", update.operation.value, extra={"error_id": error_id})
            logs = [
                Log(
                    stage=update.operation.value,
                    stderr=f"internal error in the executor (error id {error_id})",
                    success=False,
                    start_ts=started,
                    end_ts=now_ms(),
                )
            ]
        finally:
            renewing.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await renewing
            if redact is not None:
                logs = [
                    log.model_copy(
                        update={
                            "command": redact(log.command),
                            "stdout": redact(log.stdout),
                            "stderr": redact(log.stderr),
                        }
                    )
                    for log in logs
                ]
            try:
                await self.registry.finish(update.id, logs=logs)
            except Exception:
                log.exception("could not finish Update %s", update.id)
            await self.leases.delete_one({"_id": key, "owner": owner})

    async def live(self, target: ResourceTarget) -> dict[str, int]:
        """How many executions of each action run on a target now."""
        counts: dict[str, int] = {}
        async for doc in self.leases.find({"target": target_key(target), "until": {"$gte": now_ms()}}):
            counts[str(doc["action"])] = counts.get(str(doc["action"]), 0) + 1
        return counts

    async def close_abandoned(self) -> int:
        """Finish as failed the Updates whose lease expired unreleased (their executor died); answers how many."""
        closed = 0
        async for doc in self.leases.find({"until": {"$lt": now_ms()}}):
            if doc.get("update_id"):
                note = Log(
                    stage="Executor stopped",
                    stderr="the executor running this stopped before it finished; the outcome is unknown",
                    success=False,
                    start_ts=now_ms(),
                    end_ts=now_ms(),
                )
                try:
                    await self.registry.finish(str(doc["update_id"]), logs=[note], success=False)
                    closed += 1
                except ServiceError as err:
                    log.warning("could not close abandoned Update %s: %s", doc["update_id"], err.message)
            await self.leases.delete_one({"_id": doc["_id"], "until": doc["until"]})
        return closed

    async def stop(self) -> None:
        """Let running executions finish (up to 10 s), then cancel the rest (their leases expire)."""
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=10)
        for task in list(self.tasks):
            task.cancel()
