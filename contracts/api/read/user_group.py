"""Read requests about user groups (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.user_group import UserGroup


class GetUserGroup(ReadRequest):
    """Get a user group by id or name; answers the UserGroup."""

    RESPONSE: ClassVar[Any] = UserGroup

    user_group: str
    """Id or name of the group."""


class ListUserGroups(ReadRequest):
    """List the groups the caller may see (all, for admins); answers a list of UserGroup."""

    RESPONSE: ClassVar[Any] = list[UserGroup]
