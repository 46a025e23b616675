"""Write requests about variables (`/write`, admin only)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import WriteRequest
from contracts.entities.variable import Variable


class CreateVariable(WriteRequest):
    """Create a variable; answers the Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name, used as `[[NAME]]`."""
    value: str = ""
    """The value."""
    description: str = ""
    """What the variable is for."""
    is_secret: bool = False
    """Whether the value is a secret (encrypted at rest, redacted from logs)."""


class UpdateVariableValue(WriteRequest):
    """Change a variable's value; answers the Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name."""
    value: str
    """The new value."""


class UpdateVariableDescription(WriteRequest):
    """Change a variable's description; answers the Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name."""
    description: str
    """The new description."""


class UpdateVariableIsSecret(WriteRequest):
    """Mark a variable secret or not; answers the Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name."""
    is_secret: bool
    """Whether the value is a secret."""


class DeleteVariable(WriteRequest):
    """Delete a variable; answers the deleted Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name."""
