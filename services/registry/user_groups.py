"""User groups: named sets of users whose permissions their members gain."""

from __future__ import annotations

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from contracts.entities.common import PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.user_group import UserGroup
from services.common.errors import Conflict, NotFound
from services.common.mongo import Document
from services.registry.documents import id_or_name_filter, to_document
from services.registry.names import validate_name
from services.registry.updates import now_ms
from services.registry.users import UserStore


class UserGroupStore:
    """User groups in the registry's database; members are stored as user ids."""

    def __init__(self, db: AsyncDatabase[Document], users: UserStore) -> None:
        self.coll = db["UserGroup"]
        self.users = users

    async def ensure_indexes(self) -> None:
        """Unique group names, and lookups by member."""
        await self.coll.create_index([("name", ASCENDING)], unique=True)
        await self.coll.create_index([("users", ASCENDING)])

    async def get(self, id_or_name: str) -> UserGroup:
        """The group with that id or name, or a 404."""
        doc = await self.coll.find_one(id_or_name_filter(id_or_name))
        if doc is None:
            raise NotFound(f"no user group named or with id {id_or_name!r}")
        return UserGroup.model_validate(doc)

    async def list_groups(self, member: str | None = None) -> list[UserGroup]:
        """Every group by name, or only those `member` is in (explicitly or through `everyone`)."""
        query: dict[str, object] = {}
        if member is not None:
            query = {"$or": [{"users": member}, {"everyone": True}]}
        cursor = self.coll.find(query).sort("name", ASCENDING)
        return [UserGroup.model_validate(doc) async for doc in cursor]

    async def create(self, name: str) -> UserGroup:
        """A new, empty group."""
        validate_name(name, "user group")
        group = UserGroup(id=str(ObjectId()), name=name, updated_at=now_ms())
        try:
            await self.coll.insert_one(to_document(group))
        except DuplicateKeyError:
            raise Conflict(f"a user group named {name!r} already exists") from None
        return group

    async def _set(self, id_or_name: str, fields: dict[str, object]) -> UserGroup:
        group = await self.get(id_or_name)
        try:
            await self.coll.update_one(
                {"_id": ObjectId(group.id)}, {"$set": {**fields, "updated_at": now_ms()}}
            )
        except DuplicateKeyError:
            raise Conflict(f"a user group named {fields.get('name')!r} already exists") from None
        return await self.get(group.id)

    async def rename(self, id_or_name: str, name: str) -> UserGroup:
        """Give a group a new, unused name."""
        validate_name(name, "user group")
        return await self._set(id_or_name, {"name": name})

    async def delete(self, id_or_name: str) -> UserGroup:
        """Remove a group (its permissions are removed by the caller)."""
        group = await self.get(id_or_name)
        await self.coll.delete_one({"_id": ObjectId(group.id)})
        return group

    async def _user_ids(self, users: list[str]) -> list[str]:
        return list(dict.fromkeys([(await self.users.find(user)).id for user in users]))

    async def add(self, id_or_name: str, user: str) -> UserGroup:
        """Add a user (id or username) to a group."""
        group = await self.get(id_or_name)
        (user_id,) = await self._user_ids([user])
        return await self._set(group.id, {"users": list(dict.fromkeys([*group.users, user_id]))})

    async def remove(self, id_or_name: str, user: str) -> UserGroup:
        """Take a user (id or username) out of a group."""
        group = await self.get(id_or_name)
        (user_id,) = await self._user_ids([user])
        return await self._set(group.id, {"users": [u for u in group.users if u != user_id]})

    async def set_users(self, id_or_name: str, users: list[str]) -> UserGroup:
        """Replace a group's members (ids or usernames); an unknown user changes nothing."""
        return await self._set(id_or_name, {"users": await self._user_ids(users)})

    async def set_everyone(self, id_or_name: str, everyone: bool) -> UserGroup:
        """Make a group count for every user, or only for its members."""
        return await self._set(id_or_name, {"everyone": everyone})

    async def set_type_permission(
        self, id_or_name: str, variant: ResourceTargetVariant, grant: PermissionLevelAndSpecifics
    ) -> None:
        """Give a group a permission on every resource of a type."""
        await self._set(id_or_name, {f"all.{variant.value}": grant.model_dump(mode="json")})

    async def forget_user(self, user_id: str) -> None:
        """Take a deleted user out of every group."""
        async for doc in self.coll.find({"users": user_id}, {"users": 1}):
            members = [u for u in doc.get("users") or [] if u != user_id]
            await self.coll.update_one({"_id": doc["_id"]}, {"$set": {"users": members}})
