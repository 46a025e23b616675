"""Events of a procedure run: the links of its event chain (see docs/procedures.md)."""

from __future__ import annotations

from typing import ClassVar

from contracts.events.base import Event


class ProcedureStageStarted(Event):
    """A stage of a procedure run is to start: the executor's consumer starts its executions."""

    KIND: ClassVar[str] = "procedure"

    run_id: str
    """The run (the id of the procedure's RunProcedure Update)."""
    stage: int
    """Index of the stage among the run's enabled stages, from 0."""


class ProcedureStageFinished(Event):
    """Every execution of a stage of a run completed."""

    KIND: ClassVar[str] = "procedure"

    run_id: str
    """The run (the id of the procedure's RunProcedure Update)."""
    stage: int
    """Index of the stage among the run's enabled stages, from 0."""
    success: bool
    """Whether all of them succeeded."""


class ProcedureFailed(Event):
    """A procedure run ended without success (a failed execution, a cancel, a run that could not go on)."""

    KIND: ClassVar[str] = "procedure"

    run_id: str
    """The run (the id of the procedure's RunProcedure Update)."""
    name: str = ""
    """The procedure's name."""
    error: str = ""
    """Why it failed."""
