"""Whether each sync has pending changes, and the `ResourceSyncPendingChanged` event when that flips.

The last known state is a document per sync in the sync database (`PendingState`); the event rides in the same
write that flips it (the outbox, `services/common/outbox.py`), so a flip is announced exactly once, even with
replicas refreshing the same sync at once (the write is a compare-and-set on the state).
"""

from __future__ import annotations

from pymongo.errors import DuplicateKeyError

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.resource_sync import ResourceSync
from contracts.events.resource_sync import ResourceSyncPendingChanged
from services.common.mongo import Document
from services.common.outbox import Outbox, with_event

COLLECTION = "PendingState"
"""The collection of the states."""


class PendingStates:
    """The last pending state of every sync."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.coll = outbox.db[COLLECTION]
        outbox.carries(self.coll)

    async def record(self, sync: ResourceSync, pending: bool) -> bool:
        """Store the state; True (and the event on its way) when it flipped. A sync first seen pending flips;
        one first seen clean does not."""
        event = ResourceSyncPendingChanged(
            resource=ResourceTarget(type=ResourceTargetVariant.ResourceSync, id=sync.id),
            name=sync.name,
            pending=pending,
            pending_alert=sync.config.pending_alert,
        )
        update: Document = {"$set": {"pending": pending, "name": sync.name}}
        try:
            if pending:
                found = await self.coll.update_one(
                    {"_id": sync.id, "pending": {"$ne": True}}, with_event(update, event), upsert=True
                )
            else:
                found = await self.coll.update_one(
                    {"_id": sync.id, "pending": True}, with_event(update, event)
                )
        except DuplicateKeyError:
            return False  # already in that state (the filter missed and the upsert met the document)
        flipped = bool(found.modified_count or found.upserted_id is not None)
        if flipped:
            self.outbox.wake(COLLECTION)
        return flipped
