"""Which request subjects a running service answers, kept in the JetStream KV bucket `varanus_presence`.

Every service instance writes its subjects under its own key `<service>.<id>` (rewritten every 10 s) and beats
every second under `<service>.<id>.beat` (a timestamp only: the subject list of a service is several KB, so
beating with it would cost ten times the traffic); an instance whose last write is 4 s old counts as gone (its
process was killed or frozen), and an instance that stops deletes its entries. The registry reads the bucket to
tell a caller that nothing answers a request (its service is not running) instead of letting the caller wait for
a timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid

import nats.js.errors
from nats.js import JetStreamContext
from nats.js.api import KeyValueConfig, StorageType
from nats.js.kv import KeyValue

from services.common.tasks import cancel_and_wait

log = logging.getLogger(__name__)

BUCKET = "varanus_presence"
"""The KV bucket of presence entries."""
REFRESH_SECONDS = 1.0
"""How often an instance beats."""
SUBJECTS_EVERY = 10
"""Every how many beats the subject list is written again (so a registry that starts finds it)."""
BEAT_SUFFIX = ".beat"
"""The suffix of an instance's beat key."""
STALE_AFTER_SECONDS = 4.0
"""An entry older than this is an instance that is gone (a few missed beats, so a loaded host is not mistaken
for a dead one)."""


async def presence_bucket(js: JetStreamContext) -> KeyValue:
    """The presence bucket, created when missing (entries of instances that died expire after a minute)."""
    try:
        return await js.key_value(BUCKET)
    except nats.js.errors.BucketNotFoundError:
        config = KeyValueConfig(bucket=BUCKET, history=1, ttl=60.0, storage=StorageType.MEMORY)
        try:
            return await js.create_key_value(config)
        except nats.js.errors.BadRequestError:
            return await js.key_value(BUCKET)  # another instance created it first


class Presence:
    """One instance's entry: the subjects it answers."""

    def __init__(self, service: str, subjects: list[str]) -> None:
        self.key = f"{service}.{uuid.uuid4().hex[:12]}"
        self.value = {"service": service, "subjects": sorted(subjects)}
        self._kv: KeyValue | None = None
        self._task: asyncio.Task[None] | None = None

    async def _put(self) -> None:
        assert self._kv is not None
        await self._kv.put(self.key, json.dumps({**self.value, "ts": time.time()}).encode())

    async def _beat(self) -> None:
        assert self._kv is not None
        await self._kv.put(self.key + BEAT_SUFFIX, json.dumps({"ts": time.time()}).encode())

    async def _refresh(self) -> None:
        beats = 0
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            beats += 1
            try:
                await (self._put() if beats % SUBJECTS_EVERY == 0 else self._beat())
            except Exception as err:  # the bus may be reconnecting; the next round tries again
                log.warning("could not refresh presence: %s", err)

    async def start(self, js: JetStreamContext) -> None:
        """Write the entry and keep it fresh."""
        self._kv = await presence_bucket(js)
        await self._put()
        self._task = asyncio.create_task(self._refresh())

    async def stop(self) -> None:
        """Remove the entry (callers learn at once that this instance is gone)."""
        if self._task is not None:
            await cancel_and_wait(self._task)
        if self._kv is not None:
            with contextlib.suppress(Exception):
                await self._kv.delete(self.key)
            with contextlib.suppress(Exception):
                await self._kv.delete(self.key + BEAT_SUFFIX)


class PresenceView:
    """A live view of every instance's subjects, from a watch on the bucket.

    An instance's time is when this view last heard from it (its own clock only for the entries found at start):
    with a 4 s bound, hosts whose clocks differ by seconds must not look dead or alive to each other.
    """

    def __init__(self) -> None:
        self.entries: dict[str, tuple[float, frozenset[str]]] = {}
        self._task: asyncio.Task[None] | None = None

    async def start(self, js: JetStreamContext) -> None:
        """Load the current entries, then follow changes."""
        kv = await presence_bucket(js)
        watcher = await kv.watchall()
        async for entry in watcher:
            if entry is None:  # the end of the current values
                break
            self._apply(entry.key, entry.value, entry.operation)
        self._task = asyncio.create_task(self._follow(watcher))

    async def _follow(self, watcher: nats.js.kv.KeyValue.KeyWatcher) -> None:
        async for entry in watcher:
            if entry is not None:
                self._apply(entry.key, entry.value, entry.operation, received=time.time())

    def _apply(
        self, key: str, value: bytes | None, operation: str | None, received: float | None = None
    ) -> None:
        """Take in a change of the bucket, heard at `received` (None: as old as the writer says, capped at now)."""
        beat = key.endswith(BEAT_SUFFIX)
        if operation in {"DEL", "PURGE"} or not value:
            if not beat:
                self.entries.pop(key, None)
            return
        try:
            data = json.loads(value)
            ts = received if received is not None else min(float(data["ts"]), time.time())
            if beat:
                instance = key.removesuffix(BEAT_SUFFIX)
                known = self.entries.get(instance)
                if known is not None:  # a beat of an instance whose subjects are not read yet waits for them
                    self.entries[instance] = (max(known[0], ts), known[1])
            else:
                self.entries[key] = (ts, frozenset(data["subjects"]))
        except (ValueError, KeyError, TypeError):
            log.warning("ignoring a malformed presence entry %s", key)

    def answers(self, subject: str) -> bool:
        """Whether a live instance answers `subject`."""
        fresh = time.time() - STALE_AFTER_SECONDS
        return any(ts >= fresh and subject in subjects for ts, subjects in self.entries.values())

    def went_stale(self, subject: str) -> bool:
        """Whether every instance listed for `subject` stopped beating without deleting its entry (killed or
        frozen, not stopped: a stopping instance deletes its entry and still answers what it received)."""
        fresh = time.time() - STALE_AFTER_SECONDS
        listed = [ts for ts, subjects in self.entries.values() if subject in subjects]
        return bool(listed) and all(ts < fresh for ts in listed)

    async def stop(self) -> None:
        """Stop following the bucket."""
        if self._task is not None:
            await cancel_and_wait(self._task)
