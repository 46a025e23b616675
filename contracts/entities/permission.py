"""Permissions of a user or group on one resource."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import PermissionLevel, ResourceTarget, SpecificPermission


class UserTargetVariant(StrEnum):
    """Who a permission is for."""

    User = "User"
    UserGroup = "UserGroup"


class UserTarget(KomodoModel):
    """A user or a user group: `{"type": "User", "id": "..."}`."""

    type: UserTargetVariant
    """User or UserGroup."""
    id: str
    """The user's or group's id."""


class Permission(KomodoModel):
    """A level (and specific permissions) that a user or group has on one resource."""

    id: MongoId = id_field("The Mongo id of the permission.")
    """The Mongo id of the permission."""
    user_target: UserTarget
    """Who has the permission."""
    resource_target: ResourceTarget
    """On which resource."""
    level: PermissionLevel = PermissionLevel.None_
    """The level."""
    specific: list[SpecificPermission] = Field(default_factory=list)
    """Specific permissions."""
