"""Exports of resources as ResourceSync TOML (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ReadRequest
from contracts.base import KomodoModel
from contracts.entities.common import ResourceTarget


class TomlResponse(KomodoModel):
    """Resources as ResourceSync TOML (the answer of the TOML exports)."""

    toml: str
    """The TOML text."""


class ExportAllResourcesToToml(ReadRequest):
    """Export every resource the caller can read (optionally by tags) as TOML; answers TomlResponse."""

    RESPONSE: ClassVar[Any] = TomlResponse

    include_resources: bool = True
    """Include resources (servers, stacks, ...)."""
    tags: list[str] = Field(default_factory=list)
    """Only resources with these tags (names or ids); empty does not filter."""
    include_variables: bool = False
    """Include variables."""
    include_user_groups: bool = False
    """Include user groups."""
    existing: dict[str, Any] | None = None
    """An existing ResourcesToml (parsed, as JSON) whose meta configuration the export keeps."""


class ExportResourcesToToml(ReadRequest):
    """Export the given resources as TOML; answers TomlResponse."""

    RESPONSE: ClassVar[Any] = TomlResponse

    targets: list[ResourceTarget] = Field(default_factory=list)
    """The resources to export."""
    user_groups: list[str] = Field(default_factory=list)
    """User groups to include (names or ids)."""
    include_variables: bool = False
    """Include variables."""
    existing: dict[str, Any] | None = None
    """An existing ResourcesToml (parsed, as JSON) whose meta configuration the export keeps."""
