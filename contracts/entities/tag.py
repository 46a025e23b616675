"""Tags: named, colored labels that resources carry by id."""

from __future__ import annotations

from enum import StrEnum

from contracts.base import KomodoModel, MongoId, id_field


class TagColor(StrEnum):
    """The 54 colors a tag can have (Komodo's names)."""

    LightSlate = "LightSlate"
    Slate = "Slate"
    DarkSlate = "DarkSlate"
    LightRed = "LightRed"
    Red = "Red"
    DarkRed = "DarkRed"
    LightOrange = "LightOrange"
    Orange = "Orange"
    DarkOrange = "DarkOrange"
    LightAmber = "LightAmber"
    Amber = "Amber"
    DarkAmber = "DarkAmber"
    LightYellow = "LightYellow"
    Yellow = "Yellow"
    DarkYellow = "DarkYellow"
    LightLime = "LightLime"
    Lime = "Lime"
    DarkLime = "DarkLime"
    LightGreen = "LightGreen"
    Green = "Green"
    DarkGreen = "DarkGreen"
    LightEmerald = "LightEmerald"
    Emerald = "Emerald"
    DarkEmerald = "DarkEmerald"
    LightTeal = "LightTeal"
    Teal = "Teal"
    DarkTeal = "DarkTeal"
    LightCyan = "LightCyan"
    Cyan = "Cyan"
    DarkCyan = "DarkCyan"
    LightSky = "LightSky"
    Sky = "Sky"
    DarkSky = "DarkSky"
    LightBlue = "LightBlue"
    Blue = "Blue"
    DarkBlue = "DarkBlue"
    LightIndigo = "LightIndigo"
    Indigo = "Indigo"
    DarkIndigo = "DarkIndigo"
    LightViolet = "LightViolet"
    Violet = "Violet"
    DarkViolet = "DarkViolet"
    LightPurple = "LightPurple"
    Purple = "Purple"
    DarkPurple = "DarkPurple"
    LightFuchsia = "LightFuchsia"
    Fuchsia = "Fuchsia"
    DarkFuchsia = "DarkFuchsia"
    LightPink = "LightPink"
    Pink = "Pink"
    DarkPink = "DarkPink"
    LightRose = "LightRose"
    Rose = "Rose"
    DarkRose = "DarkRose"


class Tag(KomodoModel):
    """A tag that resources can carry."""

    id: MongoId = id_field("The Mongo id of the tag.")
    """The Mongo id of the tag."""
    name: str
    """The tag name, unique among tags."""
    owner: str = ""
    """Id of the user who created the tag."""
    color: TagColor = TagColor.Slate
    """The tag's color."""
