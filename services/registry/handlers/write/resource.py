"""Create, Copy, Update, Rename and Delete for every resource kind, and UpdateResourceMeta.

Creating needs the right to create (admins; other users unless `disable_non_admin_create`, never an Action,
Alerter, Builder or ResourceSync, and for Servers and
Builds only with the matching user flag); the creator who is not an admin gets Write on what it created.
Copying also needs Read on the source; changing, renaming and deleting need Write. Every resource a written
config points at (a server, build, builder, linked repo, alerter or procedure target) that it did not point at
before needs the writer's `Attach` permission, or Write, on that resource (admins pass).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.base import NoData, find_request
from contracts.entities.common import (
    PermissionLevel,
    PermissionLevelAndSpecifics,
    ResourceTarget,
    ResourceTargetVariant,
)
from contracts.entities.permission import UserTarget, UserTargetVariant
from services.common.bus import RequestContext
from services.common.caller import Caller
from services.common.errors import BadRequest
from services.registry.references import Referenced
from services.registry.resources import AttachCheck, ResourceService, kind_for

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the generic writes of each kind whose request classes exist."""
    for service in registry.kinds.values():
        _register_kind(registry, service)
    meta = find_request("write", "UpdateResourceMeta")
    if meta is not None:

        async def update_meta(req: Any, ctx: RequestContext) -> NoData:
            service = registry.kinds[kind_for(req.target.type.value).name]
            target = await registry.resolve_target(req.target)
            await registry.permissions.require(ctx.caller, target, PermissionLevel.Write)
            await service.update_meta(target.id, req.description, req.template, req.tags)
            return NoData()

        registry.bus.handle(meta, update_meta)


def refuse_launched(server: Any) -> None:
    """A 400 for a server whose cloud machine a delete would leave running (launched by `LaunchServer`)."""
    info = server.info
    if getattr(info, "cloud_id", ""):
        machine = f"{info.cloud_provider} machine {info.cloud_id}" + (
            f" ({info.cloud_region})" if info.cloud_region else ""
        )
        raise BadRequest(
            f"server {server.name!r} runs on the {machine} it was launched on: DestroyServer with confirm: true "
            "terminates the machine and deletes the server; DeleteServer with keep_cloud_machine: true deletes "
            "only the server and leaves the machine running"
        )


def _register_kind(registry: Registry, service: ResourceService) -> None:
    spec = service.spec
    permissions = registry.permissions
    non_admin_create = not registry.settings.disable_non_admin_create

    async def writable(id_or_name: str, caller: Caller) -> str:
        resource = await service.get(id_or_name)
        target = ResourceTarget(type=spec.variant, id=resource.id)
        await permissions.require(caller, target, PermissionLevel.Write, resource.name)
        return resource.id

    async def give_creator_write(resource: Any, caller: Caller) -> None:
        if not caller.admin:
            await permissions.set(
                UserTarget(type=UserTargetVariant.User, id=caller.user_id),
                ResourceTarget(type=spec.variant, id=resource.id),
                PermissionLevelAndSpecifics(level=PermissionLevel.Write),
            )

    def attach_check(caller: Caller) -> AttachCheck | None:
        """What checks each resource a config written by `caller` points at (nothing for admins)."""
        if caller.admin:
            return None

        async def check(reference: Referenced) -> None:
            await permissions.require_attach(caller, reference)

        return check

    async def create(req: Any, ctx: RequestContext) -> Any:
        await permissions.check_create(ctx.caller, spec.variant, non_admin_create)
        resource = await service.create(
            req.name, dict(req.config or {}), ctx.caller.user_id, attach=attach_check(ctx.caller)
        )
        await give_creator_write(resource, ctx.caller)
        return resource

    async def copy(req: Any, ctx: RequestContext) -> Any:
        await permissions.check_create(ctx.caller, spec.variant, non_admin_create)
        source = await service.get(req.id)
        source_target = ResourceTarget(type=spec.variant, id=source.id)
        await permissions.require(ctx.caller, source_target, PermissionLevel.Read, source.name)
        resource = await service.copy(req.name, source.id, ctx.caller.user_id, attach_check(ctx.caller))
        await give_creator_write(resource, ctx.caller)
        return resource

    async def update(req: Any, ctx: RequestContext) -> Any:
        resource_id = await writable(req.id, ctx.caller)
        updated = await service.update(
            resource_id, dict(req.config or {}), ctx.caller.user_id, attach_check(ctx.caller)
        )
        return updated if ctx.caller.admin else service.without_secrets(updated)

    async def rename(req: Any, ctx: RequestContext) -> Any:
        return await service.rename(await writable(req.id, ctx.caller), req.name, ctx.caller.user_id)

    async def delete(req: Any, ctx: RequestContext) -> Any:
        resource_id = await writable(req.id, ctx.caller)
        if spec.variant == ResourceTargetVariant.Server and not getattr(req, "keep_cloud_machine", False):
            refuse_launched(await service.get(resource_id))
        deleted = await service.delete(resource_id, ctx.caller.user_id)
        await permissions.forget_target(ResourceTarget(type=spec.variant, id=deleted.id))
        if spec.variant == ResourceTargetVariant.Server:
            await registry.agent_credentials.forget(deleted.id)
        return deleted if ctx.caller.admin else service.without_secrets(deleted)

    for pattern, handler in (
        ("Create{K}", create),
        ("Copy{K}", copy),
        ("Update{K}", update),
        ("Rename{K}", rename),
        ("Delete{K}", delete),
    ):
        request_cls = spec.request("write", pattern)
        if request_cls is not None:
            registry.bus.handle(request_cls, handler)
