"""Reads about users, API keys and permissions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.user import (
    FindUser,
    GetPermission,
    GetUsername,
    ListApiKeys,
    ListApiKeysForServiceUser,
    ListPermissions,
    ListUsers,
    ListUserTargetPermissions,
)
from contracts.entities.api_key import ApiKey
from contracts.entities.common import PermissionLevelAndSpecifics
from contracts.entities.permission import Permission
from contracts.entities.user import GetUsernameResponse, User
from contracts.service_users import SERVICE_USERS
from services.common.bus import RequestContext
from services.registry.permissions import require_admin
from services.registry.users import public_user

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the user and permission reads."""
    users = registry.users

    async def username(req: GetUsername, ctx: RequestContext) -> GetUsernameResponse:
        if req.user_id in SERVICE_USERS:
            return GetUsernameResponse(username=SERVICE_USERS[req.user_id])
        user = await users.find(req.user_id)
        avatar = getattr(user.config.data, "avatar", None) or None
        return GetUsernameResponse(username=user.username, avatar=avatar)

    async def find(req: FindUser, ctx: RequestContext) -> User:
        require_admin(ctx.caller, "look up users")
        return public_user(await users.find(req.user))

    async def list_users(req: ListUsers, ctx: RequestContext) -> list[User]:
        require_admin(ctx.caller, "list users")
        return await users.list_users(req.service_users)

    async def own_keys(req: ListApiKeys, ctx: RequestContext) -> list[ApiKey]:
        return await users.api_keys(ctx.caller.user_id)

    async def service_keys(req: ListApiKeysForServiceUser, ctx: RequestContext) -> list[ApiKey]:
        require_admin(ctx.caller, "list the API keys of service users")
        return await users.api_keys((await users.service_user(req.user)).id)

    async def permission(req: GetPermission, ctx: RequestContext) -> PermissionLevelAndSpecifics:
        target = await registry.resolve_target(req.target)
        return await registry.permissions.level(ctx.caller, target)

    async def own_permissions(req: ListPermissions, ctx: RequestContext) -> list[Permission]:
        return await registry.permissions.of_caller(ctx.caller)

    async def holder_permissions(req: ListUserTargetPermissions, ctx: RequestContext) -> list[Permission]:
        require_admin(ctx.caller, "list the permissions of other users and groups")
        return await registry.permissions.of_holder(await registry.resolve_holder(req.user_target))

    registry.bus.handle(GetUsername, username)
    registry.bus.handle(FindUser, find)
    registry.bus.handle(ListUsers, list_users)
    registry.bus.handle(ListApiKeys, own_keys)
    registry.bus.handle(ListApiKeysForServiceUser, service_keys)
    registry.bus.handle(GetPermission, permission)
    registry.bus.handle(ListPermissions, own_permissions)
    registry.bus.handle(ListUserTargetPermissions, holder_permissions)
