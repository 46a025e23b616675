"""The base of every Varanus contract: frozen pydantic models that read and write Komodo's JSON.

Komodo's serde ignores unknown fields and fills defaults for missing ones; `KomodoModel` does the same.
Field descriptions come from the docstring under each field (`contracts.field_docs`, what pydantic's
`use_attribute_docstrings` does, faster), so a field is described where it is declared and the JSON Schema
carries the text.
"""

from __future__ import annotations

from typing import Annotated, Any

from bson import ObjectId
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainSerializer, WithJsonSchema

from contracts.field_docs import field_docstrings


class KomodoModel(BaseModel):
    """Frozen model that ignores unknown fields and accepts fields by name or alias, as Komodo's serde does."""

    model_config = ConfigDict(
        frozen=True,
        extra="ignore",
        populate_by_name=True,
        use_enum_values=False,
        ser_json_timedelta="float",
        # A model's validator and serializer are built when it is first used, not when its module is imported:
        # a service uses a fraction of the contracts, and building all of them took most of a service's start
        # (about 3 s) and its memory (about 30 MB).
        defer_build=True,
    )

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        """Describe each field this class declares by the docstring under it (before its schema is built:
        the build is deferred to first use)."""
        super().__pydantic_init_subclass__(**kwargs)
        docs = field_docstrings(cls)
        for name, info in cls.__pydantic_fields__.items():
            if info.description is None and name in docs:
                info.description = docs[name]

    def to_json(self) -> dict[str, Any]:
        """Return the Komodo JSON form of this model (aliases such as `_id`, enums as their values)."""
        return self.model_dump(mode="json", by_alias=True)


def _parse_object_id(value: Any) -> str:
    """Accept `{"$oid": hex}`, a bson ObjectId or a plain string and keep the hex string."""
    if isinstance(value, dict):
        oid = value.get("$oid")
        if not isinstance(oid, str):
            raise ValueError('an object id must look like {"$oid": "<24 hex digits>"}')
        return oid
    if isinstance(value, ObjectId):
        return str(value)
    if isinstance(value, str):
        return value
    raise ValueError('an object id must be a string or {"$oid": "<24 hex digits>"}')


def _dump_object_id(value: str) -> dict[str, str]:
    return {"$oid": value}


MongoId = Annotated[
    str,
    BeforeValidator(_parse_object_id),
    PlainSerializer(_dump_object_id, return_type=dict[str, str]),
    WithJsonSchema(
        {
            "type": "object",
            "properties": {"$oid": {"type": "string", "pattern": "^[0-9a-fA-F]{24}$"}},
            "required": ["$oid"],
            "description": "A MongoDB ObjectId in extended JSON form.",
        }
    ),
]
"""A Mongo `_id`: held as its hex string, written on the wire as `{"$oid": "..."}`."""


def _empty(value: str) -> bool:
    return not value


def id_field(description: str = "The Mongo id of this document.") -> Any:
    """The `_id` field of a stored document: empty until stored, and then left out of the JSON."""
    return Field(default="", alias="_id", description=description, exclude_if=_empty)


def is_object_id(value: str) -> bool:
    """Tell whether `value` is a 24-hex-digit ObjectId string (Komodo's test for "id, not name")."""
    return ObjectId.is_valid(value) and len(value) == 24


def new_object_id() -> str:
    """Return a fresh ObjectId as its hex string."""
    return str(ObjectId())
