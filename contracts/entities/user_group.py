"""User groups: sets of users that share permissions."""

from __future__ import annotations

from pydantic import Field, field_validator

from contracts.base import KomodoModel, MongoId, id_field
from contracts.entities.common import I64, PermissionLevelAndSpecifics
from contracts.entities.user import _permission_map


class UserGroup(KomodoModel):
    """A group of users with permissions of its own."""

    id: MongoId = id_field("The Mongo id of the group.")
    """The Mongo id of the group."""
    name: str
    """The unique group name."""
    everyone: bool = False
    """Whether every user is a member."""
    users: list[str] = Field(default_factory=list)
    """Ids of the member users."""
    all: dict[str, PermissionLevelAndSpecifics] = Field(default_factory=dict)
    """Permission on every resource of a type, by type."""
    updated_at: I64 = 0
    """When the group was last changed (unix ms)."""

    _coerce_all = field_validator("all", mode="before")(_permission_map)
