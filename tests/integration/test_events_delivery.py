"""Events that are delivered: the outbox relays what was written while it was down, once; a durable consumer
killed mid-stream and restarted handles every event once in effect; poison ends in the dead-letter subject."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import nats
import pytest
from bson import ObjectId
from faststream.nats import NatsBroker
from nats.aio.client import Client as NatsClient
from nats.js.api import ConsumerConfig, DeliverPolicy
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from contracts.events.base import Event
from contracts.events.resource import ResourceChange, ResourceChanged
from contracts.subjects import EVENTS_STREAM
from services.common import consumer as consumer_module
from services.common import outbox as outbox_module
from services.common.bus import ensure_events_stream
from services.common.consumer import Consumer, deadletter_subject, ensure_deadletter_stream
from services.common.mongo import Document
from services.common.outbox import Outbox, Publisher, with_event, with_pending


@pytest.fixture
async def nc(nats_url: str) -> AsyncIterator[NatsClient]:
    client = await nats.connect(nats_url)
    await ensure_events_stream(client.jetstream())
    await ensure_deadletter_stream(client.jetstream())
    yield client
    await client.close()


@pytest.fixture
async def db(mongo_url: str, db_prefix: str) -> AsyncIterator[AsyncDatabase[Document]]:
    client: AsyncMongoClient[Document] = AsyncMongoClient(mongo_url)
    yield client[f"{db_prefix}_events"]
    await client.close()


def changed(name: str) -> ResourceChanged:
    return ResourceChanged(change=ResourceChange.Deleted, name=name)


async def until(check: Callable[[], Awaitable[bool]], what: str, seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


async def stored(nc: NatsClient, subject: str, stream: str) -> list[tuple[str, bytes]]:
    """Every message on `subject` in `stream`, as (Nats-Msg-Id, body)."""
    js = nc.jetstream()
    sub = await js.subscribe(
        subject, stream=stream, ordered_consumer=True, config=ConsumerConfig(deliver_policy=DeliverPolicy.ALL)
    )
    found: list[tuple[str, bytes]] = []
    try:
        while True:
            try:
                msg = await sub.next_msg(timeout=0.5)
            except nats.errors.TimeoutError:
                return found
            found.append(((msg.headers or {}).get("Nats-Msg-Id", ""), msg.data))
    finally:
        await sub.unsubscribe()


async def test_events_written_while_the_relay_is_down_are_published_once(
    nc: NatsClient, db: AsyncDatabase[Document]
) -> None:
    first, second = Outbox(db), Outbox(db)
    for box in (first, second):
        box.carries(db["Thing"])
    inserted, updated, loose = changed("inserted"), changed("updated"), changed("loose")
    await db["Thing"].insert_one(with_pending({"_id": "t1", "v": 1}, inserted))
    await db["Thing"].update_one({"_id": "t1"}, with_event({"$set": {"v": 2}, "$inc": {"_rev": 1}}, updated))
    await first.record(loose)
    await first.record(loose)  # recording the same event twice stores it once
    ids = {inserted.id, updated.id, loose.id}
    assert await db["Thing"].find_one({"_id": "t1"}, {"_id": 0, "v": 1, "_rev": 1}) == {"v": 2, "_rev": 1}
    assert not {i for i, _ in await stored(nc, ResourceChanged.SUBJECT, EVENTS_STREAM)} & ids

    # Two replicas relay at once (as after a restart of both): each event is stored once in the stream.
    first.start(Publisher(nc.jetstream))
    second.start(Publisher(nc.jetstream))
    try:

        async def drained() -> bool:
            return (
                await db["Thing"].count_documents({"_outbox_n": {"$gt": 0}}) == 0
                and await db["Outbox"].count_documents({}) == 0
            )

        await until(drained, "the outbox to drain")
    finally:
        await first.stop()
        await second.stop()
    published = [i for i, _ in await stored(nc, ResourceChanged.SUBJECT, EVENTS_STREAM) if i in ids]
    assert sorted(published) == sorted(ids)
    assert first.published + second.published >= 3


async def test_a_batch_recorded_in_one_write_goes_out_once_each_after_a_restart(
    nc: NatsClient, db: AsyncDatabase[Document]
) -> None:
    # Some of the batch were stored by an earlier attempt whose write failed part-way (or by another replica).
    batch = [changed(f"batch-{i}") for i in range(120)]
    earlier = Outbox(db)
    await earlier.record(*batch[:30:3])
    await earlier.record(*batch)
    await earlier.record(*batch[100:])  # and some again: each is stored once
    ids = {e.id for e in batch}
    assert {doc["_id"] async for doc in db["Outbox"].find({"_id": {"$in": list(ids)}})} == ids
    # The process that recorded them died before its relay ran; the next one publishes each once.
    restarted = Outbox(db)
    restarted.start(Publisher(nc.jetstream))
    try:
        await until(lambda: _count(db["Outbox"], {"_id": {"$in": list(ids)}}, 0), "the batch to be published")
    finally:
        await restarted.stop()
    published = [i for i, _ in await stored(nc, ResourceChanged.SUBJECT, EVENTS_STREAM) if i in ids]
    assert sorted(published) == sorted(ids)


async def test_a_guarded_event_goes_only_once_its_document_is_gone(
    nc: NatsClient, db: AsyncDatabase[Document], monkeypatch: pytest.MonkeyPatch
) -> None:
    box = Outbox(db)
    box.start(Publisher(nc.jetstream))
    try:
        oid, kept_oid = ObjectId(), ObjectId()
        await db["Thing"].insert_many([{"_id": oid}, {"_id": kept_oid}])
        deleted, never = changed("deleted"), changed("never-deleted")
        await box.record(deleted, guard=("Thing", oid))
        await box.sweep()
        assert await db["Outbox"].count_documents({"_id": deleted.id}) == 1  # still there: not published yet
        await db["Thing"].delete_one({"_id": oid})
        box.wake(outbox_module.OUTBOX_COLLECTION)
        await until(
            lambda: _count(db["Outbox"], {"_id": deleted.id}, 0), "the delete's event to be published"
        )
        # A guarded event whose document stays (the delete never happened) is dropped after the guard time.
        monkeypatch.setattr(outbox_module, "GUARD_SECONDS", 0.0)
        await box.record(never, guard=("Thing", kept_oid))
        await until(lambda: _count(db["Outbox"], {"_id": never.id}, 0), "the stale guarded event to go")
    finally:
        await box.stop()
    ids = {i for i, _ in await stored(nc, ResourceChanged.SUBJECT, EVENTS_STREAM)}
    assert deleted.id in ids and never.id not in ids


async def _count(coll: object, query: dict[str, object], expected: int) -> bool:
    return bool(await coll.count_documents(query) == expected)  # type: ignore[attr-defined]


async def test_poison_messages_end_in_the_dead_letter_subject(
    nc: NatsClient,
    nats_url: str,
    db: AsyncDatabase[Document],
    db_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(consumer_module, "RETRY_DELAY_SECONDS", 0.05)
    bad, good = changed("always-fails"), changed("fine")
    runs: dict[str, int] = {}

    async def handle(event: Event) -> None:
        runs[event.id] = runs.get(event.id, 0) + 1
        if event.id == bad.id:
            raise RuntimeError("cannot handle this one")

    name = f"poison-{db_prefix}"
    consumer = Consumer(name, ResourceChanged.SUBJECT, handle, db)
    broker = NatsBroker(nats_url, logger=None)
    consumer.register(broker)
    await broker.start()
    try:
        js = nc.jetstream()
        await js.publish(ResourceChanged.SUBJECT, b"{not an event", stream=EVENTS_STREAM)
        for event in (bad, good):
            await js.publish(
                event.SUBJECT, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )

        async def dead_two() -> bool:
            return len(await stored(nc, deadletter_subject(name), "KOMODO_DEADLETTER")) == 2

        await until(dead_two, "two dead letters")
    finally:
        await broker.stop()
    dead = [body for _, body in await stored(nc, deadletter_subject(name), "KOMODO_DEADLETTER")]
    assert b"{not an event" in dead and any(bad.id.encode() in body for body in dead)
    assert runs[bad.id] == consumer_module.MAX_DELIVER and runs[good.id] == 1  # the good one is the control
    assert consumer.deadlettered == 2


def start_consumer(env: dict[str, str]) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.event_consumer_proc"],
        env={**os.environ, **env},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.strip() == b"ready", proc.stderr.read().decode() if proc.stderr else line
    return proc


async def test_a_killed_consumer_handles_every_event_once_after_a_restart(
    nc: NatsClient, nats_url: str, mongo_url: str, db: AsyncDatabase[Document], db_prefix: str
) -> None:
    env = {
        "NATS_URL": nats_url,
        "MONGO_URL": mongo_url,
        "DB_NAME": db.name,
        "CONSUMER": f"killed-{db_prefix}",
        "HANDLE_DELAY": "0.1",
        "ACK_WAIT": "2",
    }
    js = nc.jetstream()

    async def publish(events: list[ResourceChanged]) -> None:
        for event in events:
            await js.publish(
                event.SUBJECT, event.model_dump_json().encode(), headers={"Nats-Msg-Id": event.id}
            )

    before = [changed(f"before-{i}") for i in range(10)]
    during = [changed(f"during-{i}") for i in range(10)]
    ids = {e.id for e in before + during}
    proc = start_consumer(env)
    try:
        await publish(before)

        async def some_handled() -> bool:
            return await db["Effect"].count_documents({}) >= 3

        await until(some_handled, "the first events to be handled")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    marked_at_kill = {str(doc["event"]) async for doc in db["HandledEvent"].find({})}
    assert len(marked_at_kill) < len(before), "the consumer must die mid-stream"
    await publish(during)  # while no consumer runs

    proc = start_consumer(env)
    try:

        async def all_handled() -> bool:
            return await db["Effect"].count_documents({}) == len(ids)

        await until(all_handled, "every event to be handled after the restart", seconds=40)
        # Deliveries of events handled before the kill but not acked come again after ACK_WAIT: wait for them.
        await asyncio.sleep(3)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=20)
    effects = {doc["_id"] async for doc in db["Effect"].find({})}
    assert effects == ids
    runs = {doc["_id"]: doc["n"] async for doc in db["Run"].find({})}
    assert set(runs) == ids
    # An event marked handled before the kill ran once: a redelivery is acked without running again. Only the
    # one in flight at the kill (events are handled one at a time) may have run twice; its effect is idempotent.
    assert all(runs[i] == 1 for i in marked_at_kill), runs
    assert sum(n - 1 for n in runs.values()) <= 1, runs
    assert await db["HandledEvent"].count_documents({}) == len(ids)


async def test_a_stream_made_with_a_short_duplicate_window_is_lengthened(nc: NatsClient) -> None:
    js = nc.jetstream()
    info = await js.stream_info(EVENTS_STREAM)
    info.config.duplicate_window = 120
    await js.update_stream(info.config)
    assert (await js.stream_info(EVENTS_STREAM)).config.duplicate_window == 120
    await ensure_events_stream(js)
    window = (await js.stream_info(EVENTS_STREAM)).config.duplicate_window
    assert window == outbox_module.DUPLICATE_WINDOW_SECONDS


async def test_the_relay_retries_until_jetstream_acknowledges(
    nc: NatsClient, db: AsyncDatabase[Document]
) -> None:
    attempts = 0

    def js_of() -> object:
        # NATS is unreachable for the first two attempts (as while it restarts).
        nonlocal attempts
        attempts += 1
        if attempts <= 2:
            raise nats.errors.NoServersError()
        return nc.jetstream()

    box = Outbox(db)
    event = changed("retried")
    await box.record(event)
    box.start(Publisher(js_of))
    try:
        await until(lambda: _count(db["Outbox"], {"_id": event.id}, 0), "the event to be published")
    finally:
        await box.stop()
    assert attempts >= 3
    assert [i for i, _ in await stored(nc, ResourceChanged.SUBJECT, EVENTS_STREAM)].count(event.id) == 1
