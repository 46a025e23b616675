"""Executions on procedures (`/execute`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.update import Update


class RunProcedure(ExecuteRequest):
    """Run a procedure's stages in order; answers the Update of the run."""

    RESPONSE: ClassVar[Any] = Update

    procedure: str
    """Id or name of the procedure."""


class BatchRunProcedure(ExecuteRequest):
    """Run every procedure matching a pattern; answers one item per procedure."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only procedures with these tags."""


class CancelProcedure(ExecuteRequest):
    """Stop a running procedure before its next stage; answers the Update of the cancel."""

    RESPONSE: ClassVar[Any] = Update

    procedure: str
    """Id or name of the procedure."""
    update_id: str | None = None
    """The run to cancel; all runs when absent."""
