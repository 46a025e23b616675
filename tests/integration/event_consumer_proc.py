"""A durable event consumer as its own process, for the kill-and-restart test (`test_events_delivery.py`).

Environment: `NATS_URL`, `MONGO_URL`, `DB_NAME`, `CONSUMER` (durable name), `HANDLE_DELAY` (seconds each event
takes), `ACK_WAIT` (seconds before an unacknowledged event is delivered again). Each event is recorded idempotently in `Effect` (the effect) and counted in `Run` (how often the handler
ran). Prints `ready` once subscribed.
"""

from __future__ import annotations

import asyncio
import os
import signal

from faststream.nats import NatsBroker
from pymongo import AsyncMongoClient

from contracts.events.base import Event
from contracts.events.resource import ResourceChanged
from services.common.bus import ensure_events_stream
from services.common.consumer import Consumer, ensure_deadletter_stream
from services.common.mongo import Document


async def main() -> None:
    client: AsyncMongoClient[Document] = AsyncMongoClient(os.environ["MONGO_URL"])
    db = client[os.environ["DB_NAME"]]
    delay = float(os.environ.get("HANDLE_DELAY", "0"))

    async def handle(event: Event) -> None:
        await db["Run"].update_one({"_id": event.id}, {"$inc": {"n": 1}}, upsert=True)
        await asyncio.sleep(delay)
        await db["Effect"].update_one({"_id": event.id}, {"$set": {"seen": True}}, upsert=True)

    broker = NatsBroker(os.environ["NATS_URL"], logger=None)
    consumer = Consumer(
        os.environ["CONSUMER"],
        ResourceChanged.SUBJECT,
        handle,
        db,
        ack_wait=float(os.environ.get("ACK_WAIT", "30")),
    )
    consumer.register(broker)
    await broker.connect()
    assert broker.connection is not None
    js = broker.connection.jetstream()
    await ensure_events_stream(js)
    await ensure_deadletter_stream(js)
    await consumer.ensure_indexes()
    await broker.start()
    print("ready", flush=True)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    await broker.stop()
    await client.close()


if __name__ == "__main__":
    asyncio.run(main())
