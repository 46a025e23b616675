"""The alerter's alerts: Komodo-shaped `Alert` documents in the `Alert` collection of its own database.

Every lifecycle change is one write carrying its event in the document's outbox (`services/common/outbox.py`),
so an alert and its `AlertOpened` / `AlertRaised` / `AlertResolved` are never apart. Two replicas never open
one condition twice: an open alert holds `open_key` = `<target id>|<variant>|<mount>`, a resolved one
`resolved:<alert id>`, and `open_key` has a unique index (nx-27017 supports unique indexes; no partial index
is needed). Raising and resolving are compare-and-set on the alert's level / `resolved`, and event ids are
derived from (alert id, change), so JetStream stores each change once whichever replica writes it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from typing import Any, Final

from bson import ObjectId
from pymongo import DESCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.alert import Alert, ListAlertsResponse
from contracts.entities.common import SeverityLevel
from contracts.events.alert import AlertOpened, AlertRaised, AlertResolved
from services.common.errors import BadRequest, NotFound
from services.common.mongo import Document
from services.common.outbox import Outbox, with_event, with_pending

COLLECTION: Final = "Alert"
"""The collection of alerts."""
PAGE_SIZE: Final = 100
"""Alerts per ListAlerts page (Komodo's)."""
OPEN_KEY: Final = "open_key"
"""The unique key of an alert: its condition while open, `resolved:<id>` once resolved."""
HIDDEN: Final = {OPEN_KEY: 0, "_outbox": 0, "_outbox_n": 0}
"""Fields of the stored document that are not part of the Alert."""
FORBIDDEN_OPERATORS: Final = frozenset({"$where", "$expr", "$function", "$accumulator", "$jsonSchema"})
"""Query operators a ListAlerts query may not use (they run code or read beyond the alert)."""
LEVEL_RANK: Final = {SeverityLevel.Ok: 0, SeverityLevel.Warning: 1, SeverityLevel.Critical: 2}
"""Levels from least to most severe."""


def now_ms() -> int:
    """The time in unix milliseconds."""
    return int(time.time() * 1000)


def open_key(target_id: str, variant: str, mount: str = "") -> str:
    """The key of an open condition: one open alert per target, variant and (for disks) mount."""
    return f"{target_id}|{variant}|{mount}"


def derived_id(*parts: str) -> str:
    """A Mongo id made from `parts` (the same parts give the same id: a redelivered event makes no second alert)."""
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:24]


def to_document(alert: Alert, key: str) -> Document:
    """The stored form of `alert` under `key`."""
    doc = alert.model_dump(mode="json", by_alias=True, exclude={"id"})
    return {"_id": ObjectId(alert.id), **doc, OPEN_KEY: key}


def changed(alert: Alert, **fields: Any) -> Alert:
    """`alert` with `fields` changed, validated (so `data` may be given as JSON)."""
    return Alert.model_validate({**alert.model_dump(mode="json", by_alias=True), "_id": alert.id, **fields})


def from_document(doc: Mapping[str, Any]) -> Alert:
    """The Alert a stored document holds."""
    return Alert.model_validate({k: v for k, v in doc.items() if k not in HIDDEN})


def _mongo_values(value: Any) -> Any:
    """`{"$oid": hex}` as an ObjectId, recursively; operators that run code are refused."""
    if isinstance(value, dict):
        if set(value) == {"$oid"} and isinstance(value["$oid"], str) and ObjectId.is_valid(value["$oid"]):
            return ObjectId(value["$oid"])
        result: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise BadRequest("query: keys must be strings")
            if key in FORBIDDEN_OPERATORS:
                raise BadRequest(f"query: the operator {key} is not allowed")
            if key.startswith(("_outbox", OPEN_KEY)):
                raise BadRequest(f"query: {key!r} is not a field of an alert")
            result[key] = _mongo_values(item)
        return result
    if isinstance(value, list):
        return [_mongo_values(item) for item in value]
    return value


def alert_query(query: Mapping[str, Any] | None) -> Document:
    """The Mongo filter of a ListAlerts query (Komodo's: a Mongo filter on the Alert document)."""
    if not query:
        return {}
    converted = _mongo_values(dict(query))
    if "id" in converted and "_id" not in converted:
        converted["_id"] = converted.pop("id")
    if isinstance(converted.get("_id"), str) and ObjectId.is_valid(converted["_id"]):
        converted["_id"] = ObjectId(converted["_id"])
    return dict(converted)


