"""Onboarding key writes (admin only): create (the private key is shown once), update, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.write.onboarding_key import CreateOnboardingKey, DeleteOnboardingKey, UpdateOnboardingKey
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.onboarding_key import CreateOnboardingKeyResponse, OnboardingKey
from services.common.bus import RequestContext
from services.registry.permissions import require_admin
from services.registry.resources import resolve_tags

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the onboarding key writes."""
    keys = registry.onboarding_keys
    servers = registry.kinds[ResourceTargetVariant.Server.value]
    what = "manage onboarding keys"

    async def server_id(name: str) -> str:
        if not name:
            return ""
        return (await servers.get(name)).id

    async def create(req: CreateOnboardingKey, ctx: RequestContext) -> CreateOnboardingKeyResponse:
        require_admin(ctx.caller, what)
        fields = {
            "name": req.name,
            "expires": req.expires,
            "tags": await resolve_tags(registry.db, req.tags, strict=True),
            "privileged": req.privileged,
            "copy_server": await server_id(req.copy_server),
            "create_builder": req.create_builder,
            "single_use": req.single_use,
        }
        return await keys.create(fields, req.private_key)

    async def update(req: UpdateOnboardingKey, ctx: RequestContext) -> OnboardingKey:
        require_admin(ctx.caller, what)
        changes = req.model_dump(exclude={"public_key"}, exclude_none=True)
        if req.tags is not None:
            changes["tags"] = await resolve_tags(registry.db, req.tags, strict=True)
        if req.copy_server is not None:
            changes["copy_server"] = await server_id(req.copy_server)
        return await keys.update(req.public_key, changes)

    async def delete(req: DeleteOnboardingKey, ctx: RequestContext) -> OnboardingKey:
        require_admin(ctx.caller, what)
        return await keys.delete(req.public_key)

    registry.bus.handle(CreateOnboardingKey, create)
    registry.bus.handle(UpdateOnboardingKey, update)
    registry.bus.handle(DeleteOnboardingKey, delete)
