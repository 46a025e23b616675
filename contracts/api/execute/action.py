"""Executions on actions (`/execute`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.update import Update


class RunAction(ExecuteRequest):
    """Run an action's script; answers the Update of the run."""

    RESPONSE: ClassVar[Any] = Update

    action: str
    """Id or name of the action."""
    args: dict[str, Any] | None = None
    """Arguments merged over the action's default arguments (ARGS)."""


class BatchRunAction(ExecuteRequest):
    """Run every action matching a pattern; answers one item per action."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only actions with these tags."""


class CancelAction(ExecuteRequest):
    """Stop a running action; answers the Update of the cancel."""

    RESPONSE: ClassVar[Any] = Update

    action: str
    """Id or name of the action."""
    update_id: str | None = None
    """The run to cancel; all runs when absent."""
