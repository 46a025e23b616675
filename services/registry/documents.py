"""Converting between contract models and stored Mongo documents."""

from __future__ import annotations

from typing import Any

from bson import ObjectId
from pydantic import BaseModel

from contracts.base import is_object_id
from services.common.errors import NotFound


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
