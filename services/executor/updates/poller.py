"""The timer that checks polled deployments and stacks for image updates, on one executor replica at a time.

Every replica wakes regularly and tries to claim the `ImageUpdatePoll` schedule document: a claim succeeds
only once its `next` time has passed (claimed atomically, a unique `_id`, as the execution leases in
`services/common/runs.py`), and moves `next` one interval on. So, with any number of replicas, one sweep
runs per interval. While a sweep runs its replica keeps pushing `next` ahead, so a slow sweep is not run
twice; a replica that dies mid-sweep stops doing so, and another takes over a minute later.
"""

from __future__ import annotations

import asyncio
import logging
import os
import uuid
from typing import Final

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from services.common.mongo import Document
from services.common.tasks import cancel_and_wait
from services.executor.updates.service import ImageUpdates
from services.executor.updates.store import now_ms

log = logging.getLogger(__name__)

POLL_ENV: Final = "VARANUS_IMAGE_POLL_SECONDS"
"""Environment variable that sets the poll interval in seconds."""
DEFAULT_POLL_SECONDS: Final = 300.0
"""The poll interval without `VARANUS_IMAGE_POLL_SECONDS` (5 minutes, as Komodo's default)."""
HOLD_SECONDS: Final = 60.0
"""How far ahead a running sweep keeps `next` (another replica may take over this long after a crash)."""
SCHEDULE_ID: Final = "image-update-poll"
"""The `_id` of the schedule document."""


def poll_seconds() -> float:
    """The poll interval: `VARANUS_IMAGE_POLL_SECONDS` when set to a positive number, else 5 minutes."""
    raw = os.environ.get(POLL_ENV, "").strip()
    try:
        value = float(raw) if raw else DEFAULT_POLL_SECONDS
    except ValueError:
        log.warning(
            "%s=%r is not a number of seconds: polling every %.0f s", POLL_ENV, raw, DEFAULT_POLL_SECONDS
        )
        return DEFAULT_POLL_SECONDS
    return value if value > 0 else DEFAULT_POLL_SECONDS


class UpdatePoller:
    """Runs `ImageUpdates.poll` once per interval across the replicas."""

    def __init__(
        self, updates: ImageUpdates, schedule: AsyncCollection[Document], interval: float | None = None
    ) -> None:
        self.updates = updates
        self.schedule = schedule
        self.interval = interval if interval is not None else poll_seconds()
        self.owner = uuid.uuid4().hex
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the timer (the first sweep comes after one wake-up, once heartbeats have filled the cache)."""
        if self.task is None:
            self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop the timer (a sweep in progress is cancelled; its claim expires)."""
        if self.task is not None:
            await cancel_and_wait(self.task)
            self.task = None

    async def claim(self) -> bool:
        """Whether this replica got the next sweep (its time has come and no other replica took it)."""
        now = now_ms()
        try:
            await self.schedule.update_one(
                {"_id": SCHEDULE_ID, "next": {"$lte": now}},
                {"$set": {"next": now + int(self.interval * 1000), "owner": self.owner}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # the document exists and is not due: not our turn
        found = await self.schedule.find_one({"_id": SCHEDULE_ID})
        return found is not None and found.get("owner") == self.owner and int(found["next"]) > now

    async def _hold(self) -> None:
        while True:
            await asyncio.sleep(HOLD_SECONDS / 3)
            ahead = now_ms() + int(HOLD_SECONDS * 1000)
            await self.schedule.update_one(
                {"_id": SCHEDULE_ID, "owner": self.owner, "next": {"$lt": ahead}}, {"$set": {"next": ahead}}
            )

    async def run_once(self) -> bool:
        """Sweep if this replica claims the turn; whether it did."""
        if not await self.claim():
            return False
        holding = asyncio.create_task(self._hold())
        try:
            logs = await self.updates.poll()
        finally:
            await cancel_and_wait(holding)
        if not logs:
            return True
        found = sum(1 for entry in logs if "update available" in entry.stdout)
        failed = [entry for entry in logs if not entry.success]
        log.info(
            "image update poll: %d deployments and stacks checked, %d with updates, %d failed",
            len(logs),
            found,
            len(failed),
        )
        for entry in failed:
            log.warning("image update poll: %s: %s", entry.stage, entry.stderr)
        return True

    async def _loop(self) -> None:
        # Wake more often than the interval so a replica that stopped mid-interval is replaced soon.
        wake = min(self.interval, HOLD_SECONDS)
        while True:
            await asyncio.sleep(wake)
            try:
                await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("image update poll failed")
