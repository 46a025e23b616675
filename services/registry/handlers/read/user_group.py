"""User group reads: admins see every group, other users the groups they are in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.user_group import GetUserGroup, ListUserGroups
from contracts.entities.user_group import UserGroup
from services.common.bus import RequestContext
from services.common.errors import NotFound

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetUserGroup and ListUserGroups."""
    groups = registry.user_groups

    async def get(req: GetUserGroup, ctx: RequestContext) -> UserGroup:
        group = await groups.get(req.user_group)
        if not ctx.caller.admin and not group.everyone and ctx.caller.user_id not in group.users:
            # A group the caller is not in is as invisible as a missing one.
            raise NotFound(f"no user group named or with id {req.user_group!r}")
        return group

    async def list_groups(req: ListUserGroups, ctx: RequestContext) -> list[UserGroup]:
        return await groups.list_groups(None if ctx.caller.admin else ctx.caller.user_id)

    registry.bus.handle(GetUserGroup, get)
    registry.bus.handle(ListUserGroups, list_groups)
