"""The transactional outbox: events are stored with the state change they describe, then relayed to JetStream.

A state change and its event are written together, so an event is never lost to a crash or a NATS outage between
the write and the publish:

- an event about one document rides in that document's own write: `with_event(update, event)` adds it under
  the document's `_outbox` sub-document (keyed by a random key, counted in `_outbox_n`) to the same
  `update_one`, and `with_pending(doc, event)` to a document being inserted;
- an event whose change removes a document (a delete) is stored in the `Outbox` collection first, *guarded* by
  that document: it is published only once the document is gone, and dropped if the document is still there
  after `GUARD_SECONDS` (the delete did not happen); the events the document still carries are moved to the
  `Outbox` collection too (`keep_pending`), so they are not deleted with it;
- an event with no document to ride in (a state derived from heartbeats, an execution's end) is stored in the
  `Outbox` collection: from then on it is delivered at least once.

The `Relay` (one per service process that writes events) publishes every pending event with its id as
`Nats-Msg-Id`, retries until JetStream acknowledges it, and only then removes it from the outbox. It starts by
sweeping what earlier runs left, sweeps again every `SWEEP_SECONDS`, and at once when a write `wake`s it. Several
replicas relaying the same entry publish it twice, which JetStream's de-duplication window (`DUPLICATE_WINDOW_
SECONDS`, longer than any retry) stores once; consumers also skip ids they handled (`services/common/consumer`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from typing import Any, Final

from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from contracts.events.base import Event
from contracts.subjects import EVENTS_STREAM
from services.common.mongo import Document, only_duplicates
from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

OUTBOX_FIELD: Final = "_outbox"
"""The sub-document of a document that holds the events written with it (by a random key) until published.
Not an array: nx-27017 turns the objects of an array that `$push` wrote into JSON strings."""
PENDING_COUNT: Final = "_outbox_n"
"""How many events a document's outbox holds (what a sweep queries: nx-27017 cannot test an empty sub-document)."""
HAS_PENDING: Final = {PENDING_COUNT: {"$gt": 0}}
"""Matches documents with pending events."""
OUTBOX_COLLECTION: Final = "Outbox"
"""The collection of events that have no document to ride in (and of guarded delete events)."""
SWEEP_SECONDS: Final = 5.0
"""How often the relay looks for pending events without being woken."""
GUARD_SECONDS: Final = 60.0
"""How long a guarded event waits for its document to go before it is dropped as never having happened."""
PUBLISH_TIMEOUT_SECONDS: Final = 5.0
"""How long one publish waits for JetStream's acknowledgement."""
MAX_BACKOFF_SECONDS: Final = 30.0
"""The longest pause between two relay attempts while JetStream does not acknowledge."""
DUPLICATE_WINDOW_SECONDS: Final = 600
"""The events stream's de-duplication window: a retried publish within it is stored once. It is far longer
than the relay's retry pause, so an entry published but not yet removed (a crash in between) is dropped by
JetStream when the next sweep publishes it again."""


def now_ms() -> int:
    """The time in unix milliseconds."""
    return int(time.time() * 1000)


def entry(event: Event) -> Document:
    """The stored form of a pending event: its id, subject and JSON body, and when it was written."""
    return {
        "id": event.id,
        "subject": event.SUBJECT,
        "data": event.model_dump_json(by_alias=True),
        "ts": now_ms(),
    }


def with_event(update: dict[str, Any], event: Event) -> dict[str, Any]:
    """`update` (a Mongo update with operators) that also stores `event` in the written document's outbox."""
    return with_entries(update, [entry(event)])


def with_entries(update: dict[str, Any], entries: list[Document]) -> dict[str, Any]:
    """`update` that also stores events already in their stored form (`entry`) in the written document's
    outbox."""
    merged = {op: dict(fields) for op, fields in update.items()}
    if not entries:
        return merged
    for stored in entries:
        merged.setdefault("$set", {})[f"{OUTBOX_FIELD}.{uuid.uuid4().hex}"] = stored
    increments = merged.setdefault("$inc", {})
    increments[PENDING_COUNT] = increments.get(PENDING_COUNT, 0) + len(entries)
    return merged


def with_pending(doc: Document, *events: Event) -> Document:
    """A document to insert, carrying `events` in its outbox."""
    return {
        **doc,
        OUTBOX_FIELD: {uuid.uuid4().hex: entry(e) for e in events},
        PENDING_COUNT: len(events),
    }


class Publisher:
    """What the relay publishes through: a JetStream context, fetched when needed (the bus may reconnect)."""

    def __init__(self, js_of: Any) -> None:
        self._js_of = js_of

    async def publish(self, item: Document) -> None:
        """Publish one stored event; raises unless JetStream acknowledged it."""
        await self._js_of().publish(
            str(item["subject"]),
            str(item["data"]).encode(),
            headers={"Nats-Msg-Id": str(item["id"])},
            stream=EVENTS_STREAM,
            timeout=PUBLISH_TIMEOUT_SECONDS,
        )


