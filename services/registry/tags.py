"""Tags: names with a color that resources carry (by id)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.tag import Tag, TagColor
from contracts.events.resource import ResourceChange
from services.common.bus import Bus
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.registry.announce import announce_entity
from services.registry.documents import id_or_name_filter, to_document
from services.registry.names import validate_name


class TagStore:
    """Create, rename, recolor, delete and read tags."""

    def __init__(
        self, db: AsyncDatabase[Document], bus: Bus, tagged: Sequence[AsyncCollection[Document]]
    ) -> None:
        self.db = db
        self.coll = db["Tag"]
        self.bus = bus
        self.tagged = tagged
        """The resource collections whose documents carry tags (the registry's own, which drop kept reads)."""

    async def ensure_indexes(self) -> None:
        """Tag names are unique."""
        await self.coll.create_index([("name", ASCENDING)], unique=True)

    async def get(self, id_or_name: str) -> Tag:
        """The tag with that id or name, or a 404."""
        doc = await self.coll.find_one(id_or_name_filter(id_or_name))
        if doc is None:
            raise NotFound(f"no tag named or with id {id_or_name!r}")
        return Tag.model_validate(doc)

    async def _check_free(self, name: str) -> None:
        validate_name(name, "tag")
        if await self.coll.find_one({"name": name}, {"_id": 1}) is not None:
            raise Conflict(f"a tag named {name!r} already exists")

    async def create(self, name: str, color: TagColor | None, owner: str) -> Tag:
        """Create a tag (color Slate unless given)."""
        await self._check_free(name)
        fields: dict[str, Any] = {"id": str(ObjectId()), "name": name, "owner": owner}
        if color is not None:
            fields["color"] = color
        tag = Tag.model_validate(fields)
        try:
            await self.coll.insert_one(to_document(tag))
        except DuplicateKeyError:
            raise Conflict(f"a tag named {name!r} already exists") from None
        await announce_entity(self.bus, "Tag", tag.id, ResourceChange.Created, name)
        return tag

    async def rename(self, id_or_name: str, name: str) -> Tag:
        """Rename a tag."""
        tag = await self.get(id_or_name)
        if name == tag.name:
            return tag
        await self._check_free(name)
        await self.coll.update_one({"_id": ObjectId(tag.id)}, {"$set": {"name": name}})
        await announce_entity(self.bus, "Tag", tag.id, ResourceChange.Renamed, name)
        return tag.model_copy(update={"name": name})

    async def recolor(self, id_or_name: str, color: TagColor) -> Tag:
        """Change a tag's color."""
        tag = await self.get(id_or_name)
        await self.coll.update_one({"_id": ObjectId(tag.id)}, {"$set": {"color": color.value}})
        await announce_entity(self.bus, "Tag", tag.id, ResourceChange.Updated, tag.name)
        return tag.model_copy(update={"color": color})

    async def delete(self, id_or_name: str) -> Tag:
        """Delete a tag and take it off every resource that carries it."""
        tag = await self.get(id_or_name)
        await self.coll.delete_one({"_id": ObjectId(tag.id)})
        for coll in self.tagged:
            await coll.update_many({"tags": tag.id}, {"$pull": {"tags": tag.id}})
        await announce_entity(self.bus, "Tag", tag.id, ResourceChange.Deleted, tag.name)
        return tag

    async def list(self, query: dict[str, Any] | None) -> list[Tag]:
        """Every tag (filtered by `name` or `owner` when the query gives them), by name."""
        mongo: dict[str, Any] = {}
        for key in ("name", "owner"):
            value = (query or {}).get(key)
            if isinstance(value, str):
                mongo[key] = value
        docs = await self.coll.find(mongo).sort("name", ASCENDING).to_list(None)
        return [Tag.model_validate(doc) for doc in docs]
