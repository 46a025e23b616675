"""User group writes (admin only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.write.user_group import (
    AddUserToUserGroup,
    CreateUserGroup,
    DeleteUserGroup,
    RemoveUserFromUserGroup,
    RenameUserGroup,
    SetEveryoneUserGroup,
    SetUsersInUserGroup,
)
from contracts.entities.permission import UserTarget, UserTargetVariant
from contracts.entities.user_group import UserGroup
from services.common.bus import RequestContext
from services.registry.credential_notices import EVERYONE
from services.registry.permissions import require_admin

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the seven user group writes."""
    groups = registry.user_groups
    what = "manage user groups"

    async def create(req: CreateUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        return await groups.create(req.name)

    async def rename(req: RenameUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        return await groups.rename(req.id, req.name)

    async def delete(req: DeleteUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        group = await groups.delete(req.id)
        await registry.permissions.forget_holder(UserTarget(type=UserTargetVariant.UserGroup, id=group.id))
        await registry.credential_notices.changed(EVERYONE, "user group deleted")
        return group

    async def add(req: AddUserToUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        group = await groups.add(req.user_group, req.user)
        await registry.credential_notices.changed(EVERYONE, "user group members changed")
        return group

    async def remove(req: RemoveUserFromUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        group = await groups.remove(req.user_group, req.user)
        await registry.credential_notices.changed(EVERYONE, "user group members changed")
        return group

    async def set_users(req: SetUsersInUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        group = await groups.set_users(req.user_group, req.users)
        await registry.credential_notices.changed(EVERYONE, "user group members changed")
        return group

    async def everyone(req: SetEveryoneUserGroup, ctx: RequestContext) -> UserGroup:
        require_admin(ctx.caller, what)
        group = await groups.set_everyone(req.user_group, req.everyone)
        await registry.credential_notices.changed(EVERYONE, "user group members changed")
        return group

    registry.bus.handle(CreateUserGroup, create)
    registry.bus.handle(RenameUserGroup, rename)
    registry.bus.handle(DeleteUserGroup, delete)
    registry.bus.handle(AddUserToUserGroup, add)
    registry.bus.handle(RemoveUserFromUserGroup, remove)
    registry.bus.handle(SetUsersInUserGroup, set_users)
    registry.bus.handle(SetEveryoneUserGroup, everyone)
