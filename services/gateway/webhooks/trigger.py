"""Running what a webhook triggers, one webhook at a time per resource (Komodo's per-resource mutex).

When no webhook of the resource is running, the execution is sent at once and its answer (the InProgress
Update, or the refusal: 503 when no service answers it, 409 when busy) becomes the webhook's answer; the
resource stays taken until that Update is Complete. A webhook arriving meanwhile is queued: it is answered at
once and runs after the one before it has finished; a failure then is only logged. The queue is kept per
gateway replica: webhooks of one resource reaching two replicas are not queued against each other (the
executor's busy lease then refuses the second execution while the first runs).

A build's webhook replaces instead (`replace`, Komodo's rule: the newest push is what gets built): when the
build is building, the webhook is answered at once, its running build is cancelled (CancelBuild), and RunBuild
is sent once the build's lease is released (GetBuildActionState says it is not building any more), so two runs
of one build never overlap. The resource is taken only while a webhook cancels and starts, not while the build
runs; a webhook arriving meanwhile waits for that, then cancels the run just started in its turn.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pydantic import ValidationError

from contracts.api.base import Request
from contracts.api.read.update import GetUpdate
from contracts.entities.update import Update, UpdateStatus
from contracts.events.update import UpdateChanged
from services.common.errors import ServiceError
from services.gateway.webhooks.targets import Ask, Replacing, Target

log = logging.getLogger(__name__)

FOLLOW_SECONDS = 3 * 3600.0
"""How long a resource stays taken at most while its execution's Update is not Complete."""
POLL_SECONDS = 10.0
"""How often a running Update is read again, besides listening for its UpdateChanged events."""
CANCEL_WAIT_SECONDS = 120.0
"""How long a replacing webhook waits for the cancelled run to end before it gives up (and logs it)."""
CANCEL_POLL_SECONDS = 0.25
"""How often it asks whether the cancelled run has ended."""


@dataclass(frozen=True)
class Started:
    """What became of a triggered webhook."""

    queued: bool
    """Whether it waits behind another webhook of the same resource (and runs when that one has finished)."""
    update_id: str | None
    """The Update of the execution started now (None when queued, or for RefreshStackCache)."""
    replacing: bool = False
    """Whether it starts once the run going now is cancelled and has ended (`Triggers.replace`)."""


