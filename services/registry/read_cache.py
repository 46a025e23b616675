"""Resource reads answered from memory, dropped whenever the collection they came from is written.

Every read the registry answers most (`Get<Resource>`, a page of `List<Resources>`, the names a list shows)
asks the database once or more; on the embedded MongoDB one `find_one` alone costs about 0.7 ms, more than the
rest of a `GetDeployment` over the bus. So the registry keeps what it read, per collection, and drops all of a
collection's reads whenever anything writes it:

- this replica's own writes go through `WatchedCollection`, which drops the collection's reads once the write
  has returned (or failed: it may have been applied), before the write's caller answers anyone;
- another replica's writes arrive as a notice on `komodo.registry.dropped.<collection>` (a plain NATS publish
  by that replica's `WatchedCollection`), normally within a millisecond of its write;
- a read that was in flight while a drop happened is not kept (it may hold what the write replaced);
- nothing is kept while this replica's NATS connection is down, a reconnect drops everything (notices may have
  been missed), and no read is kept longer than `CACHE_SECONDS` in any case: the bound if a notice were lost.

Permissions are not part of what is kept: each request still checks the caller's grants, and a non-admin's
list scope is part of the key of the page it reads.

The executor's live answers for deployment and stack lists (`GetLiveInfo`) are kept the same way under
`LIVE_READS`, keyed by the ids and hints asked; they are dropped when an executor replica says on
`komodo.executor.live.changed` that containers, status lines or image checks changed (within 100 ms of the
change, see `services/executor/live_changes.py`), and follow the same rules otherwise. Those for server lists
are kept under `SERVER_LIVE_READS`, dropped on `komodo.executor.live.servers.changed` (a heartbeat or beat, a
server going Ok or NotOk).
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, TypeVar

from nats.aio.client import Client as NatsClient
from nats.aio.msg import Msg
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.results import BulkWriteResult, DeleteResult, InsertManyResult, InsertOneResult, UpdateResult

from contracts.entities.common import ResourceTargetVariant
from contracts.subjects import (
    KEPT_FOR_HEADER,
    KEPT_FROM_HEADER,
    LIVE_NOTICES,
    LIVE_READS,
    REGISTRY_READS_DROPPED_WILDCARD,
    REPLICA_HEADER,
    SERVER_LIVE_READS,
    registry_reads_dropped_subject,
)
from services.common.bus import add_reply_header
from services.common.mongo import Document
from services.common.notice_link import NoticeLink
from services.common.shared_loads import SharedLoads

log = logging.getLogger(__name__)

T = TypeVar("T")


def live_reads_of(variant: ResourceTargetVariant) -> str:
    """Where the kept live answers of a kind's lists go (`SERVER_LIVE_READS` for servers, else `LIVE_READS`)."""
    return SERVER_LIVE_READS if variant == ResourceTargetVariant.Server else LIVE_READS


CACHE_SECONDS = 5.0
"""How long a read is kept at most: the backstop for a drop notice of another replica that never arrived."""

MAX_WEIGHT_PER_COLLECTION = 10_000
"""How much is kept per collection, counted in documents (a page of 100 counts 100, a resource 1); past that the
least recently used reads go, and a single read weighing more is not kept at all."""


def weight_of(value: object) -> int:
    """What a kept read counts against `MAX_WEIGHT_PER_COLLECTION`: its length when it is a collection of
    documents or names, else 1."""
    return max(1, len(value)) if isinstance(value, tuple | list | dict) else 1


@dataclass(slots=True)
class Made:
    """What one answer was made of (`ReadCache.tracking`): the collections (and live answers) it read, until when
    the oldest kept read among them may be used, and whether every part of it was read in a way their notices
    cover."""

    sources: set[str] = field(default_factory=set)
    until: float = float("inf")
    whole: bool = True


_MAKING: ContextVar[Made | None] = ContextVar("varanus_registry_making", default=None)
"""The answer being made in this task, while a handler tracks it."""


@dataclass(slots=True)
class _Kept:
    value: Any
    until: float
    weight: int


