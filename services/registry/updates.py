"""The Update store: the audit log of every config change and execution.

Executing services create an Update, append stage logs and finish it through `komodo.internal.*` requests;
config writes in the registry record a completed Update directly. Every change publishes `UpdateChanged`.
Log text is passed through the redactor before it is stored, so a secret the registry knows never lands in
the audit log even if a caller forgot to redact it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from bson import ObjectId
from pydantic import ValidationError
from pymongo import DESCENDING, ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.api.internal.update import CarriedEvent, CreateUpdate, FinishUpdate, is_progress_stage
from contracts.api.read.update import ListUpdatesResponse
from contracts.base import is_object_id
from contracts.entities.common import ResourceTarget
from contracts.entities.update import Log, Operation, Update, UpdateListItem, UpdateStatus
from contracts.events.base import EVENTS
from contracts.events.update import UpdateChanged
from contracts.service_users import SERVICE_USERS
from services.common.bus import Bus
from services.common.errors import BadRequest, Conflict, NotFound, Unavailable, plain_reason
from services.common.logging import redactor
from services.common.mongo import Document
from services.common.outbox import Outbox, with_entries
from services.common.outbox import entry as outbox_entry
from services.registry.documents import object_id, to_document
from services.registry.read_cache import ReadCache

log = logging.getLogger(__name__)

UPDATES_COLLECTION = "Updates"
"""Collection of Updates."""

PAGE_SIZE = 100
"""Updates per `ListUpdates` page (Komodo's)."""

CREATED_KEPT = 10_000
"""How many Updates this replica created are remembered as written, for their first change (see
`UpdateStore._created`)."""
APPEND_RETRIES = 20
"""Attempts of a log append that races with other appends to the same Update."""

_QUERY_FIELDS = {
    "operation",
    "operator",
    "status",
    "success",
    "start_ts",
    "end_ts",
    "target.type",
    "target.id",
    "commit_hash",
    "version.major",
    "version.minor",
    "version.patch",
}
_QUERY_OPERATORS = {"$eq", "$ne", "$in", "$nin", "$gt", "$gte", "$lt", "$lte", "$exists"}


def now_ms() -> int:
    """Current unix time in milliseconds."""
    return int(time.time() * 1000)


def redact_log(entry: Log) -> Log:
    """A copy of `entry` with every known secret value removed from its text."""
    return entry.model_copy(
        update={
            "command": redactor.redact(entry.command),
            "stdout": redactor.redact(entry.stdout),
            "stderr": redactor.redact(entry.stderr),
        }
    )


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def sanitize_update_query(query: dict[str, Any] | None) -> dict[str, Any]:
    """Check a client's `ListUpdates` filter and return it as a safe Mongo filter.

    Komodo passes this filter to Mongo as is. Varanus accepts the part of it clients use: the listed fields,
    compared with plain values or `$eq $ne $in $nin $gt $gte $lt $lte $exists`, combined with `$and`/`$or`.
    Anything else (`$where`, `$expr`, regexes, unknown fields) is refused with a 400 naming it.
    """
    if not query:
        return {}
    out: dict[str, Any] = {}
    for key, value in query.items():
        if key in {"$and", "$or"}:
            if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
                raise BadRequest(f"ListUpdates query: {key} needs a list of filters")
            out[key] = [sanitize_update_query(v) for v in value]
            continue
        if key == "target" and isinstance(value, dict):
            for sub in ("type", "id"):
                if sub in value:
                    out[f"target.{sub}"] = value[sub]
            continue
        if key not in _QUERY_FIELDS:
            raise BadRequest(f"ListUpdates query: filtering on {key!r} is not supported")
        if isinstance(value, dict):
            for op, operand in value.items():
                if op not in _QUERY_OPERATORS:
                    raise BadRequest(f"ListUpdates query: operator {op!r} on {key!r} is not supported")
                items = operand if op in {"$in", "$nin"} else [operand]
                if not isinstance(items, list) or not all(_scalar(i) for i in items):
                    raise BadRequest(f"ListUpdates query: {op} on {key!r} needs plain values")
            out[key] = value
        elif _scalar(value):
            out[key] = value
        else:
            raise BadRequest(f"ListUpdates query: {key!r} must be compared with a plain value")
    return out


def carried_entry(carried: CarriedEvent) -> Document:
    """The outbox entry of an event a FinishUpdate carries; a 400 unless it is a known event, well formed."""
    event_cls = EVENTS.get(carried.subject)
    if event_cls is None:
        raise BadRequest(f"FinishUpdate: {carried.subject!r} is not the subject of a known event")
    try:
        event = event_cls.model_validate_json(carried.data)
    except ValidationError as err:
        raise BadRequest(
            f"FinishUpdate: the {event_cls.__name__} carried is malformed: {plain_reason(err)}"
        ) from None
    if event.id != carried.id:
        raise BadRequest(
            f"FinishUpdate: the {event_cls.__name__} carried has id {event.id!r}, not {carried.id!r}"
        )
    return outbox_entry(event)


def _complete(update: Update | None) -> bool:
    return update is not None and update.status == UpdateStatus.Complete


class UpdateStore:
    """Reads and writes Updates in the registry's `Update` collection."""

    def __init__(self, db: AsyncDatabase[Document], bus: Bus, read_cache: ReadCache) -> None:
        # Not "Update" as in Komodo: nx-27017 0.8.1 fails on collection names that are SQL keywords.
        self.coll = db[UPDATES_COLLECTION]
        self.users = db["User"]
        self.bus = bus
        self.read_cache = read_cache
        """Where complete Updates are kept once read."""
        self._announcing: set[asyncio.Task[None]] = set()
        if bus.outbox is None:
            bus.outbox = Outbox(db)
        self.outbox: Outbox = bus.outbox
        """Relays the events an execution's end stores with its Update (`FinishUpdate.events`)."""
        self.outbox.carries(self.coll)
        self._created: OrderedDict[str, Document] = OrderedDict()
        """The status, logs and operator of the Updates this replica created, as written, until their first
        change: that change's compare-and-set starts from them instead of a read (it fails, and reads, when
        another replica changed the Update since). The oldest are forgotten beyond `CREATED_KEPT`."""

    async def ensure_indexes(self) -> None:
        """Indexes for listing by time and by target."""
        await self.coll.create_index([("start_ts", DESCENDING)])
        await self.coll.create_index([("target.type", 1), ("target.id", 1)])

    async def _publish(self, update: Update, created: bool, username: str | None = None) -> None:
        """Announce the Update (with its operator's `username` when already known)."""
        item = _list_item(update, username) if username is not None else await self.list_item(update)
        try:
            await self.bus.publish(UpdateChanged(update=item, created=created, resource=update.target))
        except Exception:
            log.exception("could not publish UpdateChanged for %s", update.id)

    async def create(self, request: CreateUpdate) -> Update:
        """Store a new Update from an executing service (with the id it chose, if any) and announce it."""
        if request.id is not None and not is_object_id(request.id):
            raise BadRequest(f"CreateUpdate: id {request.id!r} is not an ObjectId in hex")
        update = Update(
            id=request.id or str(ObjectId()),
            operation=request.operation,
            start_ts=now_ms(),
            operator=request.operator,
            target=request.target,
            status=request.status,
            logs=[redact_log(entry) for entry in request.logs],
            version=request.version,
            commit_hash=request.commit_hash,
            other_data=request.other_data,
        )
        # The operator's name (for the announcement) is read while the Update is written.
        document = to_document(update)
        inserted, username = await asyncio.gather(
            self.coll.insert_one(document),
            self.username(update.operator),
            return_exceptions=True,
        )
        if isinstance(inserted, DuplicateKeyError):
            raise Conflict(f"an Update with id {update.id} already exists") from None
        if isinstance(inserted, BaseException):
            raise inserted
        self._created[str(ObjectId(update.id))] = {
            key: document.get(key) for key in ("status", "logs", "operator")
        }
        if len(self._created) > CREATED_KEPT:
            self._created.popitem(last=False)
        # Announced while the answer goes back: the executor starts the work on it at once. The announcement
        # is best effort either way (its failure is logged, never the request's), and leaves before any later
        # change of this Update can (those come after the executor heard this answer).
        announcing = asyncio.create_task(
            self._publish(update, created=True, username=username if isinstance(username, str) else None)
        )
        self._announcing.add(announcing)
        announcing.add_done_callback(self._announcing.discard)
        return update

    async def record(
        self,
        operation: Operation,
        target: ResourceTarget,
        operator: str,
        logs: list[Log],
        prev_toml: str | None = None,
        current_toml: str | None = None,
    ) -> Update:
        """Store an already-complete Update (config writes), success computed from its logs."""
        ts = now_ms()
        clean = [redact_log(entry) for entry in logs]
        update = Update(
            id=str(ObjectId()),
            operation=operation,
            start_ts=ts,
            end_ts=ts,
            operator=operator,
            target=target,
            status=UpdateStatus.Complete,
            success=all(entry.success for entry in clean),
            logs=clean,
            prev_toml=redactor.redact(prev_toml) if prev_toml is not None else None,
            current_toml=redactor.redact(current_toml) if current_toml is not None else None,
        )
        await self.coll.insert_one(to_document(update))
        await self._publish(update, created=True)
        return update

    async def _change_running(
        self,
        update_id: str,
        changes_of: Callable[[list[dict[str, Any]]], dict[str, Any]],
        events: list[Document] | None = None,
    ) -> Update:
        """Change a running Update from its stored logs, with a compare-and-set on its status and log count.

        The logs array is replaced rather than `$push`ed (nx-27017 0.8.1 stores a pushed sub-document as a
        JSON string), so a write must not be based on logs that changed since they were read: concurrent
        writers (appends, the finish) retry on top of each other and none is lost. The first change of an
        Update this replica created starts from what it wrote (`_created`) rather than a read. `events` (in
        their outbox form) are stored by the same write, for the outbox relay.
        """
        oid = object_id(update_id, "Update")
        username: asyncio.Task[str] | None = None
        written = self._created.pop(str(oid), None)
        try:
            for _ in range(APPEND_RETRIES):
                doc: Document | None
                if written is not None:
                    # As this replica created it: the compare-and-set below fails (and the next round reads)
                    # when it has changed since.
                    doc, written = written, None
                else:
                    doc = await self.coll.find_one({"_id": oid}, {"logs": 1, "status": 1, "operator": 1})
                if doc is None:
                    raise NotFound(f"no Update with id {update_id!r}")
                if doc.get("status") == UpdateStatus.Complete.value:
                    raise Conflict(f"Update {update_id} is already complete")
                if username is None:
                    # Read while the change is written: the announcement needs it right after.
                    username = asyncio.create_task(self.username(str(doc.get("operator") or "")))
                stored = list(doc.get("logs") or [])
                # The changed document comes back with the write: no read after it.
                changed = await self.coll.find_one_and_update(
                    {"_id": oid, "status": doc.get("status"), "logs": {"$size": len(stored)}},
                    with_entries({"$set": changes_of(stored)}, events or []),
                    return_document=ReturnDocument.AFTER,
                )
                if changed is not None:
                    if events:
                        self.outbox.wake(self.coll.name)
                    update = Update.model_validate(changed)
                    await self._publish(update, created=False, username=await username)
                    return update
        finally:
            if username is not None and not username.done():
                username.cancel()
        # 503, not 409: a 409 says the Update is already complete, which a caller may take as closed.
        raise Unavailable(f"Update {update_id} is being changed by too many writers; try again")

    async def append_log(self, update_id: str, entry: Log) -> None:
        """Append a stage log to a running Update."""
        clean = redact_log(entry).model_dump(mode="json")
        await self._change_running(
            update_id, lambda stored: {"logs": [*stored, clean], "status": UpdateStatus.InProgress.value}
        )

    async def finish(self, request: FinishUpdate) -> Update:
        """Complete a running Update; success is every log's success unless the request says otherwise.

        A log appended while the finish is written is kept: the finish is computed again on top of it.
        """
        extra = [redact_log(entry) for entry in request.logs]

        def changes_of(stored: list[dict[str, Any]]) -> dict[str, Any]:
            if request.drop_progress:
                stored = [entry for entry in stored if not is_progress_stage(str(entry.get("stage", "")))]
            logs = [*(Log.model_validate(entry) for entry in stored), *extra]
            success = request.success if request.success is not None else all(entry.success for entry in logs)
            changes: dict[str, Any] = {
                "logs": [*stored, *(entry.model_dump(mode="json") for entry in extra)],
                "status": UpdateStatus.Complete.value,
                "success": success,
                "end_ts": now_ms(),
            }
            for field in ("commit_hash", "other_data"):
                value = getattr(request, field)
                if value is not None:
                    changes[field] = value
            if request.version is not None:
                changes["version"] = request.version.model_dump(mode="json")
            return changes

        return await self._change_running(request.id, changes_of, [carried_entry(e) for e in request.events])

    async def get(self, update_id: str) -> Update:
        """The Update with that id. A complete one is kept in memory (`read_cache`): it never changes again
        (every change of an Update is a compare-and-set on a running one) and none is ever deleted."""
        oid = object_id(update_id, "Update")

        async def load() -> Update | None:
            doc = await self.coll.find_one({"_id": oid})
            return Update.model_validate(doc) if doc is not None else None

        update = await self.read_cache.read(UPDATES_COLLECTION, str(oid), load, keep=_complete)
        if update is None:
            raise NotFound(f"no Update with id {update_id!r}")
        return update

    async def username(self, operator: str) -> str:
        """Username of an operator id (service users by their fixed names)."""
        if operator in SERVICE_USERS:
            return SERVICE_USERS[operator]
        try:
            doc = await self.users.find_one({"_id": ObjectId(operator)}, {"username": 1})
        except Exception:
            doc = None
        return str(doc["username"]) if doc else operator

    async def list_item(self, update: Update) -> UpdateListItem:
        """The list form of an Update."""
        return _list_item(update, await self.username(update.operator))

    async def list(
        self, query: dict[str, Any] | None, page: int, scope: dict[str, Any] | None = None
    ) -> ListUpdatesResponse:
        """A page of the Updates in `scope` that match the query, newest first, 100 per page."""
        if page < 0:
            raise BadRequest("ListUpdates: page must not be negative")
        cursor = (
            self.coll.find(
                {"$and": [sanitize_update_query(query), scope]} if scope else sanitize_update_query(query),
                {"logs": 0, "prev_toml": 0, "current_toml": 0},
            )
            .sort("start_ts", DESCENDING)
            .skip(page * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
        docs = await cursor.to_list(None)
        names: dict[str, str] = {}
        items: list[UpdateListItem] = []
        for doc in docs[:PAGE_SIZE]:
            update = Update.model_validate(doc)
            if update.operator not in names:
                names[update.operator] = await self.username(update.operator)
            items.append(_list_item(update, names[update.operator]))
        return ListUpdatesResponse(updates=items, next_page=page + 1 if len(docs) > PAGE_SIZE else None)


def _list_item(update: Update, username: str) -> UpdateListItem:
    return UpdateListItem(
        id=update.id,
        operation=update.operation,
        start_ts=update.start_ts,
        success=update.success,
        username=username,
        operator=update.operator,
        target=update.target,
        status=update.status,
        version=update.version,
        other_data=update.other_data,
    )
