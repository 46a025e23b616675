"""Running procedures and actions on their schedules, once per fire time across executor replicas.

The schedule table (`Schedule` in the executor's database) is kept from the registry: a full reload when the
executor starts and every `RELOAD_SECONDS` as a backstop, and the durable consumer `executor-schedules` of
`ResourceChanged` for every create, update, rename and delete of a procedure or action in between. Every
replica looks every second for schedules whose next fire time has come; for each, it inserts the claim
`ScheduleFire` (`_id` = target and fire time: a duplicate key means another replica has it), moves the
schedule to its next fire time (compare-and-set), and the claimer starts `RunProcedure` / `RunAction` over the
bus as Komodo's `Procedure` / `Action` user with an Update id derived from the claim, so a retried start finds
the run it already started. A claim whose start did not get an answer is retried by any replica's sweep; see
docs/schedules.md for the whole set of rules.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from pymongo.errors import DuplicateKeyError

from contracts.api.base import Request
from contracts.api.execute.action import RunAction
from contracts.api.execute.procedure import RunProcedure
from contracts.api.read.action import GetAction, ListFullActions
from contracts.api.read.procedure import GetProcedure, ListFullProcedures
from contracts.entities.action import Action
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.procedure import Procedure
from contracts.events.base import Event
from contracts.events.resource import ResourceChange, ResourceChanged
from contracts.events.schedule import ScheduleRun
from contracts.service_users import ACTION_USER_ID, PROCEDURE_USER_ID
from contracts.subjects import CAUSE_HEADER, UPDATE_ID_HEADER
from services.common.consumer import Consumer
from services.common.errors import ServiceError, Unavailable
from services.common.mongo import Document
from services.common.outbox import with_event
from services.common.schedules import ScheduleError, now_ms, zone
from services.common.tasks import cancel_and_wait
from services.executor.redeploy_on_build import update_exists
from services.executor.schedules.store import (
    CLAIMED,
    FAILED,
    STARTED,
    ScheduleStore,
    fire_key,
    fire_update_id,
)

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

CONSUMER: Final = "executor-schedules"
"""The durable name of the consumer that keeps the schedule table (shared by every executor replica)."""
TICK_SECONDS: Final = 1.0
"""How often each replica looks for due schedules (Komodo's executor ticks every second too)."""
RELOAD_SECONDS: Final = 300.0
"""How often the whole table is read again from the registry, a backstop for a change event that was lost."""
MISSED_AFTER_MS: Final = 60_000
"""A fire time found more than this late (every executor was down) is skipped, as Komodo skips missed runs."""
RETRY_AFTER_MS: Final = 15_000
"""A claim whose run was not known to start this long after it was claimed is started again (same Update id)."""
GIVE_UP_MS: Final = 600_000
"""A claim not started this long after its fire time is given up (marked Failed)."""
KEEP_FIRES_MS: Final = 7 * 86_400_000
"""How long claims are kept (they only need to outlive retries and the JetStream de-duplication window)."""
KINDS: Final = (ResourceTargetVariant.Procedure, ResourceTargetVariant.Action)


class Scheduler:
    """This replica's share of the schedules: keeping the table, firing due schedules, retrying claims."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.store = ScheduleStore(executor.db, executor.settings.timezone)
        executor.bus.outbox.carries(self.store.fires)  # type: ignore[union-attr]
        self.owner = uuid.uuid4().hex
        self._task: asyncio.Task[None] | None = None
        self.fired = 0
        """Runs this replica started (for tests)."""
        self.lost = 0
        """Fire times this replica found claimed by another (for tests)."""

    def consumer(self) -> Consumer:
        """The consumer that applies procedure and action changes to the schedule table."""

        async def handle(event: Event) -> None:
            await self.on_change(event)

        return Consumer(CONSUMER, ResourceChanged.SUBJECT, handle, self.executor.db)

    def start(self) -> None:
        """Load the table, then fire and reload in the background."""
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop firing (a claim taken but not started is retried by another replica or the next start)."""
        if self._task is not None:
            await cancel_and_wait(self._task)

    async def _run(self) -> None:
        loaded_at = 0.0
        loop = asyncio.get_running_loop()
        while True:
            try:
                if loop.time() - loaded_at >= RELOAD_SECONDS or not loaded_at:
                    await self.reload()
                    loaded_at = loop.time()
                await self.tick(now_ms())
            except asyncio.CancelledError:
                raise
            except Unavailable as err:  # the registry is starting or down: said without a traceback
                log.warning("schedules: %s; trying again", err.message)
            except Exception:
                log.exception("schedules: a tick failed; trying again")
            await asyncio.sleep(TICK_SECONDS - (now_ms() % 1000) / 1000 + 0.01)

    # --- the table ------------------------------------------------------------------------------

    async def reload(self) -> None:
        """Read every procedure and action from the registry (as the System user) into the table, and forget the
        schedules of targets that are gone; also drops old claims."""
        started = now_ms()
        system = self.executor.registry.system_headers()
        procedures: list[Procedure] = await self.executor.bus.request(ListFullProcedures(limit=0), system)
        actions: list[Action] = await self.executor.bus.request(ListFullActions(limit=0), system)
        everything: list[Procedure | Action] = [*procedures, *actions]
        for resource in everything:
            await self.store.sync(resource, started)
        for variant in KINDS:
            await self.store.remove_unsynced(variant, started)
        await self.store.fires.delete_many({"fire": {"$lt": started - KEEP_FIRES_MS}})

    async def on_change(self, event: Event) -> None:
        """Apply one `ResourceChanged` of a procedure or action: read it again (or forget it when deleted)."""
        if not isinstance(event, ResourceChanged) or event.resource is None or event.entity:
            return
        variant = event.resource.type
        if variant not in KINDS:
            return
        if event.change == ResourceChange.Deleted:
            await self.store.remove(variant, event.resource.id)
            return
        request: Request = (
            GetProcedure(procedure=event.resource.id)
            if variant == ResourceTargetVariant.Procedure
            else GetAction(action=event.resource.id)
        )
        try:
            resource = await self.executor.bus.request(request, self.executor.registry.system_headers())
        except ServiceError as err:
            if err.status == 404:  # deleted since
                await self.store.remove(variant, event.resource.id)
                return
            raise
        await self.store.sync(resource, now_ms())

    # --- firing ---------------------------------------------------------------------------------

    async def tick(self, now: int) -> None:
        """Fire every due schedule (the ones whose fire time this replica claims), then retry stale claims."""
        fires = []
        for schedule in await self.store.due(now):
            fire = int(schedule["next_run"])
            if now - fire > MISSED_AFTER_MS:
                if await self.store.advance(schedule, fire, now):
                    log.warning(
                        "schedules: %s %r missed its run at %s (no executor was running); skipped",
                        schedule["type"],
                        schedule["name"],
                        fire,
                    )
                continue
            fires.append(self.fire(schedule, fire, now))
        for result in await asyncio.gather(*fires, return_exceptions=True):
            if isinstance(result, BaseException):
                log.error("schedules: a fire failed: %s", result)
        await self.retry_claims(now)

    async def fire(self, schedule: Document, fire: int, now: int) -> None:
        """Claim one fire time; whoever claims it starts the run. Every replica that sees it due moves the
        schedule on (compare-and-set: once), so a claimer that dies before that does not stall the schedule."""
        claim: Document = {
            "_id": fire_key(str(schedule["_id"]), fire),
            "schedule": schedule["_id"],
            "type": schedule["type"],
            "target_id": schedule["target_id"],
            "name": schedule["name"],
            "fire": fire,
            "update_id": fire_update_id(str(schedule["_id"]), fire),
            "alert": bool(schedule.get("alert")),
            "cause": cause_of(schedule, fire, self.store.default_zone),
            "status": CLAIMED,
            "claimed_at": now,
            "owner": self.owner,
        }
        try:
            await self.store.fires.insert_one(claim)
            mine = True
        except DuplicateKeyError:
            mine = False
            self.lost += 1
        await self.store.advance(schedule, fire, max(fire, now))
        if mine:
            await self.start_run(claim)

    async def start_run(self, claim: Document) -> None:
        """Start the claimed run as Komodo's Procedure / Action user with the claim's Update id, and record how
        it went. No answer (503, a timeout) leaves the claim for a retry; a refusal (the procedure is running,
        the target is gone) ends it as Failed; a 409 for an Update that exists means an earlier try started it."""
        variant = ResourceTargetVariant(claim["type"])
        update_id = str(claim["update_id"])
        executor = self.executor
        user = PROCEDURE_USER_ID if variant == ResourceTargetVariant.Procedure else ACTION_USER_ID
        headers = {
            "Authorization": executor.signer.issue(user),
            UPDATE_ID_HEADER: update_id,
            CAUSE_HEADER: str(claim["cause"]),
        }
        target_id = str(claim["target_id"])
        request: Request = (
            RunProcedure(procedure=target_id)
            if variant == ResourceTargetVariant.Procedure
            else RunAction(action=target_id)
        )
        status, error = STARTED, ""
        try:
            await executor.bus.request(request, headers)
        except ServiceError as err:
            if err.status == 409 and await update_exists(executor, update_id):
                pass  # an earlier try started it
            elif err.status >= 500:
                log.warning("schedules: %s %r not started yet: %s", variant.value, claim["name"], err.message)
                return
            else:
                status, error = FAILED, err.message
        change: dict[str, Any] = {"$set": {"status": status, "error": error, "started_at": now_ms()}}
        if status == STARTED and claim.get("alert"):
            event = ScheduleRun(
                id=f"schedule-run-{update_id}",
                resource=ResourceTarget(type=variant, id=target_id),
                resource_type=variant,
                name=str(claim["name"]),
                update_id=update_id,
                scheduled_at=int(claim["fire"]),
            )
            change = with_event(change, event)
        result = await self.store.fires.update_one({"_id": claim["_id"], "status": CLAIMED}, change)
        if result.modified_count and executor.bus.outbox is not None:
            executor.bus.outbox.wake(self.store.fires.name)
        if status == STARTED:
            self.fired += 1
            log.info("schedules: started %s %r (Update %s)", variant.value, claim["name"], update_id)
        else:
            log.warning("schedules: %s %r did not run: %s", variant.value, claim["name"], error)

    async def retry_claims(self, now: int) -> None:
        """Start again the claims whose claimer did not record a start in time (it died, or got no answer); a
        claim older than `GIVE_UP_MS` is given up. Taking one over is a compare-and-set on its claim time."""
        stale = await self.store.fires.find(
            {"status": CLAIMED, "claimed_at": {"$lt": now - RETRY_AFTER_MS}}
        ).to_list(None)
        for claim in stale:
            if now - int(claim["fire"]) > GIVE_UP_MS:
                await self.store.fires.update_one(
                    {"_id": claim["_id"], "status": CLAIMED},
                    {"$set": {"status": FAILED, "error": "not started within 10 minutes of its time"}},
                )
                continue
            taken = await self.store.fires.update_one(
                {"_id": claim["_id"], "status": CLAIMED, "claimed_at": claim["claimed_at"]},
                {"$set": {"claimed_at": now, "owner": self.owner}},
            )
            if taken.modified_count:
                await self.start_run(claim)


def cause_of(schedule: Document, fire: int, default_zone: str) -> str:
    """The first log of a scheduled run's Update: which schedule and which fire time."""
    try:
        tz = zone(str(schedule.get("timezone") or ""), default_zone)
        at = datetime.fromtimestamp(fire / 1000, tz).isoformat()
    except ScheduleError:
        at = str(fire)
    return (
        f"Schedule: run at {at} ({schedule.get('schedule_format')} schedule {schedule.get('schedule')!r}"
        f"{', time zone ' + str(schedule['timezone']) if schedule.get('timezone') else ''})"
    )