class Outbox:
    """One service's outbox: the collections whose documents carry events, the `Outbox` collection, the relay."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.db = db
        self.coll: AsyncCollection[Document] = db[OUTBOX_COLLECTION]
        self.carriers: dict[str, AsyncCollection[Document]] = {}
        self._wake = asyncio.Event()
        self._hints: set[str] = set()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._publisher: Publisher | None = None
        self.published = 0
        """How many events this process's relay had acknowledged (for tests and benchmarks)."""

    def carries(self, coll: AsyncCollection[Document]) -> None:
        """Declare that documents of `coll` carry events in their `_outbox` (the relay sweeps it)."""
        self.carriers[coll.name] = coll

    async def ensure_indexes(self) -> None:
        """Index the outbox arrays, so a sweep finds the few documents with pending events quickly."""
        for coll in self.carriers.values():
            await coll.create_index(PENDING_COUNT, sparse=True)

    async def record(self, *events: Event, guard: tuple[str, Any] | None = None) -> None:
        """Store events that ride in no document, in one write; with `guard` (collection, _id), publish them only
        once that document is gone (see the module docstring). An event recorded twice is stored once (its id
        is the entry's `_id`). If the write fails, the events that were stored stay stored (and go out), the
        others are not, and the error is raised: recording them again stores each missing one once."""
        docs: list[Document] = []
        for event in events:
            doc: Document = {"_id": event.id, **entry(event)}
            if guard is not None:
                doc["guard"] = {"collection": guard[0], "id": guard[1]}
            docs.append(doc)
        if not docs:
            return
        try:
            # Unordered, so a duplicate does not stop the events after it.
            await self.coll.insert_many(docs, ordered=False)
        except BulkWriteError as err:
            if not only_duplicates(err):
                raise
        self.wake(OUTBOX_COLLECTION)

    async def keep_pending(self, doc: Document | None) -> None:
        """Move the events a document carries to the `Outbox` collection (before and after deleting it, so events
        written with it are not deleted with it; the same event stored twice is stored once)."""
        for item in ((doc or {}).get(OUTBOX_FIELD) or {}).values():
            with contextlib.suppress(DuplicateKeyError):
                await self.coll.insert_one({"_id": item["id"], **item})

    def wake(self, collection: str) -> None:
        """Tell the relay that `collection` got an event (it publishes at once, looking only at the collections
        named since its last sweep, instead of waiting for the next full sweep)."""
        self._hints.add(collection)
        self._wake.set()

    # --- the relay --------------------------------------------------------------------------------

    def start(self, publisher: Publisher) -> None:
        """Start relaying pending events (those left by earlier runs first)."""
        self._publisher = publisher
        self._stopping = False
        if self._task is None:
            self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        """Stop relaying; what is still pending stays stored for the next start (of this or any replica)."""
        if self._task is not None:
            # The flag ends the loop even if a cancellation is lost (Python 3.11's wait_for can swallow one that
            # comes as its inner wait completes, and a relay stuck waiting on Mongo or NATS needs the cancel).
            self._stopping = True
            self._wake.set()
            await cancel_and_wait(self._task)
            self._task = None

    async def _run(self) -> None:
        backoff = 0.5
        loop = asyncio.get_running_loop()
        full_at = 0.0
        while not self._stopping:
            self._wake.clear()
            only: set[str] | None = None
            if loop.time() < full_at:
                only, self._hints = self._hints, set()
            else:
                self._hints.clear()
            try:
                await self.sweep(only)
                if only is None:
                    full_at = loop.time() + SWEEP_SECONDS
                backoff = 0.5
                timeout = max(0.0, full_at - loop.time())
            except Exception as err:
                full_at = 0.0  # the retry sweeps everything
                log.warning("outbox relay: could not publish pending events (retrying): %s", err)
                timeout = backoff
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()

    async def sweep(self, only: set[str] | None = None) -> int:
        """Publish every pending event once (in write order per document) and remove the acknowledged ones, in
        the collections named in `only` (None: all); answers how many were published. Raises on the first
        publish JetStream did not acknowledge."""
        if self._publisher is None:
            raise RuntimeError("the outbox relay is not started")
        count = 0
        for name, coll in self.carriers.items():
            if only is not None and name not in only:
                continue
            async for doc in coll.find(HAS_PENDING, {OUTBOX_FIELD: 1}):
                items = sorted((doc.get(OUTBOX_FIELD) or {}).items(), key=lambda kv: int(kv[1].get("ts", 0)))
                for key, item in items:
                    await self._publisher.publish(item)
                    path = f"{OUTBOX_FIELD}.{key}"
                    # Only the relay that removes the entry counts it down (another replica may race).
                    await coll.update_one(
                        {"_id": doc["_id"], path: {"$exists": True}},
                        {"$unset": {path: ""}, "$inc": {PENDING_COUNT: -1}},
                    )
                    count += 1
        if only is not None and OUTBOX_COLLECTION not in only:
            self.published += count
            return count
        async for item in self.coll.find({}).sort("ts", 1):
            if not await self._guard_allows(item):
                continue
            await self._publisher.publish(item)
            await self.coll.delete_one({"_id": item["_id"]})
            count += 1
        self.published += count
        return count

    async def _guard_allows(self, item: Document) -> bool:
        """Whether a guarded event may go (its document is gone); one whose document stayed is dropped."""
        guard = item.get("guard")
        if not guard:
            return True
        if await self.db[str(guard["collection"])].find_one({"_id": guard["id"]}, {"_id": 1}) is None:
            return True
        if now_ms() - int(item.get("ts", 0)) > GUARD_SECONDS * 1000:
            log.warning(
                "outbox: dropping event %s: %s %s was not deleted",
                item["_id"],
                guard["collection"],
                guard["id"],
            )
            await self.coll.delete_one({"_id": item["_id"]})
        return False
