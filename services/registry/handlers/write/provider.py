"""Account writes: create, update and delete git provider and image registry accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.write.provider import (
    CreateGitProviderAccount,
    CreateImageRegistryAccount,
    DeleteGitProviderAccount,
    DeleteImageRegistryAccount,
    UpdateGitProviderAccount,
    UpdateImageRegistryAccount,
)
from services.common.bus import RequestContext
from services.registry.permissions import require_admin
from services.registry.providers import AccountStore

if TYPE_CHECKING:
    from services.registry.app import Registry


def _register(registry: Registry, store: AccountStore[Any], create: Any, update: Any, delete: Any) -> None:
    async def on_create(req: Any, ctx: RequestContext) -> Any:
        require_admin(ctx.caller, "change accounts")
        return await store.create(req.account, ctx.caller.user_id)

    async def on_update(req: Any, ctx: RequestContext) -> Any:
        require_admin(ctx.caller, "change accounts")
        return await store.update(req.id, req.account, ctx.caller.user_id)

    async def on_delete(req: Any, ctx: RequestContext) -> Any:
        require_admin(ctx.caller, "change accounts")
        return await store.delete(req.id, ctx.caller.user_id)

    registry.bus.handle(create, on_create)
    registry.bus.handle(update, on_update)
    registry.bus.handle(delete, on_delete)


def register(registry: Registry) -> None:
    """Answer the account writes of both kinds."""
    _register(
        registry,
        registry.git_accounts,
        CreateGitProviderAccount,
        UpdateGitProviderAccount,
        DeleteGitProviderAccount,
    )
    _register(
        registry,
        registry.registry_accounts,
        CreateImageRegistryAccount,
        UpdateImageRegistryAccount,
        DeleteImageRegistryAccount,
    )
