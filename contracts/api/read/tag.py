"""Read requests about tags (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import ReadRequest
from contracts.entities.tag import Tag


class GetTag(ReadRequest):
    """Get one tag by id or name; answers the Tag."""

    RESPONSE: ClassVar[Any] = Tag

    tag: str = Field(validation_alias=AliasChoices("tag", "id", "name"))
    """Id or name of the tag."""


class ListTags(ReadRequest):
    """List tags, optionally filtered by `name` or `owner`; answers a list of Tag."""

    RESPONSE: ClassVar[Any] = list[Tag]

    query: dict[str, Any] | None = None
    """Optional filter with `name` and/or `owner`."""
