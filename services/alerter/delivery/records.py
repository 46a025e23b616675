"""The record of each delivery (collection `AlertDelivery` of the alerter's database), from which sends and
retries are driven.

One document per (alert event, Alerter), `_id` = `<event id>|<alerter id>`: recording it twice (a redelivered
event, two replicas) stores one. It holds the alert as the event carried it, so a retry after a restart sends
the same thing. A send is claimed first with a compare-and-set on `attempts` and a lease (`claimed_until`), so
two replicas never send one attempt twice; a process that dies while sending leaves the lease to run out and
any replica tries again (at least once, then, in that case).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any, Final

from pymongo import ASCENDING, ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.alert import Alert
from contracts.entities.alert_delivery import AlertDelivery, DeliveryStatus
from contracts.entities.alerter import Alerter
from services.common.mongo import Document

COLLECTION: Final = "AlertDelivery"
"""The collection of deliveries."""
INTERNAL: Final = ("_id", "alert", "claimed_until")
"""Stored fields that are not part of the AlertDelivery model."""


def now_ms() -> int:
    """The time in unix milliseconds."""
    return int(time.time() * 1000)


def delivery_key(event_id: str, alerter_id: str) -> str:
    """The key of one event's delivery to one Alerter."""
    return f"{event_id}|{alerter_id}"


def backoff_ms(attempts: int, first_seconds: float, cap_seconds: float = 300.0) -> int:
    """The wait before attempt `attempts + 1`: `first_seconds` doubled per failed attempt, at most `cap_seconds`."""
    return int(min(cap_seconds, first_seconds * 2 ** max(0, attempts - 1)) * 1000)


def from_document(doc: Mapping[str, Any]) -> AlertDelivery:
    """The AlertDelivery a stored document holds."""
    return AlertDelivery.model_validate(
        {"key": doc["_id"], **{k: v for k, v in doc.items() if k not in INTERNAL}}
    )


def collection(db: AsyncDatabase[Document]) -> AsyncCollection[Document]:
    """The deliveries collection of a database."""
    return db[COLLECTION]


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Deliveries are found by alert (GetAlert) and by due time (retries)."""
    coll = collection(db)
    await coll.create_index("alert_id")
    await coll.create_index([("status", ASCENDING), ("next_ts", ASCENDING)])


async def record(
    db: AsyncDatabase[Document], event_id: str, event: str, alert: Alert, alerter: Alerter
) -> bool:
    """Record a pending delivery, due now; False when it is recorded already (nothing changes then)."""
    now = now_ms()
    doc: Document = {
        "_id": delivery_key(event_id, alerter.id),
        "alert_id": alert.id,
        "event": event,
        "alerter_id": alerter.id,
        "alerter_name": alerter.name,
        "endpoint": alerter.config.endpoint.type,
        "status": DeliveryStatus.Pending.value,
        "attempts": 0,
        "last_error": None,
        "template_error": None,
        "created_ts": now,
        "updated_ts": now,
        "next_ts": now,
        "sent_ts": None,
        "claimed_until": 0,
        "alert": alert.model_dump(mode="json", by_alias=True),
    }
    try:
        await collection(db).insert_one(doc)
    except DuplicateKeyError:
        return False
    return True


async def claim(db: AsyncDatabase[Document], key: str, lease_ms: int) -> Document | None:
    """Take the next attempt of a due pending delivery for `lease_ms` (its `attempts` counted now); None when
    it is not due, not pending, or another process holds it."""
    now = now_ms()
    doc = await collection(db).find_one_and_update(
        {
            "_id": key,
            "status": DeliveryStatus.Pending.value,
            "next_ts": {"$lte": now},
            "claimed_until": {"$lte": now},
        },
        {"$inc": {"attempts": 1}, "$set": {"claimed_until": now + lease_ms, "updated_ts": now}},
        return_document=ReturnDocument.AFTER,
    )
    return doc


async def mark_sent(db: AsyncDatabase[Document], key: str, attempt: int, template_error: str | None) -> None:
    """The claimed attempt `attempt` was sent."""
    now = now_ms()
    await collection(db).update_one(
        {"_id": key, "attempts": attempt},
        {
            "$set": {
                "status": DeliveryStatus.Sent.value,
                "sent_ts": now,
                "updated_ts": now,
                "next_ts": None,
                "last_error": None,
                "template_error": template_error,
                "claimed_until": 0,
            }
        },
    )


async def mark_failed(
    db: AsyncDatabase[Document],
    key: str,
    attempt: int,
    error: str,
    template_error: str | None,
    retry_in_ms: int | None,
) -> None:
    """The claimed attempt `attempt` failed with the (redacted) `error`: pending again in `retry_in_ms`, or
    failed for good when None."""
    now = now_ms()
    final = retry_in_ms is None
    await collection(db).update_one(
        {"_id": key, "attempts": attempt},
        {
            "$set": {
                "status": (DeliveryStatus.Failed if final else DeliveryStatus.Pending).value,
                "last_error": error,
                "template_error": template_error,
                "updated_ts": now,
                "next_ts": None if final else now + (retry_in_ms or 0),
                "claimed_until": 0,
            }
        },
    )


async def due(db: AsyncDatabase[Document], limit: int = 200) -> list[str]:
    """Keys of pending deliveries whose next attempt is due and that nobody holds."""
    now = now_ms()
    cursor = collection(db).find(
        {"status": DeliveryStatus.Pending.value, "next_ts": {"$lte": now}, "claimed_until": {"$lte": now}},
        {"_id": 1},
    )
    return [str(doc["_id"]) async for doc in cursor.sort("next_ts", ASCENDING).limit(limit)]


async def deliveries_of(db: AsyncDatabase[Document], alert_id: str) -> list[AlertDelivery]:
    """Every delivery of one alert, oldest first (what GetAlert shows)."""
    cursor = collection(db).find({"alert_id": alert_id}, {"alert": 0, "claimed_until": 0})
    return [from_document(doc) async for doc in cursor.sort([("created_ts", ASCENDING), ("_id", ASCENDING)])]


async def get(db: AsyncDatabase[Document], key: str) -> AlertDelivery | None:
    """One delivery by key."""
    doc = await collection(db).find_one({"_id": key}, {"alert": 0, "claimed_until": 0})
    return from_document(doc) if doc is not None else None
