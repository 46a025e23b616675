"""Komodo v2's `/auth` API: local sign-up and log-in (answering JWTs), and the caller's API keys.

Failed log-ins and failed credential checks are limited per client address (5 in 15 s by default, as Komodo);
past the limit the answer is 429 until the window has passed. The limit is kept per gateway replica.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from nats.aio.client import Client as NatsClient
from pydantic import ValidationError

from contracts.api.base import NoData, Request
from contracts.api.internal.auth import (
    CallerInfo,
    ChangePassword,
    ChangeUsername,
    GetUserRecord,
    IssueApiKey,
    RegisterLocalUser,
    ResolveCaller,
    RevokeApiKey,
    VerifyApiKey,
    VerifyLocalLogin,
)
from contracts.auth import (
    CreateApiKey,
    DeleteApiKey,
    GetLoginOptionsResponse,
    GetUserIdResponse,
    JwtLogin,
    JwtResponse,
    LoginLocalUser,
    SignUpLocalUser,
    UpdatePassword,
    UpdateUsername,
)
from contracts.service_users import SYSTEM_USER_ID
from services.common.auth import JwtSigner
from services.common.bus import RemoteError, request_over
from services.common.errors import BadRequest, Unauthorized, describe_validation_error
from services.common.rate_limit import FailedAttempts
from services.common.settings import Settings

SERVED_AUTH_REQUESTS = {
    "login": ("GetLoginOptions", "SignUpLocalUser", "LoginLocalUser"),
    "manage": ("GetUserId", "CreateApiKey", "UpdateUsername", "UpdatePassword", "DeleteApiKey"),
}
"""The `/auth` requests this server answers (others of Komodo's get 400: no third-party or second-factor log-in)."""


class AuthApi:
    """The `/auth` requests, answered through the registry."""

    def __init__(self, settings: Settings, signer: JwtSigner, limiter: FailedAttempts) -> None:
        self.settings = settings
        self.signer = signer
        self.limiter = limiter

    async def ask(self, nc: NatsClient, request: Request) -> Any:
        """Send an internal request to the registry and return its answer."""
        # The gateway asks the registry as the built-in System user: these are internal requests.
        headers = {"Authorization": self.signer.issue(SYSTEM_USER_ID)}
        return await request_over(nc, request, headers, self.settings.request_timeout)

    async def caller(
        self, nc: NatsClient, headers: Mapping[str, str], address: str, limited: bool = True
    ) -> CallerInfo:
        """Who the request's credentials belong to (401 when missing or invalid; wrong ones count as failures,
        and a client over the limit gets 429, unless `limited` is False)."""
        token = headers.get("authorization", "")
        key, secret = headers.get("x-api-key", ""), headers.get("x-api-secret", "")
        if not token and not (key and secret):
            raise Unauthorized(
                "missing credentials: send Authorization: <jwt>, or X-Api-Key and X-Api-Secret"
            )
        if limited:
            self.limiter.check(address)
        try:
            if token:
                info: CallerInfo = await self.ask(nc, ResolveCaller(user_id=self.signer.verify(token)))
            else:
                info = await self.ask(nc, VerifyApiKey(key=key, secret=secret))
        except (Unauthorized, RemoteError) as err:
            if err.status == 401 and limited:
                self.limiter.failed(address)
            raise
        if not info.enabled:
            raise Unauthorized(f"user {info.username!r} is not enabled")
        return info

    async def user(self, nc: NatsClient, caller: CallerInfo) -> Any:
        """The calling user's record, for `GET /user`."""
        return await self.ask(nc, GetUserRecord(user_id=caller.user_id))

    async def login(self, nc: NatsClient, name: str, body: dict[str, Any], address: str) -> Any:
        """Answer a `/auth/login/<name>` request."""
        if name == "GetLoginOptions":
            return GetLoginOptionsResponse(
                local=True, registration_disabled=self.settings.disable_user_registration
            )
        if name == "SignUpLocalUser":
            sign_up = _parse(SignUpLocalUser, body)
            info: CallerInfo = await self.ask(
                nc, RegisterLocalUser(username=sign_up.username, password=sign_up.password)
            )
            return JwtResponse(jwt=self.signer.issue(info.user_id))
        if name == "LoginLocalUser":
            login = _parse(LoginLocalUser, body)
            self.limiter.check(address)
            try:
                info = await self.ask(nc, VerifyLocalLogin(username=login.username, password=login.password))
            except RemoteError as err:
                if err.status == 401:
                    self.limiter.failed(address)
                raise
            return JwtLogin(data=JwtResponse(jwt=self.signer.issue(info.user_id)))
        raise BadRequest(f"login method {name!r} is not available on this server")

    async def manage(self, nc: NatsClient, name: str, body: dict[str, Any], caller: CallerInfo) -> Any:
        """Answer a `/auth/manage/<name>` request for an authenticated caller."""
        if name == "GetUserId":
            return GetUserIdResponse(id=caller.user_id)
        if name == "CreateApiKey":
            create = _parse(CreateApiKey, body)
            return await self.ask(
                nc, IssueApiKey(user_id=caller.user_id, name=create.name, expires=create.expires)
            )
        if name == "UpdateUsername":
            rename = _parse(UpdateUsername, body)
            await self.ask(nc, ChangeUsername(user_id=caller.user_id, username=rename.username))
            return NoData()
        if name == "UpdatePassword":
            change = _parse(UpdatePassword, body)
            await self.ask(nc, ChangePassword(user_id=caller.user_id, password=change.password))
            return NoData()
        if name == "DeleteApiKey":
            delete = _parse(DeleteApiKey, body)
            await self.ask(nc, RevokeApiKey(user_id=caller.user_id, key=delete.key))
            return NoData()
        raise BadRequest(f"{name!r} is not available on this server")


def _parse(model: Any, body: dict[str, Any]) -> Any:
    # Strict, as the services parse bus requests: `true` is not an integer, nor `1` a string.
    try:
        return model.model_validate(body, strict=True)
    except ValidationError as err:
        raise describe_validation_error(err, f"{model.__name__} request") from None
