"""Write requests about users, service users and their API keys (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import NoData, WriteRequest
from contracts.entities.api_key import CreateApiKeyResponse
from contracts.entities.common import I64, ResourceTarget
from contracts.entities.user import User


class PushRecentlyViewed(WriteRequest):
    """Record that the caller viewed a resource; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    resource: ResourceTarget
    """The resource viewed."""


class SetLastSeenUpdate(WriteRequest):
    """Record that the caller has seen every Update until now; answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData


class CreateLocalUser(WriteRequest):
    """Create a user that logs in with a password (admin only); answers the User."""

    RESPONSE: ClassVar[Any] = User

    username: str
    """The username."""
    password: str
    """The password (stored only as a hash)."""


class DeleteUser(WriteRequest):
    """Delete a user (admin only); answers the deleted User."""

    RESPONSE: ClassVar[Any] = User

    user: str = Field(validation_alias=AliasChoices("user", "username", "id"))
    """Id or username (`username` and `id` are accepted as the field name too)."""


class CreateServiceUser(WriteRequest):
    """Create a service user, which acts through API keys (admin only); answers the User."""

    RESPONSE: ClassVar[Any] = User

    username: str
    """The username."""
    description: str = ""
    """What it is for."""


class UpdateServiceUserDescription(WriteRequest):
    """Change a service user's description (admin only); answers the User."""

    RESPONSE: ClassVar[Any] = User

    username: str
    """The service user's username."""
    description: str
    """The new description."""


class CreateApiKeyForServiceUser(WriteRequest):
    """Create an API key for a service user (admin only); answers the key and its secret, shown once."""

    RESPONSE: ClassVar[Any] = CreateApiKeyResponse

    user_id: str
    """The service user's id."""
    name: str
    """A name for the key."""
    expires: I64 = 0
    """When it expires (unix ms); 0 never."""


class DeleteApiKeyForServiceUser(WriteRequest):
    """Delete a service user's API key (admin only); answers `{}`."""

    RESPONSE: ClassVar[Any] = NoData

    key: str
    """The key."""
