"""Converting between contract models and stored Mongo documents."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from bson import ObjectId
from pydantic import BaseModel
from pymongo.asynchronous.collection import AsyncCollection

from contracts.base import is_object_id
from contracts.events.base import Event
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.common.outbox import with_event


def to_document(model: BaseModel) -> dict[str, Any]:
    """The Mongo document of a model: Komodo's JSON shape, with `_id` as a real ObjectId when set."""
    doc: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    oid = doc.pop("_id", None)
    if isinstance(oid, dict) and oid.get("$oid"):
        doc["_id"] = ObjectId(oid["$oid"])
    return doc


def object_id(value: str, what: str) -> ObjectId:
    """Parse an id given by a caller; a malformed id is simply not found."""
    if not is_object_id(value):
        raise NotFound(f"no {what} with id {value!r}")
    return ObjectId(value)


def id_or_name_filter(value: str) -> dict[str, Any]:
    """Mongo filter that matches a document by id when `value` is an object id, else by name."""
    if is_object_id(value):
        return {"_id": ObjectId(value)}
    return {"name": value}


REVISION = "_rev"
"""A counter every changing write of a document increments: the version its compare-and-set checks."""

WRITE_RETRIES = 20
"""Attempts of a write that races with other writes to the same document."""

ChangesOf = Callable[[Document], Awaitable[dict[str, Any]]]
"""Given the stored document, the fields to `$set` on it (none: nothing to write)."""

EventOf = Callable[[Document], Event]
"""Given the stored document a change is written to, the event that change makes (stored with it)."""


def revision_guard(doc: Document) -> dict[str, Any]:
    """A filter clause that matches the document only while its revision is still the one read."""
    rev = doc.get(REVISION)
    return {REVISION: rev if rev is not None else {"$exists": False}}


async def set_changed(
    coll: AsyncCollection[Document],
    key: dict[str, Any],
    changes_of: ChangesOf,
    what: str,
    event_of: EventOf | None = None,
) -> Document:
    """Change some fields of one document without losing a concurrent write; answer the document as read.

    The fields to write are computed from the stored document and written only if nobody wrote it in between
    (a compare-and-set on its revision); otherwise they are computed again from what is stored now. A
    read-then-replace would silently undo a concurrent change of another field. With `event_of`, the event of
    the change goes into the document's outbox in the same write (the caller wakes the relay).
    """
    for _ in range(WRITE_RETRIES):
        doc = await coll.find_one(key)
        if doc is None:
            raise NotFound(f"no {what}")
        changes = await changes_of(doc)
        if not changes:
            return doc
        update: dict[str, Any] = {"$set": changes, "$inc": {REVISION: 1}}
        if event_of is not None:
            update = with_event(update, event_of(doc))
        result = await coll.update_one({**key, **revision_guard(doc)}, update)
        if result.matched_count:
            return doc
    raise Conflict(f"{what} is being changed by too many writers; try again")
