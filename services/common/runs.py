"""Running executions: a lease per target (deployments, stacks) or per (target, action), the Update that tracks
the work, and the work itself.

An execution answers at once with its InProgress Update; the work goes on in a task. The lease is a Mongo
document claimed atomically (a unique `_id`), renewed every third of the lease period while the work runs and
released at its end, so two replicas never run the same action on the same target at once and a crashed
replica's claim expires. The lease names the execution's Update from the start: the executor chooses the
Update's id before the registry creates it, so no InProgress Update exists without a lease naming it.

Every executor replica sweeps the leases every third of the lease period: an expired one (its replica died or
froze) is taken over with a compare-and-set, its Update closed as failed with the reason, and the lease deleted.
So an abandoned Update is closed within about 4/3 of the lease period of its owner's last renewal, by whichever
executor is alive. A claim of an expired lease goes through the same close first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.api.internal.update import CarriedEvent
from contracts.entities.common import ResourceTarget, ResourceTargetVariant, Version
from contracts.entities.update import Log, Operation, Update
from contracts.events.base import Event
from contracts.service_users import SERVICE_USERS
from contracts.subjects import CAUSE_HEADER, UPDATE_ID_HEADER
from services.common.bus import RequestContext
from services.common.errors import BadRequest, Busy, ServiceError, Unavailable
from services.common.logging import redactor
from services.common.mongo import Document
from services.common.registry_client import RegistryClient
from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

LEASE_SECONDS = 60.0
"""How long a claim lives without renewal, by default (`VARANUS_LEASE_SECONDS`)."""
ABANDONED_STAGE = "Execution stopped"
"""The stage of the log that closes an Update whose executing service (executor or builder) died."""
ABANDONED_REASON = "the service running this stopped before it finished; the outcome is unknown"
"""Why such an Update failed."""
CLAIM_ATTEMPTS = 3
"""How many times a claim looks again at a key whose holder went (deleted, closed or taken over) meanwhile."""
CLOSED_ALREADY = frozenset({404, 409})
"""FinishUpdate's answers that mean there is nothing left to close (no such Update, or already complete)."""

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


def abandoned_note() -> Log:
    """The failed log that closes an Update whose executor stopped."""
    return Log(
        stage=ABANDONED_STAGE, stderr=ABANDONED_REASON, success=False, start_ts=now_ms(), end_ts=now_ms()
    )


def chosen_by_automation(ctx: RequestContext | None) -> tuple[str, list[Log]]:
    """The Update id and first logs of an execution: a built-in service user's `UPDATE_ID_HEADER` (a valid
    ObjectId) and `CAUSE_HEADER`, else a fresh id and none. Other callers cannot choose: an id is what makes an
    automation's retry idempotent, and a cause in someone's Update must come from the system."""
    if ctx is None or ctx.caller.user_id not in SERVICE_USERS:
        return str(ObjectId()), []
    chosen = ctx.headers.get(UPDATE_ID_HEADER, "")
    if chosen and not ObjectId.is_valid(chosen):
        raise BadRequest(f"{UPDATE_ID_HEADER}: not an ObjectId in hex (24 characters)")
    cause = ctx.headers.get(CAUSE_HEADER, "").strip()
    at = now_ms()
    logs = [Log(stage="Cause", stdout=cause, success=True, start_ts=at, end_ts=at)] if cause else []
    return chosen or str(ObjectId()), logs


