"""Variables: values interpolated as `[[NAME]]` into configs at execution time."""

from __future__ import annotations

from contracts.base import KomodoModel


class Variable(KomodoModel):
    """A named value; a secret one is encrypted at rest, hidden from non-admins and redacted from logs."""

    name: str
    """The variable name, used as `[[NAME]]`."""
    description: str = ""
    """What the variable is for."""
    value: str = ""
    """The value."""
    is_secret: bool = False
    """Whether the value is a secret."""
