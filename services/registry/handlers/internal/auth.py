"""Sign-up, log-in, API-key and caller checks for the gateway and the services."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.base import NoData
from contracts.api.internal.auth import (
    CallerInfo,
    ChangePassword,
    ChangeUsername,
    GetUserRecord,
    IssueApiKey,
    ListUserApiKeys,
    RegisterLocalUser,
    ResolveCaller,
    RevokeApiKey,
    VerifyApiKey,
    VerifyLocalLogin,
)
from contracts.entities.api_key import ApiKey, CreateApiKeyResponse
from contracts.entities.user import User
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the internal auth requests."""
    users = registry.users

    async def sign_up(req: RegisterLocalUser, ctx: RequestContext) -> CallerInfo:
        return await users.sign_up(req.username, req.password)

    async def login(req: VerifyLocalLogin, ctx: RequestContext) -> CallerInfo:
        return await users.verify_login(req.username, req.password)

    async def api_key(req: VerifyApiKey, ctx: RequestContext) -> CallerInfo:
        return await users.verify_api_key(req.key, req.secret)

    async def resolve(req: ResolveCaller, ctx: RequestContext) -> CallerInfo:
        return await users.resolve(req.user_id)

    async def issue(req: IssueApiKey, ctx: RequestContext) -> CreateApiKeyResponse:
        return await users.issue_api_key(req.user_id, req.name, req.expires)

    async def keys_of(req: ListUserApiKeys, ctx: RequestContext) -> list[ApiKey]:
        return await users.api_keys(req.user_id)

    async def revoke(req: RevokeApiKey, ctx: RequestContext) -> NoData:
        await users.revoke_api_key(req.user_id, req.key)
        await registry.credential_notices.changed(req.user_id, "API key deleted", [req.key])
        return NoData()

    async def record(req: GetUserRecord, ctx: RequestContext) -> User:
        return await users.record(req.user_id)

    async def rename(req: ChangeUsername, ctx: RequestContext) -> NoData:
        await users.change_username(req.user_id, req.username)
        await registry.credential_notices.changed(req.user_id, "renamed")
        return NoData()

    async def password(req: ChangePassword, ctx: RequestContext) -> NoData:
        await users.change_password(req.user_id, req.password)
        return NoData()

    registry.bus.handle(GetUserRecord, record)
    registry.bus.handle(ChangeUsername, rename)
    registry.bus.handle(ChangePassword, password)
    registry.bus.handle(RegisterLocalUser, sign_up)
    registry.bus.handle(VerifyLocalLogin, login)
    registry.bus.handle(VerifyApiKey, api_key)
    registry.bus.handle(ResolveCaller, resolve)
    registry.bus.handle(IssueApiKey, issue)
    registry.bus.handle(RevokeApiKey, revoke)
    registry.bus.handle(ListUserApiKeys, keys_of)
