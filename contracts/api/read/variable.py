"""Read requests about variables (`/read`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ReadRequest
from contracts.entities.variable import Variable


class GetVariable(ReadRequest):
    """Get one variable by name (a secret value is shown to admins only); answers the Variable."""

    RESPONSE: ClassVar[Any] = Variable

    name: str
    """The variable name."""


class ListVariables(ReadRequest):
    """List every variable (secret values shown to admins only); answers a list of Variable."""

    RESPONSE: ClassVar[Any] = list[Variable]
