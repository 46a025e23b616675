"""Who sent a request: resolved from the credentials that travel with it as headers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from contracts.service_users import SERVICE_USERS, SYSTEM_USER_ID


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
    """The authenticator used until users and API keys exist: every request acts as the System user.

    The gateway-and-auth work replaces it with one that checks JWTs and API keys; services take the
    authenticator as a parameter so that swap touches no handler.
    """
    return Caller.system()
