"""Durable consumers of events: each reacts to events once in effect, resumes after a restart, and sets poison aside.

A consumer is a JetStream pull consumer on the `KOMODO_EVENTS` stream with a durable name (so a restarted
process, or any replica of the service, continues where the consumer stopped) and explicit acks, served by the
bus's faststream broker (register it before `Bus.start`). Each message is handled as follows:

- a body that is not a known event is poison: it goes to `komodo.deadletter.<consumer>` (stream
  `KOMODO_DEADLETTER`) and is terminated;
- an event id already in the service's `HandledEvent` collection (`_id` = consumer + event id) is acked without
  running the handler (a redelivery after the handler ran and its mark was written);
- otherwise the handler runs; on success the id is marked handled and the message acked; on failure it is
  redelivered after a pause, and after `MAX_DELIVER` deliveries sent to the dead-letter subject instead.

A process that dies between the handler's effect and the mark runs the handler again on redelivery, so handlers
must be idempotent (set, delete, upsert by id), which makes every event handled exactly once in effect.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

import nats.js.errors
from faststream.middlewares import AckPolicy
from faststream.nats import JStream, NatsBroker, PullSub
from faststream.nats.annotations import NatsMessage
from faststream.nats.message import NatsMessage as NatsMessageType
from nats.js import JetStreamContext
from nats.js.api import AckPolicy as JsAckPolicy
from nats.js.api import ConsumerConfig, DeliverPolicy, RetentionPolicy, StorageType, StreamConfig
from pydantic import ValidationError
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.events.base import EVENTS, Event
from contracts.subjects import EVENTS_STREAM, PREFIX
from services.common.mongo import Document

log = logging.getLogger(__name__)

DEADLETTER_STREAM: Final = "KOMODO_DEADLETTER"
"""The stream that keeps poison messages of every consumer."""
DEADLETTER_PREFIX: Final = f"{PREFIX}.deadletter"
"""Poison messages of consumer `c` go to `komodo.deadletter.c`."""
DEADLETTER_MAX_AGE_SECONDS: Final = 30 * 24 * 3600
"""How long poison messages are kept for an operator to look at."""
HANDLED_COLLECTION: Final = "HandledEvent"
"""The collection of (consumer, event id) pairs a service handled."""
MAX_DELIVER: Final = 5
"""Deliveries of one event before a failing one is dead-lettered."""
ACK_WAIT_SECONDS: Final = 30.0
"""How long a delivered event may go unacknowledged before JetStream delivers it again (a process died)."""
HANDLED_KEEP_SECONDS: Final = 30 * 24 * 3600
"""How long a handled mark is kept: longer than the events stream keeps an event, so no redelivery outlives it."""
RETRY_DELAY_SECONDS: Final = 1.0
"""The pause before a failed event is delivered again."""

EventHandler = Callable[[Event], Awaitable[None]]
"""Reacts to one event; must be idempotent (see the module docstring)."""


def deadletter_subject(consumer: str) -> str:
    """Where `consumer`'s poison messages go."""
    return f"{DEADLETTER_PREFIX}.{consumer}"


def decode_event(subject: str, data: bytes) -> Event:
    """The event a message carries, by its subject; raises ValueError for an unknown subject or a bad body."""
    event_cls = EVENTS.get(subject)
    if event_cls is None:
        raise ValueError(f"no event is published on {subject!r}")
    try:
        return event_cls.model_validate_json(data)
    except ValidationError as err:
        raise ValueError(f"malformed {event_cls.__name__}: {err.error_count()} bad field(s)") from None


def handled_id(consumer: str, event_id: str) -> str:
    """The `HandledEvent` `_id` of an event handled by a consumer."""
    return f"{consumer}:{event_id}"


async def ensure_deadletter_stream(js: JetStreamContext) -> None:
    """Create the `KOMODO_DEADLETTER` stream if it does not exist (several replicas may race: that is fine)."""
    try:
        await js.stream_info(DEADLETTER_STREAM)
    except nats.js.errors.NotFoundError:
        config = StreamConfig(
            name=DEADLETTER_STREAM,
            subjects=[f"{DEADLETTER_PREFIX}.>"],
            retention=RetentionPolicy.LIMITS,
            storage=StorageType.FILE,
            max_age=DEADLETTER_MAX_AGE_SECONDS,
        )
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:
            await js.stream_info(DEADLETTER_STREAM)


