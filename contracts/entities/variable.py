"""Variables: values interpolated as `[[NAME]]` into configs at execution time."""

from __future__ import annotations

from pydantic import Field

from contracts.base import KomodoModel


def _empty(value: str) -> bool:
    return not value


class Variable(KomodoModel):
    """A named value; a secret one is encrypted at rest, hidden from non-admins and redacted from logs."""

    name: str
    """The variable name, used as `[[NAME]]`."""
    description: str = Field(default="", exclude_if=_empty)
    """What the variable is for (left out of the JSON when empty, as Komodo does)."""
    value: str = ""
    """The value."""
    is_secret: bool = False
    """Whether the value is a secret."""
