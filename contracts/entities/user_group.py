"""User groups: sets of users that share permissions."""

from __future__ import annotations

from pydantic import Field, field_validator

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, PermissionLevelAndSpecifics, ResourceTargetVariant
from contracts.entities.docker import parse_string_list
from contracts.entities.user import parse_permission_map


class UserGroup(KomodoModel):
    """A group of users with permissions of its own, which its members gain."""

    id: MongoId = id_field("The Mongo id of the group.")
    """The Mongo id of the group."""
    name: str
    """The unique group name."""
    everyone: bool = False
    """Whether every user implicitly has this group's permissions."""
    users: list[str] = Field(default_factory=list)
    """Ids of the member users (a comma- or newline-separated string is accepted)."""
    all: dict[ResourceTargetVariant, PermissionLevelAndSpecifics] = Field(default_factory=dict)
    """Elevated permission on every resource of a type, by type (a bare level is accepted)."""
    updated_at: I64 = 0
    """When the group was last changed (unix ms)."""

    _coerce_users = field_validator("users", mode="before")(parse_string_list)
    _coerce_all = field_validator("all", mode="before")(parse_permission_map)
