"""What exists now, as the sync compares it: every resource, tag, variable, user group and user by name."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from contracts.api.read.tag import ListTags
from contracts.api.read.user import ListUsers, ListUserTargetPermissions
from contracts.api.read.user_group import ListUserGroups
from contracts.api.read.variable import ListVariables
from contracts.entities.common import Resource, ResourceTargetVariant
from contracts.entities.permission import Permission, UserTarget, UserTargetVariant
from contracts.entities.tag import Tag
from contracts.entities.user_group import UserGroup
from contracts.entities.variable import Variable
from services.common.bus import Bus
from services.sync.kinds import KINDS, SyncKind


@dataclass
class Current:
    """A snapshot of the system, read as the Resource Sync service user (an admin: secrets included)."""

    resources: dict[ResourceTargetVariant, dict[str, Resource[Any, Any]]] = field(default_factory=dict)
    """Per type, the resources by name."""
    names: dict[ResourceTargetVariant, dict[str, str]] = field(default_factory=dict)
    """Per type, resource names by id."""
    tags: dict[str, str] = field(default_factory=dict)
    """Tag names by id."""
    variables: dict[str, Variable] = field(default_factory=dict)
    user_groups: dict[str, UserGroup] = field(default_factory=dict)
    usernames: dict[str, str] = field(default_factory=dict)
    """Usernames by user id."""
    group_permissions: dict[str, list[Permission]] = field(default_factory=dict)
    """Per user group name, its permissions on resources."""

    def of(self, kind: SyncKind) -> dict[str, Resource[Any, Any]]:
        """The resources of a kind by name."""
        return self.resources.setdefault(kind.variant, {})

    def name_of(self, variant: ResourceTargetVariant, value: str) -> str:
        """A reference as a name: the name of the resource with that id, else the value as it is."""
        return self.names.get(variant, {}).get(value, value)


async def read_current(bus: Bus, headers: Mapping[str, str], with_groups: bool) -> Current:
    """Everything the sync compares against, in parallel requests."""

    async def full(kind: SyncKind) -> list[Resource[Any, Any]]:
        found: list[Resource[Any, Any]] = await bus.request(
            kind.request("read", "ListFull{Ks}")(limit=0), headers
        )
        return found

    lists = await asyncio.gather(*(full(kind) for kind in KINDS))
    tags: list[Tag] = await bus.request(ListTags(), headers)
    variables: list[Variable] = await bus.request(ListVariables(), headers)
    current = Current(tags={t.id: t.name for t in tags}, variables={v.name: v for v in variables})
    for kind, found in zip(KINDS, lists, strict=True):
        current.resources[kind.variant] = {r.name: r for r in found}
        current.names[kind.variant] = {r.id: r.name for r in found}
    if with_groups:
        groups: list[UserGroup] = await bus.request(ListUserGroups(), headers)
        current.user_groups = {g.name: g for g in groups}
        users: list[Any] = await bus.request(ListUsers(), headers)
        current.usernames = {u.id: u.username for u in users}

        async def granted(group: UserGroup) -> list[Permission]:
            target = UserTarget(type=UserTargetVariant.UserGroup, id=group.id)
            found: list[Permission] = await bus.request(
                ListUserTargetPermissions(user_target=target), headers
            )
            return found

        grants = await asyncio.gather(*(granted(g) for g in groups))
        current.group_permissions = {g.name: p for g, p in zip(groups, grants, strict=True)}
    return current
