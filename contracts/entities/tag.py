"""Tags: named, colored labels that resources carry by id."""

from __future__ import annotations

from enum import StrEnum

from contracts.base import KomodoModel, MongoId, id_field

_COLORS = (
    "LightSlate Slate DarkSlate LightRed Red DarkRed LightOrange Orange DarkOrange LightAmber Amber DarkAmber "
    "LightYellow Yellow DarkYellow LightLime Lime DarkLime LightGreen Green DarkGreen LightEmerald Emerald "
    "DarkEmerald LightTeal Teal DarkTeal LightCyan Cyan DarkCyan LightSky Sky DarkSky LightBlue Blue DarkBlue "
    "LightIndigo Indigo DarkIndigo LightViolet Violet DarkViolet LightPurple Purple DarkPurple LightFuchsia "
    "Fuchsia DarkFuchsia LightPink Pink DarkPink LightRose Rose DarkRose"
).split()

TagColor = StrEnum("TagColor", [(name, name) for name in _COLORS])  # type: ignore[misc]
"""The 54 colors a tag can have (Komodo's names)."""
TagColor.__doc__ = "The colors a tag can have."


class Tag(KomodoModel):
    """A tag that resources can carry."""

    id: MongoId = id_field("The Mongo id of the tag.")
    """The Mongo id of the tag."""
    name: str
    """The tag name, unique among tags."""
    owner: str = ""
    """Id of the user who created the tag."""
    color: TagColor = TagColor.Slate  # type: ignore[attr-defined]
    """The tag's color."""
