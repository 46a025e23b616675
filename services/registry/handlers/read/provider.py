"""Account reads: get and list git provider and image registry accounts."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.read.provider import (
    GetGitProviderAccount,
    GetImageRegistryAccount,
    ListGitProviderAccounts,
    ListImageRegistryAccounts,
)
from services.common.bus import RequestContext
from services.registry.permissions import require_admin
from services.registry.providers import AccountStore

if TYPE_CHECKING:
    from services.registry.app import Registry


def _register(registry: Registry, store: AccountStore[Any], get: Any, list_cls: Any) -> None:
    async def on_get(req: Any, ctx: RequestContext) -> Any:
        require_admin(ctx.caller, "read accounts (they hold tokens)")
        return await store.get(req.id)

    async def on_list(req: Any, ctx: RequestContext) -> Any:
        require_admin(ctx.caller, "read accounts (they hold tokens)")
        return await store.list(req.domain, req.username)

    registry.bus.handle(get, on_get)
    registry.bus.handle(list_cls, on_list)


def register(registry: Registry) -> None:
    """Answer the account reads of both kinds."""
    _register(registry, registry.git_accounts, GetGitProviderAccount, ListGitProviderAccounts)
    _register(registry, registry.registry_accounts, GetImageRegistryAccount, ListImageRegistryAccounts)