class AlertStore:
    """The alerts and their lifecycle writes."""

    def __init__(self, db: AsyncDatabase[Document], outbox: Outbox) -> None:
        self.coll: AsyncCollection[Document] = db[COLLECTION]
        self.outbox = outbox
        outbox.carries(self.coll)

    async def ensure_indexes(self) -> None:
        """One open alert per condition, and the orders reads and pruning use."""
        await self.coll.create_index(OPEN_KEY, unique=True)
        await self.coll.create_index([("ts", DESCENDING)])
        await self.coll.create_index("resolved_ts", sparse=True)
        await self.coll.create_index("target.id")

    # --- reads ----------------------------------------------------------------------------------------

    async def get(self, alert_id: str) -> Alert:
        """The alert with this id; 404 when there is none."""
        if not ObjectId.is_valid(alert_id):
            raise NotFound(f"no alert with id {alert_id!r}")
        doc = await self.coll.find_one({"_id": ObjectId(alert_id)}, HIDDEN)
        if doc is None:
            raise NotFound(f"no alert with id {alert_id!r}")
        return from_document(doc)

    async def page(
        self, query: Mapping[str, Any] | None, page: int, also: Document | None = None
    ) -> ListAlertsResponse:
        """One page of the alerts matching `query` (and `also`), newest first, with the next page if any."""
        where = alert_query(query)
        if also:
            where = {"$and": [where, also]} if where else also
        cursor = self.coll.find(where, HIDDEN).sort([("ts", DESCENDING), ("_id", DESCENDING)])
        docs = await cursor.skip(page * PAGE_SIZE).limit(PAGE_SIZE + 1).to_list()
        alerts = [from_document(doc) for doc in docs[:PAGE_SIZE]]
        return ListAlertsResponse(alerts=alerts, next_page=page + 1 if len(docs) > PAGE_SIZE else None)

    async def open_alerts(self) -> list[tuple[str, Alert]]:
        """Every open alert with its key (to rebuild the in-memory state at start)."""
        docs = await self.coll.find({"resolved": False}).to_list()
        return [(str(doc.get(OPEN_KEY, "")), from_document(doc)) for doc in docs]

    async def open_with_key(self, key: str) -> Alert | None:
        """The open alert of a condition, if any."""
        doc = await self.coll.find_one({OPEN_KEY: key}, HIDDEN)
        return from_document(doc) if doc is not None else None

    async def open_for_target(self, target_id: str) -> list[Alert]:
        """The open alerts about one resource."""
        docs = await self.coll.find({"target.id": target_id, "resolved": False}, HIDDEN).to_list()
        return [from_document(doc) for doc in docs]

    # --- writes ---------------------------------------------------------------------------------------

    async def open(self, alert: Alert, key: str, alerters: list[str] | None = None) -> bool:
        """Store a new open alert under its condition key, with its AlertOpened (for only `alerters`, when
        given); False when the condition already has an open alert (another replica opened it)."""
        event = AlertOpened(
            id=f"{alert.id}:opened", alert=alert, resource=alert.target, alerters=list(alerters or [])
        )
        try:
            await self.coll.insert_one(with_pending(to_document(alert, key), event))
        except DuplicateKeyError:
            return False
        self.outbox.wake(COLLECTION)
        return True

    async def record_resolved(self, alert: Alert, alerters: list[str] | None = None) -> bool:
        """Store a one-off alert, resolved at once (as Komodo stores them), with its AlertOpened; False when an
        alert with this id exists (a redelivered event)."""
        resolved = alert.model_copy(update={"resolved": True, "resolved_ts": alert.resolved_ts or alert.ts})
        return await self.open(resolved, f"resolved:{alert.id}", alerters)

    async def raise_level(self, key: str, level: SeverityLevel, data: Any) -> Alert | None:
        """Raise the open alert of `key` to `level` in place (compare-and-set on its level), with its
        AlertRaised; None when there is no open alert or it is already at least that level."""
        current = await self.open_with_key(key)
        if current is None or LEVEL_RANK[current.level] >= LEVEL_RANK[level]:
            return None
        raised = changed(current, level=level, **({"data": data} if data is not None else {}))
        event = AlertRaised(id=f"{current.id}:raised:{level.value}", alert=raised, resource=raised.target)
        update = {
            "$set": {"level": level.value, "data": raised.model_dump(mode="json", by_alias=True)["data"]}
        }
        result = await self.coll.update_one(
            {"_id": ObjectId(current.id), "resolved": False, "level": current.level.value},
            with_event(update, event),
        )
        if result.modified_count == 0:
            return None
        self.outbox.wake(COLLECTION)
        return raised

    async def resolve(self, alert: Alert, data: Any = None) -> Alert | None:
        """Resolve an open alert (compare-and-set on `resolved`), with its AlertResolved; None when it was
        resolved already (by another replica or an admin)."""
        fields: dict[str, Any] = {"resolved": True, "resolved_ts": now_ms()}
        if data is not None:
            fields["data"] = data
        resolved = changed(alert, **fields)
        event = AlertResolved(id=f"{alert.id}:resolved", alert=resolved, resource=resolved.target)
        update: dict[str, Any] = {
            "$set": {
                "resolved": True,
                "resolved_ts": resolved.resolved_ts,
                "data": resolved.model_dump(mode="json", by_alias=True)["data"],
                OPEN_KEY: f"resolved:{alert.id}",
            }
        }
        result = await self.coll.update_one(
            {"_id": ObjectId(alert.id), "resolved": False}, with_event(update, event)
        )
        if result.modified_count == 0:
            return None
        self.outbox.wake(COLLECTION)
        return resolved

    async def resolve_key(self, key: str, data: Any = None) -> Alert | None:
        """Resolve the open alert of a condition, if there is one."""
        current = await self.open_with_key(key)
        return await self.resolve(current, data) if current is not None else None

    async def prune(self, keep_days: int) -> int:
        """Delete alerts resolved more than `keep_days` ago (0 keeps everything); answers how many went."""
        if keep_days <= 0:
            return 0
        before = now_ms() - keep_days * 24 * 3600 * 1000
        # Only documents whose events are published: a pending event must not be deleted with its alert. The
        # ids are found first: nx-27017's delete_many with an `$or` filter deletes documents it does not match.
        found = self.coll.find(
            {"resolved": True, "resolved_ts": {"$lt": before}, "_outbox_n": {"$lte": 0}}, {"_id": 1}
        )
        ids = [doc["_id"] async for doc in found]
        if not ids:
            return 0
        result = await self.coll.delete_many({"_id": {"$in": ids}, "resolved": True})
        return result.deleted_count
