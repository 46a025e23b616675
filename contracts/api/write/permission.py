"""Write requests about permissions (`/write`, admin only); each answers `{}`."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import field_validator

from contracts.api.base import NoData, WriteRequest
from contracts.entities.common import (
    PermissionLevelAndSpecifics,
    ResourceTarget,
    ResourceTargetVariant,
    parse_permission,
)
from contracts.entities.permission import UserTarget


class UpdateUserAdmin(WriteRequest):
    """Make a user admin or not (super admin only)."""

    RESPONSE: ClassVar[Any] = NoData

    user_id: str
    """The user id."""
    admin: bool
    """Whether the user is an admin."""


class UpdateUserBasePermissions(WriteRequest):
    """Enable or disable a user, and allow or forbid creating servers and builds."""

    RESPONSE: ClassVar[Any] = NoData

    user_id: str
    """The user id."""
    enabled: bool | None = None
    """Whether the user may use the system."""
    create_servers: bool | None = None
    """Whether the user may create servers."""
    create_builds: bool | None = None
    """Whether the user may create builds."""


class UpdatePermissionOnResourceType(WriteRequest):
    """Give a user or group a permission on every resource of a type."""

    RESPONSE: ClassVar[Any] = NoData

    user_target: UserTarget
    """The user or group."""
    resource_type: ResourceTargetVariant
    """The resource type."""
    permission: PermissionLevelAndSpecifics
    """The permission (a bare level is accepted)."""

    _coerce = field_validator("permission", mode="before")(parse_permission)


class UpdatePermissionOnTarget(WriteRequest):
    """Give a user or group a permission on one resource."""

    RESPONSE: ClassVar[Any] = NoData

    user_target: UserTarget
    """The user or group."""
    resource_target: ResourceTarget
    """The resource."""
    permission: PermissionLevelAndSpecifics
    """The permission (a bare level is accepted)."""

    _coerce = field_validator("permission", mode="before")(parse_permission)