class Triggers:
    """The executions webhooks start, queued per resource."""

    def __init__(
        self,
        ask: Ask,
        connection: Callable[[], NatsClient],
        follow_seconds: float = FOLLOW_SECONDS,
        cancel_wait_seconds: float = CANCEL_WAIT_SECONDS,
    ) -> None:
        self.ask = ask
        self.connection = connection
        self.follow_seconds = follow_seconds
        self.cancel_wait_seconds = cancel_wait_seconds
        self._locks: dict[str, asyncio.Lock] = {}
        self._users: dict[str, int] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self, target: Target, requests: list[Request]) -> Started:
        """Send `requests` as the webhook of `target`, now (raising the execution's refusal) or queued."""
        key = f"{target.kind}:{target.id}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        if lock.locked():
            self._spawn(self._queued(key, lock, target, requests))
            return Started(queued=True, update_id=None)
        await lock.acquire()  # free, so this does not wait
        try:
            update = await self._send(requests)
        except BaseException:
            self._release(key, lock)
            raise
        self._spawn(self._follow_and_release(key, lock, update))
        return Started(queued=False, update_id=update.id if update else None)

    async def replace(self, target: Target, how: Replacing) -> Started:
        """Start `how.run` now when nothing runs (raising its refusal); else answer at once and, in the
        background, cancel the run going on, wait until it has ended and start the new one."""
        key = f"{target.kind}:{target.id}"
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._users[key] = self._users.get(key, 0) + 1
        if lock.locked():
            self._spawn(self._replace_queued(key, lock, target, how))
            return Started(queued=True, update_id=None, replacing=True)
        await lock.acquire()  # free, so this does not wait
        update = None
        try:
            busy = await self._busy(how)
            if not busy:
                update = await self.ask(how.run)
        except BaseException:
            self._release(key, lock)
            raise
        if busy:
            self._spawn(self._replace_held(key, lock, target, how))
            return Started(queued=True, update_id=None, replacing=True)
        self._release(key, lock)
        return Started(queued=False, update_id=update.id if isinstance(update, Update) else None)

    async def _busy(self, how: Replacing) -> bool:
        """Whether a run goes on; False when that cannot be read (no builder answers): the run's own refusal
        then says why."""
        try:
            state = await self.ask(how.busy)
        except ServiceError as err:
            log.debug("webhook: %s refused (%s)", type(how.busy).__name__, err.message)
            return False
        return bool(getattr(state, "building", False))

    async def _replace_queued(self, key: str, lock: asyncio.Lock, target: Target, how: Replacing) -> None:
        await lock.acquire()
        await self._replace_held(key, lock, target, how)

    async def _replace_held(self, key: str, lock: asyncio.Lock, target: Target, how: Replacing) -> None:
        """Cancel the run going on (if any), wait for it to end, start the new run; then free the resource."""
        name = type(how.run).__name__
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.cancel_wait_seconds
            if await self._busy(how):
                try:
                    await self.ask(how.cancel)
                except ServiceError as err:
                    log.debug(
                        "webhook: %s refused (%s); waiting all the same",
                        type(how.cancel).__name__,
                        err.message,
                    )
                while await self._busy(how):
                    if loop.time() > deadline:
                        log.warning(
                            "webhook of %s %r: the run going on did not end within %g s of its cancel; %s not sent",
                            target.kind,
                            target.name,
                            self.cancel_wait_seconds,
                            name,
                        )
                        return
                    await asyncio.sleep(CANCEL_POLL_SECONDS)
            await self.ask(how.run)
        except ServiceError as err:
            log.warning("webhook of %s %r: %s refused: %s", target.kind, target.name, name, err.message)
        except Exception:
            log.exception("webhook of %s %r failed", target.kind, target.name)
        finally:
            self._release(key, lock)

    async def _send(self, requests: list[Request]) -> Update | None:
        for before in requests[:-1]:
            try:
                await self.ask(before)
            except ServiceError as err:
                log.debug("webhook: %s refused (%s); going on", type(before).__name__, err.message)
        answer = await self.ask(requests[-1])
        return answer if isinstance(answer, Update) else None

    async def _queued(self, key: str, lock: asyncio.Lock, target: Target, requests: list[Request]) -> None:
        await lock.acquire()
        update = None
        try:
            update = await self._send(requests)
        except ServiceError as err:
            log.warning(
                "queued webhook of %s %r: %s refused: %s",
                target.kind,
                target.name,
                type(requests[-1]).__name__,
                err.message,
            )
        except Exception:
            log.exception("queued webhook of %s %r failed", target.kind, target.name)
        await self._follow_and_release(key, lock, update)

    async def _follow_and_release(self, key: str, lock: asyncio.Lock, update: Update | None) -> None:
        try:
            if update is not None and update.status != UpdateStatus.Complete:
                await self._finished(update.id)
        finally:
            self._release(key, lock)

    async def _finished(self, update_id: str) -> None:
        """Wait until the Update is Complete (or `follow_seconds` have passed, or it cannot be read): told by
        its UpdateChanged event, and read again every `POLL_SECONDS` in case an event was missed."""
        done = asyncio.Event()

        async def heard(msg: Msg) -> None:
            try:
                changed = UpdateChanged.model_validate_json(msg.data).update
            except ValidationError:
                return
            if changed.id == update_id and changed.status == UpdateStatus.Complete:
                done.set()

        # Subscribed before the first read, so a completion between the two is not missed.
        subscription = await self.connection().subscribe(UpdateChanged.SUBJECT, cb=heard)
        try:
            loop = asyncio.get_running_loop()
            deadline = loop.time() + self.follow_seconds
            while not done.is_set() and loop.time() < deadline:
                try:
                    update = await self.ask(GetUpdate(id=update_id))
                except ServiceError as err:
                    log.warning("webhook: cannot follow Update %s: %s", update_id, err.message)
                    return
                if update.status == UpdateStatus.Complete:
                    return
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), POLL_SECONDS)
        finally:
            with contextlib.suppress(Exception):
                await subscription.unsubscribe()

    def _release(self, key: str, lock: asyncio.Lock) -> None:
        lock.release()
        self._users[key] -= 1
        if not self._users[key]:
            del self._users[key]
            del self._locks[key]

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