class Runner:
    """Starts executions, keeps their leases, and closes the executions other executors abandoned."""

    def __init__(
        self, db: AsyncDatabase[Document], registry: RegistryClient, lease_seconds: float = LEASE_SECONDS
    ) -> None:
        self.leases = db["Lease"]
        self.registry = registry
        self.tasks: set[asyncio.Task[None]] = set()
        self.lease_ms = int(lease_seconds * 1000)
        self.renew_seconds = lease_seconds / 3
        """How often a running execution renews its lease, and how often expired leases are swept."""
        self._sweeping: asyncio.Task[None] | None = None
        self._carried: dict[str, list[CarriedEvent]] = {}
        """Events the running works gave for their Update's finish (`carry`), by Update id."""

    async def ensure_indexes(self) -> None:
        """Lookups of a target's leases."""
        await self.leases.create_index([("target", ASCENDING), ("action", ASCENDING)])

    async def _claim(self, key: str, target: ResourceTarget, action: str, owner: str, update_id: str) -> None:
        """Insert the lease (a 409 busy when a live one holds the key); an expired one is closed first, so the
        Update it names is never forgotten.

        The insert comes first: a free key (the usual case) costs one round trip; the holder is read only when
        the key is taken. A live lease whose Update is complete already is taken over: its execution has ended
        and only the deletion of its lease is still on the way.
        """
        lease = {
            "_id": key,
            "target": target_key(target),
            "action": action,
            "until": now_ms() + self.lease_ms,
            "owner": owner,
            "update_id": update_id,
        }
        held: Document | None = None
        for _ in range(CLAIM_ATTEMPTS):
            try:
                await self.leases.insert_one({**lease, "until": now_ms() + self.lease_ms})
                return
            except DuplicateKeyError:
                held = await self.leases.find_one({"_id": key})
            if held is None:
                continue  # deleted since the insert failed: the key is free again
            if int(held.get("until", 0)) < now_ms():
                if not await self._close(held):
                    name = await self.registry.name_of(target)
                    raise Unavailable(
                        f"{target.type.value} {name!r}: could not close the {held.get('action')} a stopped "
                        "executor left running (is the registry up?); try again"
                    )
                continue
            if not await self._ended(held):
                break
            if await self._take_over(held, lease):
                return
            # Deleted or taken by another claim since it was read: look again.
        running = str(held.get("action")) if held is not None else action
        name = await self.registry.name_of(target)
        raise Busy(f"{target.type.value} {name!r} is busy: {running} is already running on it")

    async def _ended(self, held: Document) -> bool:
        """Whether the Update a live lease names is complete already: its executor answered the finish but has
        not deleted the lease yet (a client that saw the Update complete may ask again at once)."""
        update_id = str(held.get("update_id") or "")
        if not update_id:
            return False
        try:
            return await self.registry.update_complete(update_id)
        except ServiceError:
            return False  # not known to have ended: busy, as it looks

    async def _take_over(self, held: Document, lease: Document) -> bool:
        """Replace a lease whose execution has ended with ours (a compare-and-set on its owner and expiry, so of
        two claims at once one wins)."""
        taken = await self.leases.update_one(
            {"_id": held["_id"], "owner": held.get("owner"), "until": held.get("until")},
            {"$set": {field: value for field, value in lease.items() if field != "_id"}},
        )
        return bool(taken.matched_count)

    async def start(
        self,
        operation: Operation,
        target: ResourceTarget,
        operator: str,
        work: Work,
        lock: str = "",
        redact: Redact | None = None,
        version: Version | None = None,
        ctx: RequestContext | None = None,
    ) -> Update:
        """Claim the action's lease (409 busy when held), create the Update and start the work in a task.

        `redact` (the execution's secrets) is applied to every Log before it is stored, errors included; `version`
        (a Build's, for a deploy of its image) is recorded on the Update. With the request's `ctx`, an automation
        (a built-in service user) may choose the Update's id and give its cause (see `chosen_by_automation`).
        """
        owner = uuid.uuid4().hex
        update_id, first_logs = chosen_by_automation(ctx)
        key = lease_key(target, operation, lock)
        await self._claim(key, target, operation.value, owner, update_id)
        try:
            update = await self.registry.create_update(
                operation, target, operator, version, update_id, first_logs
            )
        except ServiceError as err:
            if err.status < 500:  # the registry refused it: there is no Update
                await self.leases.delete_one({"_id": key, "owner": owner})
            else:  # it may exist all the same (an answer lost on the way): a sweep closes it if so
                await self._expire(key, owner)
            raise
        except BaseException:
            await self._expire(key, owner)
            raise
        task = asyncio.create_task(self._run(update, work, key, owner, redact))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        return update

    def carry(self, update: Update, event: Event) -> None:
        """Have `event` go out with the finish of `update` (an execution's end event, given by its work before
        it returns): stored by the registry in the write that completes the Update, so it is delivered (at
        least once) exactly when the Update is complete. Should that finish fail, the lease keeps the event for
        the sweep that closes the Update."""
        self._carried.setdefault(update.id, []).append(CarriedEvent.of(event))

    async def _expire(self, key: str, owner: str, events: list[CarriedEvent] | None = None) -> None:
        """Mark a lease of ours expired, for the next sweep to close its Update (with the `events` its finish
        was to carry)."""
        changes: dict[str, object] = {"until": 0}
        if events:
            changes["events"] = [e.model_dump() for e in events]
        with contextlib.suppress(Exception):
            await self.leases.update_one({"_id": key, "owner": owner}, {"$set": changes})

    async def _renew(self, key: str, owner: str, run: asyncio.Task[None] | None) -> None:
        while True:
            await asyncio.sleep(self.renew_seconds)
            try:
                renewed = await self.leases.update_one(
                    {"_id": key, "owner": owner}, {"$set": {"until": now_ms() + self.lease_ms}}
                )
            except Exception as err:  # Mongo may be back before the lease runs out
                log.warning("could not renew lease %s: %s", key, err)
                continue
            if not renewed.matched_count and run is not None:
                # This executor was held up longer than a lease: a sweep closed the Update and another execution
                # may hold the lease now, so the work stops rather than run beside it.
                log.warning("lease %s was taken over while its work ran; stopping the work", key)
                run.cancel()
                return

    async def _run(self, update: Update, work: Work, key: str, owner: str, redact: Redact | None) -> None:
        renewing = asyncio.create_task(self._renew(key, owner, asyncio.current_task()))
        logs: list[Log] = []
        started = now_ms()
        ended_normally = False
        try:
            logs = await work(update)
            ended_normally = True
        except asyncio.CancelledError:
            # The executor is stopping with the work unfinished: close the Update as failed, saying so.
            logs = [abandoned_note()]
            raise
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
                    stderr=f"internal error in the {self.registry.bus.service} (error id {error_id})",
                    success=False,
                    start_ts=started,
                    end_ts=now_ms(),
                )
            ]
        finally:
            await cancel_and_wait(renewing)
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
            events = self._carried.pop(update.id, [])
            try:
                # Progress logs shown while it ran are dropped only when the work's own logs hold the whole
                # output; after an error they are all there is of it.
                await self.registry.finish(update.id, logs=logs, drop_progress=ended_normally, events=events)
            except Exception:
                log.exception("could not finish Update %s", update.id)
                # A sweep closes it as failed rather than leave it running, and sends its events then.
                await self._expire(key, owner, events)
            else:
                await self.leases.delete_one({"_id": key, "owner": owner})

    async def holder(self, target: ResourceTarget, operation: Operation) -> str | None:
        """The Update id of the execution of `operation` running on `target` now (its live lease), or None."""
        lease = await self.leases.find_one({"_id": lease_key(target, operation), "until": {"$gte": now_ms()}})
        return str(lease.get("update_id") or "") or None if lease is not None else None

    async def live(self, target: ResourceTarget) -> dict[str, int]:
        """How many executions of each action run on a target now."""
        counts: dict[str, int] = {}
        async for doc in self.leases.find({"target": target_key(target), "until": {"$gte": now_ms()}}):
            counts[str(doc["action"])] = counts.get(str(doc["action"]), 0) + 1
        return counts

    async def _close(self, lease: Document) -> bool:
        """Close the Update of an expired lease as failed and delete the lease; False when the registry could not
        be told (the lease is left expired, for a later try).

        The lease is first taken over with a compare-and-set on its owner and expiry, so of several replicas
        sweeping at once one closes it; closing twice would be harmless anyway (the second finish is a 409).
        """
        token = f"closing-{uuid.uuid4().hex}"
        taken = await self.leases.update_one(
            {"_id": lease["_id"], "owner": lease.get("owner"), "until": lease.get("until")},
            {"$set": {"owner": token, "until": now_ms() + self.lease_ms}},
        )
        if not taken.matched_count:
            return True  # another replica took it (or a new claim did): not ours to close
        update_id = str(lease.get("update_id") or "")
        if update_id:
            events = [CarriedEvent.model_validate(e) for e in lease.get("events") or []]
            try:
                await self.registry.finish(update_id, logs=[abandoned_note()], success=False, events=events)
                log.warning("closed Update %s: %s", update_id, ABANDONED_REASON)
            except ServiceError as err:
                if err.status not in CLOSED_ALREADY:
                    log.warning("could not close abandoned Update %s: %s", update_id, err.message)
                    await self._expire(str(lease["_id"]), token)
                    return False
        await self.leases.delete_one({"_id": lease["_id"], "owner": token})
        return True

    async def close_abandoned(self) -> int:
        """Close every expired lease's Update as failed (their executor died); answers how many leases closed."""
        expired = await self.leases.find({"until": {"$lt": now_ms()}}).to_list(None)
        closed = 0
        for lease in expired:
            try:
                closed += await self._close(lease)
            except Exception:
                log.exception("could not close the expired lease %s", lease.get("_id"))
        return closed

    async def _sweep(self) -> None:
        while True:
            try:
                await self.close_abandoned()
            except Exception:  # Mongo may be unreachable for a while; the next round tries again
                log.exception("could not sweep expired leases")
            await asyncio.sleep(self.renew_seconds)

    def start_sweeping(self) -> None:
        """Close abandoned executions now and every third of the lease period, until `stop`."""
        self._sweeping = asyncio.create_task(self._sweep())

    async def stop(self) -> None:
        """Stop sweeping; let running executions finish (up to 10 s), then cancel the rest: their Updates are
        closed as failed (up to 5 s more; else their leases expire and a live executor closes them)."""
        if self._sweeping is not None:
            await cancel_and_wait(self._sweeping)
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=10)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks), timeout=5)
