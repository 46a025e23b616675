"""Exports of resources as ResourceSync TOML (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ReadRequest
from contracts.base import KomodoModel
from contracts.entities.common import ResourceTarget


class TomlResponse(KomodoModel):
    """TOML text."""

    toml: str
    """The TOML."""


class ExportAllResourcesToToml(ReadRequest):
    """Export every resource the caller can read (optionally by tags) as TOML; answers TomlResponse."""

    RESPONSE: ClassVar[Any] = TomlResponse

    include_resources: bool = True
    """Include resources."""
    tags: list[str] = Field(default_factory=list)
    """Only resources with these tags."""
    include_variables: bool = False
    """Include variables."""
    include_user_groups: bool = False
    """Include user groups."""
    existing: str | None = None
    """TOML to keep the order and style of."""


class ExportResourcesToToml(ReadRequest):
    """Export the given resources as TOML; answers TomlResponse."""

    RESPONSE: ClassVar[Any] = TomlResponse

    targets: list[ResourceTarget] = Field(default_factory=list)
    """The resources."""
    user_groups: list[str] = Field(default_factory=list)
    """User groups to include."""
    include_variables: bool = False
    """Include variables."""
    existing: str | None = None
    """TOML to keep the order and style of."""
