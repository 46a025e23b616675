"""Who sent a request: resolved from the credentials that travel with it as headers."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

from contracts.service_users import SERVICE_USERS, SYSTEM_USER_ID
from services.common.errors import Unauthorized


@dataclass(frozen=True)
class Caller:
    """The user a request acts as."""

    user_id: str
    """Id of the user (a built-in service user id for internal calls)."""
    username: str
    """Name shown in Updates."""
    admin: bool = False
    """Whether the user is an admin."""

    @classmethod
    def system(cls) -> Caller:
        """The built-in System user."""
        return cls(user_id=SYSTEM_USER_ID, username=SERVICE_USERS[SYSTEM_USER_ID], admin=True)


Authenticator = Callable[[Mapping[str, str]], Awaitable[Caller]]
"""Resolves request headers (`Authorization`, `X-Api-Key` + `X-Api-Secret`) to a Caller, or raises Unauthorized."""


async def trust_all(headers: Mapping[str, str]) -> Caller:
    """An authenticator for tests of the transport alone: every request acts as the System user."""
    return Caller.system()


def header(headers: Mapping[str, str], name: str) -> str:
    """A header's value whatever the case of its name ("" when absent)."""
    lowered = name.lower()
    for key, value in headers.items():
        if key.lower() == lowered:
            return value
    return ""


@dataclass
class _Cached:
    caller: Caller
    until: float


class CredentialCheck:
    """Resolves `Authorization: <jwt>` or `X-Api-Key` + `X-Api-Secret` to a Caller.

    JWTs are checked locally with the shared signing key; a JWT of a built-in service user (internal calls) needs
    no lookup. The user behind a JWT or API key is looked up through `resolve_user` / `verify_api_key` (the
    registry) and cached for a few seconds, so a burst of requests costs one lookup.
    """

    def __init__(
        self,
        verify_jwt: Callable[[str], str],
        resolve_user: Callable[[str], Awaitable[CallerInfoLike]],
        verify_api_key: Callable[[str, str], Awaitable[CallerInfoLike]],
        cache_seconds: float = 10.0,
    ) -> None:
        self.verify_jwt = verify_jwt
        self.resolve_user = resolve_user
        self.verify_api_key = verify_api_key
        self.cache_seconds = cache_seconds
        self._cache: dict[str, _Cached] = {}

    async def __call__(self, headers: Mapping[str, str]) -> Caller:
        token = header(headers, "Authorization")
        key, secret = header(headers, "X-Api-Key"), header(headers, "X-Api-Secret")
        if token:
            user_id = self.verify_jwt(token)
            if user_id in SERVICE_USERS:
                return Caller(user_id=user_id, username=SERVICE_USERS[user_id], admin=True)
            return await self._cached(f"jwt:{user_id}", lambda: self.resolve_user(user_id))
        if key and secret:
            digest = hashlib.sha256(f"{key}:{secret}".encode()).hexdigest()
            return await self._cached(f"key:{digest}", lambda: self.verify_api_key(key, secret))
        raise Unauthorized("missing credentials: send Authorization: <jwt>, or X-Api-Key and X-Api-Secret")

    async def _cached(self, slot: str, lookup: Callable[[], Awaitable[CallerInfoLike]]) -> Caller:
        now = time.monotonic()
        hit = self._cache.get(slot)
        if hit is not None and hit.until > now:
            return hit.caller
        info = await lookup()
        if not info.enabled:
            raise Unauthorized(f"user {info.username!r} is not enabled")
        caller = Caller(user_id=info.user_id, username=info.username, admin=info.admin)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[slot] = _Cached(caller, now + self.cache_seconds)
        return caller


class CallerInfoLike(Protocol):
    """What a user lookup answers (the registry's CallerInfo)."""

    @property
    def user_id(self) -> str:
        """The user's id."""

    @property
    def username(self) -> str:
        """The user's name."""

    @property
    def enabled(self) -> bool:
        """Whether the user may use the system."""

    @property
    def admin(self) -> bool:
        """Whether the user is an admin."""