@dataclass
class Consumer:
    """One durable consumer of some event subjects, with its handler."""

    name: str
    """The durable name (unique per purpose: every replica of the service shares it)."""
    subject: str
    """The event subject (wildcards allowed) it follows."""
    handler: EventHandler
    """What it does with each event."""
    db: AsyncDatabase[Document]
    """The consuming service's database (for `HandledEvent`)."""
    batch: int = 1
    """Events fetched at once. faststream handles a fetched batch concurrently, so the default 1 handles events
    one at a time in stream order; a larger batch suits handlers for which order does not matter."""
    ack_wait: float = ACK_WAIT_SECONDS
    """How long a delivery may go unacknowledged before it is delivered again (set when the consumer is made)."""
    handled: int = 0
    """Events this process handled (the handler ran to the end)."""
    skipped: int = 0
    """Redeliveries this process acked without running the handler."""
    deadlettered: int = 0
    """Messages this process sent to the dead-letter subject."""

    async def ensure_indexes(self) -> None:
        """Forget handled marks after `HANDLED_KEEP_SECONDS` (longer than the events stream keeps events)."""
        await self.db[HANDLED_COLLECTION].create_index("at", expireAfterSeconds=HANDLED_KEEP_SECONDS)

    def register(self, broker: NatsBroker) -> None:
        """Subscribe on `broker` (before it starts) as a durable pull consumer with explicit acks."""
        subscriber = broker.subscriber(
            self.subject,
            stream=JStream(EVENTS_STREAM, declare=False),
            durable=self.name,
            pull_sub=PullSub(batch_size=self.batch, timeout=1.0),
            ack_policy=AckPolicy.MANUAL,
            config=ConsumerConfig(
                durable_name=self.name,
                ack_policy=JsAckPolicy.EXPLICIT,
                deliver_policy=DeliverPolicy.NEW,
                max_deliver=MAX_DELIVER + 1,
                ack_wait=self.ack_wait,
            ),
        )

        async def on_message(msg: NatsMessage) -> None:
            await self.process(msg)

        subscriber(on_message)

    async def process(self, msg: NatsMessageType) -> None:
        """Handle one delivered message (see the module docstring) and settle it."""
        raw = msg.raw_message
        try:
            event = decode_event(raw.subject, raw.data)
        except ValueError as err:
            await self._deadletter(raw, str(err))
            return
        key = handled_id(self.name, event.id)
        marks = self.db[HANDLED_COLLECTION]
        if await marks.find_one({"_id": key}, {"_id": 1}) is not None:
            self.skipped += 1
            await raw.ack()
            return
        try:
            await self.handler(event)
        except Exception as err:
            deliveries = raw.metadata.num_delivered if raw.metadata else 1
            if deliveries >= MAX_DELIVER:
                await self._deadletter(raw, f"handler failed {deliveries} times: {type(err).__name__}: {err}")
            else:
                log.warning("consumer %s: %s failed (try %d): %s", self.name, event.id, deliveries, err)
                await raw.nak(delay=RETRY_DELAY_SECONDS)
            return
        # A duplicate: another replica handled a redelivery at the same time (the handler is idempotent).
        with contextlib.suppress(DuplicateKeyError):
            await marks.insert_one(
                {"_id": key, "consumer": self.name, "event": event.id, "at": datetime.now(UTC)}
            )
        self.handled += 1
        await raw.ack()

    async def _deadletter(self, raw: Any, reason: str) -> None:
        headers: Mapping[str, str] = {
            "Komodo-Original-Subject": raw.subject,
            "Komodo-Dead-Reason": reason[:500],
            "Nats-Msg-Id": f"{self.name}:{raw.metadata.sequence.stream if raw.metadata else ''}",
        }
        js: JetStreamContext = raw._client.jetstream()
        await js.publish(
            deadletter_subject(self.name), raw.data, headers=dict(headers), stream=DEADLETTER_STREAM
        )
        log.error("consumer %s: message on %s dead-lettered: %s", self.name, raw.subject, reason)
        self.deadlettered += 1
        await raw.term()
