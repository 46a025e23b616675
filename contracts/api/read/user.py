"""Read requests about users, API keys and permissions (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.api_key import ApiKey
from contracts.entities.common import PermissionLevelAndSpecifics, ResourceTarget
from contracts.entities.permission import Permission, UserTarget
from contracts.entities.user import GetUsernameResponse, ServiceUserQueryBehavior, User


class GetUsername(ReadRequest):
    """Get a user's name and avatar by id; answers GetUsernameResponse."""

    RESPONSE: ClassVar[Any] = GetUsernameResponse

    user_id: str
    """The user id."""


class FindUser(ReadRequest):
    """Find a user by id or username (admin only); answers the User."""

    RESPONSE: ClassVar[Any] = User

    user: str = Field(validation_alias=AliasChoices("user", "id", "username"))
    """Id or username (`id` and `username` are accepted as the field name too)."""


class ListUsers(ReadRequest):
    """List users (admin only); answers a list of User."""

    RESPONSE: ClassVar[Any] = list[User]

    service_users: ServiceUserQueryBehavior = ServiceUserQueryBehavior.Include
    """Whether service users are included, excluded, or the only ones listed."""


class ListApiKeys(ReadRequest):
    """List the caller's API keys (secrets never included); answers a list of ApiKey."""

    RESPONSE: ClassVar[Any] = list[ApiKey]


class ListApiKeysForServiceUser(ReadRequest):
    """List a service user's API keys (admin only); answers a list of ApiKey."""

    RESPONSE: ClassVar[Any] = list[ApiKey]

    user: str = Field(validation_alias=AliasChoices("user", "id", "username"))
    """Id or username of the service user (`id` and `username` are accepted as the field name too)."""


class GetPermission(ReadRequest):
    """Get the caller's effective permission on a resource; answers PermissionLevelAndSpecifics."""

    RESPONSE: ClassVar[Any] = PermissionLevelAndSpecifics

    target: ResourceTarget
    """The resource."""


class ListPermissions(ReadRequest):
    """List the permissions given explicitly to the caller; answers a list of Permission."""

    RESPONSE: ClassVar[Any] = list[Permission]


class ListUserTargetPermissions(ReadRequest):
    """List the permissions of a user or group (admin only); answers a list of Permission."""

    RESPONSE: ClassVar[Any] = list[Permission]

    user_target: UserTarget
    """The user or group."""
