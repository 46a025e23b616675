"""How the gateway and the services check users and API keys with the registry, which owns them."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import InternalRequest, NoData
from contracts.base import KomodoModel
from contracts.entities.api_key import ApiKey, CreateApiKeyResponse
from contracts.entities.common import I64
from contracts.entities.user import User


class CallerInfo(KomodoModel):
    """Who a credential belongs to."""

    user_id: str
    """The user's id."""
    username: str
    """The user's name."""
    enabled: bool
    """Whether the user may use the system."""
    admin: bool = False
    """Whether the user is an admin."""
    super_admin: bool = False
    """Whether the user is the super admin."""


class RegisterLocalUser(InternalRequest):
    """Sign up a local user (the first user becomes super admin); answers the new user's CallerInfo."""

    RESPONSE: ClassVar[Any] = CallerInfo

    username: str
    """The username."""
    password: str
    """The password (stored only as a hash)."""


class VerifyLocalLogin(InternalRequest):
    """Check a username and password; answers the user's CallerInfo, or 401 without saying which was wrong."""

    RESPONSE: ClassVar[Any] = CallerInfo

    username: str
    """The username."""
    password: str
    """The password."""


class VerifyApiKey(InternalRequest):
    """Check an API key and secret; answers the owner's CallerInfo, or 401."""

    RESPONSE: ClassVar[Any] = CallerInfo

    key: str
    """The key, `K_..._K`."""
    secret: str
    """The secret, `S_..._S`."""


class ResolveCaller(InternalRequest):
    """Look up a user by id (for a JWT's subject); answers CallerInfo, or 401 when the user is gone."""

    RESPONSE: ClassVar[Any] = CallerInfo

    user_id: str
    """The user id."""


class IssueApiKey(InternalRequest):
    """Create an API key for a user; answers the key and secret (the secret is shown only here)."""

    RESPONSE: ClassVar[Any] = CreateApiKeyResponse

    user_id: str
    """The owner."""
    name: str
    """A name for the key."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""


class ListUserApiKeys(InternalRequest):
    """A user's API keys, built-in service users' too (secrets never included); answers a list of ApiKey."""

    RESPONSE: ClassVar[Any] = list[ApiKey]

    user_id: str
    """The owner."""


class RevokeApiKey(InternalRequest):
    """Delete one of a user's API keys; answers `{}` (404 when the user has no such key)."""

    RESPONSE: ClassVar[Any] = NoData

    user_id: str
    """The owner."""
    key: str
    """The key."""


class GetUserRecord(InternalRequest):
    """The stored user, without its password hash or second-factor secrets (for `GET /user`)."""

    RESPONSE: ClassVar[Any] = User

    user_id: str
    """The user id."""


class ChangeUsername(InternalRequest):
    """Rename a user (names stay unique); answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    user_id: str
    """The user id."""
    username: str
    """The new username."""


class ChangePassword(InternalRequest):
    """Set a local user's password; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    user_id: str
    """The user id."""
    password: str
    """The new password (stored only as a hash)."""
