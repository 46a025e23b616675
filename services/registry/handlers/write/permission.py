"""Permission writes: admin flags, base permissions, type-wide and per-resource grants."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.write.permission import (
    UpdatePermissionOnResourceType,
    UpdatePermissionOnTarget,
    UpdateUserAdmin,
    UpdateUserBasePermissions,
)
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.permission import UserTarget, UserTargetVariant
from services.common.bus import RequestContext
from services.common.errors import BadRequest, Forbidden
from services.registry.credential_notices import EVERYONE
from services.registry.permissions import require_admin

if TYPE_CHECKING:
    from services.registry.app import Registry


def holder_user(holder: UserTarget) -> str:
    """The user a permission change concerns: the user itself, or every user for a group."""
    return holder.id if holder.type == UserTargetVariant.User else EVERYONE


def register(registry: Registry) -> None:
    """Answer the four permission writes."""
    users = registry.users

    async def admin(req: UpdateUserAdmin, ctx: RequestContext) -> NoData:
        acting = (
            await users.find(ctx.caller.user_id)
            if ctx.caller.user_id not in registry.service_user_ids
            else None
        )
        if acting is not None and not acting.super_admin:
            raise Forbidden("only the super admin may make users admins or not")
        user = await users.find(req.user_id)
        if user.super_admin:
            raise BadRequest(f"user {user.username!r} is the super admin; its admin flag cannot change")
        await users.set_fields(user.id, {"admin": req.admin})
        await registry.credential_notices.changed(user.id, "admin flag changed")
        return NoData()

    async def base(req: UpdateUserBasePermissions, ctx: RequestContext) -> NoData:
        require_admin(ctx.caller, "change users' base permissions")
        user = await users.find(req.user_id)
        if user.super_admin and req.enabled is False:
            raise BadRequest(f"user {user.username!r} is the super admin and cannot be disabled")
        fields: dict[str, object] = {}
        if req.enabled is not None:
            fields["enabled"] = req.enabled
        if req.create_servers is not None:
            fields["create_server_permissions"] = req.create_servers
        if req.create_builds is not None:
            fields["create_build_permissions"] = req.create_builds
        if fields:
            await users.set_fields(user.id, fields)
            disabled = [key.key for key in await users.api_keys(user.id)] if req.enabled is False else []
            await registry.credential_notices.changed(user.id, "base permissions changed", disabled)
        return NoData()

    async def on_type(req: UpdatePermissionOnResourceType, ctx: RequestContext) -> NoData:
        require_admin(ctx.caller, "change permissions")
        if req.resource_type == ResourceTargetVariant.System:
            raise BadRequest("resource_type: permissions are given on resource types, not on System")
        holder = await registry.resolve_holder(req.user_target)
        if holder.type == UserTargetVariant.User:
            await users.set_type_permission(holder.id, req.resource_type, req.permission)
        else:
            await registry.user_groups.set_type_permission(holder.id, req.resource_type, req.permission)
        await registry.credential_notices.changed(holder_user(holder), "permission changed")
        return NoData()

    async def on_target(req: UpdatePermissionOnTarget, ctx: RequestContext) -> NoData:
        require_admin(ctx.caller, "change permissions")
        holder = await registry.resolve_holder(req.user_target)
        target = await registry.resolve_target(req.resource_target)
        await registry.permissions.set(holder, target, req.permission)
        await registry.credential_notices.changed(holder_user(holder), "permission changed")
        return NoData()

    registry.bus.handle(UpdateUserAdmin, admin)
    registry.bus.handle(UpdateUserBasePermissions, base)
    registry.bus.handle(UpdatePermissionOnResourceType, on_type)
    registry.bus.handle(UpdatePermissionOnTarget, on_target)
