"""Keeping every sync's pending changes current: every `KOMODO_RESOURCE_POLL_INTERVAL`, and shortly after
resources, tags or variables change (the registry's `ResourceChanged` events, heard on core NATS: one missed
while the service was down is caught by the next poll).

Changes come in bursts (a RunSync writes hundreds), so a change only marks the syncs dirty and they are
refreshed once the burst has been quiet for `SETTLE_SECONDS`. A change to one sync refreshes that sync alone.
With several replicas, a short lease in the sync database lets one of them do each round.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING, Any

from nats.aio.msg import Msg
from pymongo.errors import DuplicateKeyError

from contracts.api.read.resource_sync import ListFullResourceSyncs
from contracts.entities.common import ResourceTargetVariant, timelength_seconds
from contracts.entities.resource_sync import ResourceSync
from contracts.events.resource import ResourceChanged
from services.common.errors import ServiceError
from services.common.tasks import cancel_and_wait
from services.sync.pending import refresh

if TYPE_CHECKING:
    from services.sync.app import Sync

log = logging.getLogger(__name__)

SETTLE_SECONDS = 2.0
"""Quiet time after a change before the syncs are refreshed."""
ROUND_LEASE_MS = 30_000
"""How long one replica holds a refresh round."""


class Refresher:
    """Refreshes syncs in the background."""

    def __init__(self, app: Sync) -> None:
        self.app = app
        self.dirty = asyncio.Event()
        self.only: set[str] | None = set()
        """Sync ids to refresh in the next round; None: all of them."""
        self.task: asyncio.Task[None] | None = None
        self.sub: Any = None
        self.rounds = self.app.db["RefreshRound"]

    async def start(self) -> None:
        """Listen to resource changes and start the loop."""
        self.sub = await self.app.bus.nc.subscribe(ResourceChanged.SUBJECT, cb=self._heard)
        self.task = asyncio.create_task(self._loop())

    async def stop(self) -> None:
        """Stop listening and looping."""
        if self.sub is not None:
            with contextlib.suppress(Exception):
                await self.sub.unsubscribe()
        if self.task is not None:
            await cancel_and_wait(self.task)

    async def _heard(self, msg: Msg) -> None:
        try:
            event = ResourceChanged.model_validate_json(msg.data)
        except ValueError:
            return
        self.mark(
            event.resource.id
            if event.resource and event.resource.type == ResourceTargetVariant.ResourceSync
            else None
        )

    def mark(self, sync_id: str | None) -> None:
        """Refresh that sync (None: every sync) soon."""
        if sync_id is None:
            self.only = None
        elif self.only is not None:
            self.only.add(sync_id)
        self.dirty.set()

    async def _loop(self) -> None:
        poll = timelength_seconds(self.app.settings.resource_poll_interval)
        next_poll = time.monotonic() + poll
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.dirty.wait(), max(0.0, next_poll - time.monotonic()))
            if self.dirty.is_set():
                while self.dirty.is_set():  # wait for the burst to settle
                    self.dirty.clear()
                    await asyncio.sleep(SETTLE_SECONDS)
                only, self.only = self.only, set()
            else:
                only, next_poll = None, time.monotonic() + poll
            try:
                await self.round(only)
            except Exception:
                log.exception("refreshing the syncs failed")

    async def _claim(self) -> bool:
        now = int(time.time() * 1000)
        try:
            await self.rounds.find_one_and_update(
                {"_id": "round", "until": {"$lt": now}},
                {"$set": {"until": now + ROUND_LEASE_MS}},
                upsert=True,
            )
        except DuplicateKeyError:
            return False  # another replica holds the round (the filter missed, the upsert collided)
        return True

    async def round(self, only: set[str] | None) -> int:
        """Refresh these syncs (None: all); how many were refreshed."""
        if not await self._claim():
            return 0
        headers = self.app.sync_user_headers()
        try:
            syncs: list[ResourceSync] = await self.app.bus.request(ListFullResourceSyncs(limit=0), headers)
            count = 0
            for sync in syncs:
                if only is not None and sync.id not in only:
                    continue
                try:
                    await refresh(self.app.registry, headers, self.app.settings, sync, self.app.states)
                    count += 1
                except ServiceError as err:
                    log.warning("could not refresh sync %s: %s", sync.name, err.message)
            return count
        finally:
            await self.rounds.update_one({"_id": "round"}, {"$set": {"until": 0}})