class ReadCache:
    """What this registry replica read, per collection, until the collection is written."""

    def __init__(self, max_age: float = CACHE_SECONDS, max_weight: int = MAX_WEIGHT_PER_COLLECTION) -> None:
        self.replica = uuid.uuid4().hex
        """This replica's name on its notices (its own notices come back to it and are ignored)."""
        self.max_age = max_age
        self.max_weight = max_weight
        self._kept: dict[str, OrderedDict[Hashable, _Kept]] = {}
        self._weights: dict[str, int] = {}
        self._generations: dict[str, int] = {}
        self._dependents: dict[str, set[str]] = {}
        self._sources: dict[str, set[str]] = {}
        self._link = NoticeLink(self.drop_all)
        self._loads: SharedLoads[Any] = SharedLoads()
        self.hits = 0
        """Reads answered from memory (for tests and benchmarks)."""

    @property
    def joined(self) -> int:
        """Reads that shared a load already under way (for tests and benchmarks)."""
        return self._loads.joined

    def held(self, collection: str) -> int:
        """How many reads of `collection` are kept now (for tests and benchmarks)."""
        return len(self._kept.get(collection) or ())

    async def watch(self, nc: NatsClient) -> None:
        """Hear the other replicas' writes and the executors' live changes on `nc`, and keep reads from now on."""
        await self._link.start(nc, (REGISTRY_READS_DROPPED_WILDCARD, *LIVE_NOTICES), self._on_notice)

    async def stop(self) -> None:
        """Stop keeping reads and hearing notices."""
        await self._link.stop()
        self.drop_all()

    async def _on_notice(self, msg: Msg) -> None:
        live = LIVE_NOTICES.get(msg.subject)
        if live is not None:
            self.drop(live)
            return
        if (msg.headers or {}).get(REPLICA_HEADER) == self.replica:
            return
        self.drop(msg.subject.rsplit(".", 1)[-1])

    def depends(self, derived: str, sources: set[str]) -> None:
        """Reads kept under `derived` are made from reads of `sources`: dropping any of those drops them too
        (and a derived read in flight during such a drop is not kept)."""
        for source in sources:
            self._dependents.setdefault(source, set()).add(derived)
        self._sources.setdefault(derived, set()).update(sources)

    def _leaves(self, name: str) -> set[str]:
        """The collections and live answers `name` is made of (itself, when it is one)."""
        sources = self._sources.get(name)
        if not sources:
            return {name}
        return set().union(*(self._leaves(source) for source in sources))

    @contextlib.contextmanager
    def tracking(self) -> Iterator[Made]:
        """Note what the reads made within (in this task, and the tasks it starts) come from, for `offer`."""
        made = Made()
        token = _MAKING.set(made)
        try:
            yield made
        finally:
            _MAKING.reset(token)

    def reads_from(self, collection: str) -> None:
        """The answer being tracked read `collection` directly (its writes drop it, as a kept read's)."""
        made = _MAKING.get()
        if made is not None:
            made.sources.add(collection)

    @staticmethod
    def untracked() -> None:
        """The answer being tracked read something no notice covers: it may not be kept by anyone."""
        made = _MAKING.get()
        if made is not None:
            made.whole = False

    def offer(self, made: Made) -> None:
        """Say in the reply that its answer may be kept (`KEPT_FROM_HEADER`, `KEPT_FOR_HEADER`) when every read
        it was made of is covered by notices, and while this replica hears them; the caller's rights are
        covered by `CredentialsChanged`."""
        if not made.whole or not made.sources or not self._link.usable():
            return
        left = min(made.until - time.monotonic(), self.max_age)
        if left <= 0:
            return
        add_reply_header(KEPT_FROM_HEADER, ",".join(sorted(made.sources)))
        add_reply_header(KEPT_FOR_HEADER, f"{left:.3f}")

    def drop(self, collection: str) -> None:
        """Forget every read from `collection` (and what was derived from it); a read of it in flight is not
        kept."""
        self._generations[collection] = self._generations.get(collection, 0) + 1
        self._kept.pop(collection, None)
        self._weights.pop(collection, None)
        for derived in self._dependents.get(collection, ()):
            self.drop(derived)

    def drop_all(self) -> None:
        """Forget every read; reads in flight are not kept."""
        for collection in list(self._generations) + list(self._kept):
            self.drop(collection)

    async def wrote(self, collection: str) -> None:
        """This replica wrote `collection`: drop its reads here and tell the other replicas."""
        self.drop(collection)
        nc = self._link.nc
        if nc is None or not nc.is_connected:
            return
        try:
            await nc.publish(
                registry_reads_dropped_subject(collection), b"", headers={REPLICA_HEADER: self.replica}
            )
        except Exception as err:
            log.warning("could not tell the other registry replicas that %s changed: %s", collection, err)

    async def read(
        self,
        collection: str,
        key: Hashable,
        load: Callable[[], Awaitable[T]],
        keep: Callable[[T], bool] | None = None,
    ) -> T:
        """What `load` reads from `collection` for `key`: kept from an earlier call when nothing wrote the
        collection since (and not older than `max_age`), else loaded now and kept. A None is not kept, nor a
        value `keep` says no to."""
        made = _MAKING.get()
        if not self._link.usable():
            self.untracked()
            return await load()
        now = time.monotonic()
        if made is not None:
            made.sources |= self._leaves(collection)
        kept = self._kept.get(collection)
        if kept is not None:
            hit = kept.get(key)
            if hit is not None:
                if hit.until > now:
                    kept.move_to_end(key)
                    self.hits += 1
                    if made is not None:
                        made.until = min(made.until, hit.until)
                    value: T = hit.value
                    return value
                self._forget(collection, key)
        if made is not None:
            made.until = min(made.until, now + self.max_age)
        generation = self._generations.get(collection, 0)
        # A crowd that misses after a drop asks the database once.
        loaded: T = await self._loads.load((collection, key), generation, load)
        if (
            loaded is not None
            and (keep is None or keep(loaded))
            and generation == self._generations.get(collection, 0)
            and self._link.usable()
        ):
            self._keep(collection, key, loaded)
        return loaded

    def _keep(self, collection: str, key: Hashable, value: object) -> None:
        weight = weight_of(value)
        if weight > self.max_weight:
            return
        self._forget(collection, key)
        kept = self._kept.setdefault(collection, OrderedDict())
        kept[key] = _Kept(value, time.monotonic() + self.max_age, weight)
        total = self._weights.get(collection, 0) + weight
        while total > self.max_weight:
            _, oldest = kept.popitem(last=False)
            total -= oldest.weight
        self._weights[collection] = total

    def _forget(self, collection: str, key: Hashable) -> None:
        kept = self._kept.get(collection)
        gone = kept.pop(key, None) if kept is not None else None
        if gone is not None:
            self._weights[collection] = self._weights.get(collection, 0) - gone.weight


