"""Write requests about procedures (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import WriteRequest
from contracts.entities.procedure import Procedure
from contracts.entities.update import Update


class CreateProcedure(WriteRequest):
    """Create a procedure from a partial config; answers the new Procedure."""

    RESPONSE: ClassVar[Any] = Procedure

    name: str
    """Name of the new procedure."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial ProcedureConfig merged over the defaults."""


class CopyProcedure(WriteRequest):
    """Create a procedure with the config of another; answers the new Procedure."""

    RESPONSE: ClassVar[Any] = Procedure

    name: str
    """Name of the new procedure."""
    id: str
    """Id or name of the procedure to copy."""


class DeleteProcedure(WriteRequest):
    """Delete a procedure; answers the deleted Procedure."""

    RESPONSE: ClassVar[Any] = Procedure

    id: str
    """Id or name of the procedure."""


class UpdateProcedure(WriteRequest):
    """Change the given fields of a procedure's config (the rest stays); answers the Procedure."""

    RESPONSE: ClassVar[Any] = Procedure

    id: str
    """Id or name of the procedure."""
    config: dict[str, Any]
    """Partial ProcedureConfig: the fields to change."""


class RenameProcedure(WriteRequest):
    """Rename a procedure; answers the Update that records it."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the procedure."""
    name: str
    """The new name."""
