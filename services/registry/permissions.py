"""Who may do what: Komodo's permission model, evaluated where the data lives.

A caller's level on a resource is the highest of: Read when `transparent_mode` is on; the resource's
`base_permission`; the user's `all[type]`; the `all[type]` of each group the user is in (groups with `everyone`
count for every user); and the explicit Permission documents of the user and their groups on that resource.
Specific permissions are unioned; Stacks and Deployments also gain the specifics their Server grants. Admins
(and the built-in service users) have Write and every specific on everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bson import ObjectId
from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from contracts.base import is_object_id
from contracts.entities.common import (
    PermissionLevel,
    PermissionLevelAndSpecifics,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
)
from contracts.entities.permission import Permission, UserTarget, UserTargetVariant
from contracts.entities.user import User
from services.common.caller import Caller
from services.common.errors import Forbidden
from services.common.mongo import Document
from services.registry.references import Referenced

READABLE = [PermissionLevel.Read.value, PermissionLevel.Execute.value, PermissionLevel.Write.value]
"""Levels that let a caller see a resource."""

INHERITS_FROM_SERVER = (ResourceTargetVariant.Stack, ResourceTargetVariant.Deployment)
"""Kinds that gain the specific permissions their Server grants (logs, inspect, terminal, ...)."""

FULL = PermissionLevelAndSpecifics(level=PermissionLevel.Write, specific=list(SpecificPermission))
"""What an admin has on every resource."""


def _rank(level: PermissionLevel | str) -> int:
    return PermissionLevel(level).rank


def _stronger(a: PermissionLevelAndSpecifics, b: PermissionLevelAndSpecifics) -> PermissionLevelAndSpecifics:
    """The higher level of the two, with the union of their specifics."""
    level = a.level if _rank(a.level) >= _rank(b.level) else b.level
    specific = list(dict.fromkeys([*a.specific, *b.specific]))
    return PermissionLevelAndSpecifics(level=level, specific=specific)


def _from_document(doc: Any) -> PermissionLevelAndSpecifics:
    if isinstance(doc, str):
        return PermissionLevelAndSpecifics(level=PermissionLevel(doc))
    if isinstance(doc, dict):
        return PermissionLevelAndSpecifics.model_validate(doc)
    return PermissionLevelAndSpecifics()


@dataclass
class Subject:
    """A non-admin caller with what grants it permissions: the user's own and its groups'."""

    user_id: str
    all: dict[str, PermissionLevelAndSpecifics] = field(default_factory=dict)
    """Type-wide permissions of the user and its groups, merged, by type name."""
    group_ids: list[str] = field(default_factory=list)
    """Ids of the groups the user is in (including `everyone` groups)."""
    create_servers: bool = False
    """Whether the user may create Servers."""
    create_builds: bool = False
    """Whether the user may create Builds."""

    def holders(self) -> dict[str, Any]:
        """A filter on Permission documents given to this user or any of its groups."""
        return {
            "$or": [
                {"user_target.type": UserTargetVariant.User.value, "user_target.id": self.user_id},
                {
                    "user_target.type": UserTargetVariant.UserGroup.value,
                    "user_target.id": {"$in": self.group_ids},
                },
            ]
        }


class PermissionStore:
    """Explicit permissions, and the evaluation of a caller's permission on resources and Updates."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        collections: dict[ResourceTargetVariant, AsyncCollection[Document]],
        transparent_mode: bool,
    ) -> None:
        self.coll = db["Permission"]
        self.users = db["User"]
        self.groups = db["UserGroup"]
        self.collections = collections
        """The resource collection of each kind, by type."""
        self.transparent_mode = transparent_mode

    async def ensure_indexes(self) -> None:
        """One permission per (user or group, resource); lookups by holder and by resource."""
        await self.coll.create_index(
            [
                ("user_target.type", ASCENDING),
                ("user_target.id", ASCENDING),
                ("resource_target.type", ASCENDING),
                ("resource_target.id", ASCENDING),
            ],
            unique=True,
        )
        await self.coll.create_index([("resource_target.type", ASCENDING), ("resource_target.id", ASCENDING)])

    # --- who the caller is -------------------------------------------------------------------------

    async def subject(self, caller: Caller) -> Subject | None:
        """The grants of a non-admin caller; None for admins and service users, who may do everything."""
        if caller.admin:
            return None
        doc = (
            await self.users.find_one({"_id": ObjectId(caller.user_id)})
            if is_object_id(caller.user_id)
            else None
        )
        if doc is None:
            # The user was deleted after its credentials were checked: it has no grants left.
            return Subject(user_id=caller.user_id)
        user = User.model_validate(doc)
        if user.admin:
            return None
        merged: dict[str, PermissionLevelAndSpecifics] = {k.value: v for k, v in user.all.items()}
        group_ids: list[str] = []
        async for group in self.groups.find({"$or": [{"users": caller.user_id}, {"everyone": True}]}):
            group_ids.append(str(group["_id"]))
            for kind, grant in (group.get("all") or {}).items():
                granted = _from_document(grant)
                merged[kind] = _stronger(merged[kind], granted) if kind in merged else granted
        return Subject(
            user_id=caller.user_id,
            all=merged,
            group_ids=group_ids,
            create_servers=user.create_server_permissions,
            create_builds=user.create_build_permissions,
        )

    def _type_wide(self, subject: Subject, variant: ResourceTargetVariant) -> PermissionLevelAndSpecifics:
        base = PermissionLevelAndSpecifics(
            level=PermissionLevel.Read if self.transparent_mode else PermissionLevel.None_
        )
        return _stronger(base, subject.all.get(variant.value, PermissionLevelAndSpecifics()))

    # --- one resource -------------------------------------------------------------------------------

    async def level(self, caller: Caller, target: ResourceTarget) -> PermissionLevelAndSpecifics:
        """The caller's effective permission on one resource (its id in `target.id`)."""
        subject = await self.subject(caller)
        if subject is None:
            return FULL
        return await self._level(subject, target)

    async def _level(self, subject: Subject, target: ResourceTarget) -> PermissionLevelAndSpecifics:
        if target.type == ResourceTargetVariant.System:
            return PermissionLevelAndSpecifics()
        result = self._type_wide(subject, target.type)
        coll = self.collections.get(target.type)
        doc = (
            # The whole config is fetched: nx-27017 answers a dotted projection with a flat "a.b" key.
            await coll.find_one({"_id": ObjectId(target.id)}, {"base_permission": 1, "config": 1})
            if coll is not None and is_object_id(target.id)
            else None
        )
        if doc is None:
            return result
        result = _stronger(result, _from_document(doc.get("base_permission")))
        async for grant in self.coll.find(
            {
                "$and": [
                    subject.holders(),
                    {"resource_target.type": target.type.value, "resource_target.id": target.id},
                ]
            }
        ):
            result = _stronger(result, _from_document(grant))
        server_id = str((doc.get("config") or {}).get("server_id") or "")
        if target.type in INHERITS_FROM_SERVER and server_id:
            server = await self._level(
                subject, ResourceTarget(type=ResourceTargetVariant.Server, id=server_id)
            )
            result = _stronger(result, PermissionLevelAndSpecifics(specific=server.specific))
        return result

    async def require(
        self,
        caller: Caller,
        target: ResourceTarget,
        level: PermissionLevel,
        name: str = "",
        specific: SpecificPermission | None = None,
    ) -> PermissionLevelAndSpecifics:
        """The caller's permission on a resource, or a 403 that says what was needed."""
        granted = await self.level(caller, target)
        shown = f"{target.type.value} {name or target.id!r}"
        if _rank(granted.level) < _rank(level):
            raise Forbidden(
                f"user {caller.username!r} needs {level.value} permission on {shown} "
                f"(has {granted.level.value})"
            )
        if specific is not None and specific not in granted.specific:
            raise Forbidden(f"user {caller.username!r} needs the {specific.value} permission on {shown}")
        return granted

    async def require_attach(self, caller: Caller, reference: Referenced) -> None:
        """A 403 unless the caller may attach the referenced resource to a config it writes.

        Komodo's rule: the `Attach` specific permission on the referenced resource, or Write on it. Without it,
        a user with no rights on a Server could point a Deployment it owns at that Server and Deploy to it.
        """
        target = ResourceTarget(type=reference.target, id=reference.id)
        granted = await self.level(caller, target)
        if (
            _rank(granted.level) >= _rank(PermissionLevel.Write)
            or SpecificPermission.Attach in granted.specific
        ):
            return
        raise Forbidden(
            f"user {caller.username!r} needs the Attach permission (or Write) on {reference.target.value} "
            f"{reference.name!r} to use it in {reference.field} (has {granted.level.value})",
            [
                f"{reference.field}: {reference.target.value} {reference.name!r} is not attachable by this user"
            ],
        )

    # --- many resources -----------------------------------------------------------------------------

    async def readable_filter(self, caller: Caller, variant: ResourceTargetVariant) -> dict[str, Any] | None:
        """A Mongo filter on a kind's collection that keeps what the caller may Read; None when that is all."""
        subject = await self.subject(caller)
        if subject is None:
            return None
        return await self._readable_filter(subject, variant)

    async def _readable_filter(
        self, subject: Subject, variant: ResourceTargetVariant
    ) -> dict[str, Any] | None:
        if _rank(self._type_wide(subject, variant).level) >= _rank(PermissionLevel.Read):
            return None
        ids = [
            ObjectId(doc["resource_target"]["id"])
            async for doc in self.coll.find(
                {
                    "$and": [
                        subject.holders(),
                        {"resource_target.type": variant.value, "level": {"$in": READABLE}},
                    ]
                },
                {"resource_target": 1},
            )
            if is_object_id(str(doc["resource_target"]["id"]))
        ]
        return {"$or": [{"_id": {"$in": ids}}, {"base_permission.level": {"$in": READABLE}}]}

    async def readable_ids(self, caller: Caller, variant: ResourceTargetVariant) -> list[str] | None:
        """The ids of the resources of a kind the caller may Read, evaluated now; None when that is all.

        The same rule as `readable_filter`, as two queries nx-27017 runs in SQL (its `$or` of them is
        evaluated in Python, document by document). Ids granted on resources deleted since may be among them.
        """
        subject = await self.subject(caller)
        if subject is None:
            return None
        readable = await self._readable_filter(subject, variant)
        if readable is None:
            return None
        granted: list[ObjectId] = readable["$or"][0]["_id"]["$in"]
        coll = self.collections[variant]
        shared = [str(doc["_id"]) async for doc in coll.find(readable["$or"][1], {"_id": 1})]
        return list(dict.fromkeys([*(str(oid) for oid in granted), *shared]))

    async def visible_updates_filter(self, caller: Caller) -> dict[str, Any] | None:
        """A Mongo filter on Updates that keeps those whose target the caller may Read; None for admins.

        Updates about the System target are for admins only.
        """
        subject = await self.subject(caller)
        if subject is None:
            return None
        clauses: list[dict[str, Any]] = []
        for variant, coll in self.collections.items():
            readable = await self._readable_filter(subject, variant)
            if readable is None:
                clauses.append({"target.type": variant.value})
                continue
            ids = [str(doc["_id"]) async for doc in coll.find(readable, {"_id": 1})]
            if ids:
                clauses.append({"target.type": variant.value, "target.id": {"$in": ids}})
        # An empty $or is an error in MongoDB; a filter no document passes says "nothing" instead.
        return {"$or": clauses} if clauses else {"_id": {"$in": []}}

    # --- explicit permissions -----------------------------------------------------------------------

    async def set(
        self, holder: UserTarget, target: ResourceTarget, grant: PermissionLevelAndSpecifics
    ) -> None:
        """Give a user or group a permission on one resource (None with no specifics removes it)."""
        key = {
            "user_target.type": holder.type.value,
            "user_target.id": holder.id,
            "resource_target.type": target.type.value,
            "resource_target.id": target.id,
        }
        if grant.level == PermissionLevel.None_ and not grant.specific:
            await self.coll.delete_one(key)
            return
        await self.coll.update_one(
            key,
            {
                "$set": {
                    "user_target": holder.model_dump(mode="json"),
                    "resource_target": target.model_dump(mode="json"),
                    "level": grant.level.value,
                    "specific": [s.value for s in grant.specific],
                }
            },
            upsert=True,
        )

    async def of_holder(self, holder: UserTarget) -> list[Permission]:
        """Every explicit permission of one user or group."""
        cursor = self.coll.find({"user_target.type": holder.type.value, "user_target.id": holder.id})
        return [Permission.model_validate(doc) async for doc in cursor]

    async def of_caller(self, caller: Caller) -> list[Permission]:
        """The explicit permissions of the caller and of the groups it is in."""
        subject = await self.subject(caller)
        if subject is None:
            subject = Subject(user_id=caller.user_id, group_ids=await self._group_ids(caller.user_id))
        return [Permission.model_validate(doc) async for doc in self.coll.find(subject.holders())]

    async def _group_ids(self, user_id: str) -> list[str]:
        cursor = self.groups.find({"$or": [{"users": user_id}, {"everyone": True}]}, {"_id": 1})
        return [str(doc["_id"]) async for doc in cursor]

    async def forget_holder(self, holder: UserTarget) -> None:
        """Remove every permission of a deleted user or group."""
        await self.coll.delete_many({"user_target.type": holder.type.value, "user_target.id": holder.id})

    async def forget_target(self, target: ResourceTarget) -> None:
        """Remove every permission on a deleted resource."""
        await self.coll.delete_many(
            {"resource_target.type": target.type.value, "resource_target.id": target.id}
        )

    async def check_create(
        self, caller: Caller, variant: ResourceTargetVariant, non_admin_create: bool
    ) -> None:
        """Whether the caller may create a resource of this kind; a 403 saying why not."""
        subject = await self.subject(caller)
        if subject is None:
            return
        if variant in ADMIN_ONLY_CREATE:
            raise Forbidden(f"only admins may create a {variant.value}")
        if not non_admin_create:
            raise Forbidden("only admins may create resources here (disable_non_admin_create is set)")
        if variant == ResourceTargetVariant.Server and not subject.create_servers:
            raise Forbidden(f"user {caller.username!r} may not create servers; an admin can allow it")
        if variant == ResourceTargetVariant.Build and not subject.create_builds:
            raise Forbidden(f"user {caller.username!r} may not create builds; an admin can allow it")


ADMIN_ONLY_CREATE = frozenset(
    {
        ResourceTargetVariant.Action,
        ResourceTargetVariant.Alerter,
        ResourceTargetVariant.Builder,
        ResourceTargetVariant.ResourceSync,
    }
)
"""Kinds only admins may create, whatever the settings (as Komodo's `user_can_create`): an Action runs as the
admin service user, a Builder and an Alerter reach other hosts, a ResourceSync writes every kind."""


def require_admin(caller: Caller, what: str) -> None:
    """A 403 unless the caller is an admin."""
    if not caller.admin:
        raise Forbidden(f"only admins may {what}")