class WatchedCollection(AsyncCollection[Document]):
    """A collection whose every write drops the registry's kept reads of it (here and in the other replicas).

    Each write method is the driver's own; the drop follows it whether it returned or raised (a write that
    timed out may still have been applied).
    """

    def __init__(self, db: AsyncDatabase[Document], name: str, cache: ReadCache) -> None:
        super().__init__(db, name)
        self.read_cache = cache

    async def insert_one(self, *args: Any, **kwargs: Any) -> InsertOneResult:
        try:
            return await super().insert_one(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def insert_many(self, *args: Any, **kwargs: Any) -> InsertManyResult:
        try:
            return await super().insert_many(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def update_one(self, *args: Any, **kwargs: Any) -> UpdateResult:
        try:
            return await super().update_one(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def update_many(self, *args: Any, **kwargs: Any) -> UpdateResult:
        try:
            return await super().update_many(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def replace_one(self, *args: Any, **kwargs: Any) -> UpdateResult:
        try:
            return await super().replace_one(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def delete_one(self, *args: Any, **kwargs: Any) -> DeleteResult:
        try:
            return await super().delete_one(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def delete_many(self, *args: Any, **kwargs: Any) -> DeleteResult:
        try:
            return await super().delete_many(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def bulk_write(self, *args: Any, **kwargs: Any) -> BulkWriteResult:
        try:
            return await super().bulk_write(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def find_one_and_update(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().find_one_and_update(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def find_one_and_replace(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().find_one_and_replace(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def find_one_and_delete(self, *args: Any, **kwargs: Any) -> Any:
        try:
            return await super().find_one_and_delete(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)

    async def drop(self, *args: Any, **kwargs: Any) -> None:
        try:
            await super().drop(*args, **kwargs)
        finally:
            await self.read_cache.wrote(self.name)
