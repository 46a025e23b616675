"""User administration (admin only) and the caller's own bookkeeping: recents and the last seen Update."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.write.user import (
    CreateApiKeyForServiceUser,
    CreateLocalUser,
    CreateServiceUser,
    DeleteApiKeyForServiceUser,
    DeleteUser,
    PushRecentlyViewed,
    SetLastSeenUpdate,
    UpdateServiceUserDescription,
)
from contracts.entities.api_key import CreateApiKeyResponse
from contracts.entities.permission import UserTarget, UserTargetVariant
from contracts.entities.user import User
from services.common.bus import RequestContext
from services.registry.permissions import require_admin
from services.registry.users import public_user

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the user writes."""
    users = registry.users

    async def create_local(req: CreateLocalUser, ctx: RequestContext) -> User:
        require_admin(ctx.caller, "create users")
        user = await users.create_local(
            req.username, req.password, enabled=True, admin=False, super_admin=False
        )
        return public_user(user)

    async def delete(req: DeleteUser, ctx: RequestContext) -> User:
        require_admin(ctx.caller, "delete users")
        keys = [key.key for key in await users.api_keys((await users.find(req.user)).id)]
        user = await users.delete(req.user, ctx.caller.user_id)
        await registry.user_groups.forget_user(user.id)
        await registry.permissions.forget_holder(UserTarget(type=UserTargetVariant.User, id=user.id))
        await registry.credential_notices.changed(user.id, "user deleted", keys)
        return user

    async def create_service(req: CreateServiceUser, ctx: RequestContext) -> User:
        require_admin(ctx.caller, "create service users")
        return public_user(await users.create_service(req.username, req.description))

    async def describe_service(req: UpdateServiceUserDescription, ctx: RequestContext) -> User:
        require_admin(ctx.caller, "change service users")
        return await users.set_service_description(req.username, req.description)

    async def create_key(req: CreateApiKeyForServiceUser, ctx: RequestContext) -> CreateApiKeyResponse:
        require_admin(ctx.caller, "create API keys for service users")
        user = await users.service_user(req.user_id)
        return await users.issue_api_key(user.id, req.name, req.expires)

    async def delete_key(req: DeleteApiKeyForServiceUser, ctx: RequestContext) -> NoData:
        require_admin(ctx.caller, "delete API keys of service users")
        owner = await users.service_user(await users.key_owner(req.key))
        await users.revoke_api_key(owner.id, req.key)
        await registry.credential_notices.changed(owner.id, "API key deleted", [req.key])
        return NoData()

    async def push_recent(req: PushRecentlyViewed, ctx: RequestContext) -> NoData:
        if ctx.caller.user_id in registry.service_user_ids:
            return NoData()
        await users.push_recent(ctx.caller.user_id, req.resource.type, req.resource.id)
        return NoData()

    async def last_seen(req: SetLastSeenUpdate, ctx: RequestContext) -> NoData:
        if ctx.caller.user_id in registry.service_user_ids:
            return NoData()
        await users.set_last_seen(ctx.caller.user_id)
        return NoData()

    registry.bus.handle(CreateLocalUser, create_local)
    registry.bus.handle(DeleteUser, delete)
    registry.bus.handle(CreateServiceUser, create_service)
    registry.bus.handle(UpdateServiceUserDescription, describe_service)
    registry.bus.handle(CreateApiKeyForServiceUser, create_key)
    registry.bus.handle(DeleteApiKeyForServiceUser, delete_key)
    registry.bus.handle(PushRecentlyViewed, push_recent)
    registry.bus.handle(SetLastSeenUpdate, last_seen)
