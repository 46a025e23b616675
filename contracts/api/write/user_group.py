"""Write requests about user groups (`/write`, admin only); each answers the UserGroup."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import WriteRequest
from contracts.entities.user_group import UserGroup


class CreateUserGroup(WriteRequest):
    """Create a user group."""

    RESPONSE: ClassVar[Any] = UserGroup

    name: str
    """The group name."""


class RenameUserGroup(WriteRequest):
    """Rename a user group."""

    RESPONSE: ClassVar[Any] = UserGroup

    id: str
    """The group id."""
    name: str
    """The new name."""


class DeleteUserGroup(WriteRequest):
    """Delete a user group."""

    RESPONSE: ClassVar[Any] = UserGroup

    id: str
    """The group id."""


class AddUserToUserGroup(WriteRequest):
    """Add a user to a group."""

    RESPONSE: ClassVar[Any] = UserGroup

    user_group: str
    """Id or name of the group."""
    user: str
    """Id or username of the user."""


class RemoveUserFromUserGroup(WriteRequest):
    """Remove a user from a group."""

    RESPONSE: ClassVar[Any] = UserGroup

    user_group: str
    """Id or name of the group."""
    user: str
    """Id or username of the user."""


class SetUsersInUserGroup(WriteRequest):
    """Replace a group's members."""

    RESPONSE: ClassVar[Any] = UserGroup

    user_group: str
    """Id or name of the group."""
    users: list[str]
    """Ids or usernames of the members."""


class SetEveryoneUserGroup(WriteRequest):
    """Make every user a member of a group, or not."""

    RESPONSE: ClassVar[Any] = UserGroup

    user_group: str
    """Id or name of the group."""
    everyone: bool
    """Whether every user is a member."""
