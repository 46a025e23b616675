"""Procedure: stages run one after another, each running its executions in parallel."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import AliasChoices, Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import I64, Resource, ResourceListItem, ResourceQuery
from contracts.entities.schedule import ScheduledConfig, ScheduledListItemInfo


class Execution(KomodoModel):
    """One execution of a stage: `{"type": <execute request name>, "params": {...}}`.

    `type` is any execute request (`Deploy`, `RunBuild`, `BatchDeployStackIfChanged`, ...) or `None`, `Sleep`
    (`{"duration_ms"}`) or `CommitSync`; the params are checked against that request when the procedure is
    stored and run.
    """

    type: str = "None"
    """The execution's request name."""
    params: dict[str, Any] = Field(default_factory=dict)
    """The request's params."""


class EnabledExecution(KomodoModel):
    """An execution that can be switched off."""

    execution: Execution = Field(default_factory=Execution)
    """The execution."""
    enabled: bool = True
    """Whether it runs."""


class ProcedureStage(KomodoModel):
    """A stage: its executions run in parallel."""

    name: str = ""
    """Name of the stage."""
    enabled: bool = True
    """Whether the stage runs."""
    executions: list[EnabledExecution] = Field(
        default_factory=list, validation_alias=AliasChoices("executions", "execution")
    )
    """The executions."""


class ProcedureConfig(ScheduledConfig):
    """Configuration of a Procedure."""

    stages: list[ProcedureStage] = Field(
        default_factory=list, validation_alias=AliasChoices("stages", "stage")
    )
    """The stages, run in order."""


def _info_from_null(value: Any) -> Any:
    """Komodo writes the `()` info of this kind as `null`; read it as the empty info."""
    return {} if value is None else value


class ProcedureInfo(KomodoModel):
    """Procedures keep no stored state."""


class Procedure(Resource[ProcedureConfig, ProcedureInfo]):
    """A sequence of stages of executions."""

    info: ProcedureInfo = Field(default_factory=ProcedureInfo)
    """Empty (Komodo writes `null`, which is accepted)."""
    config: ProcedureConfig = Field(default_factory=ProcedureConfig)
    """The procedure's configuration."""

    _info = field_validator("info", mode="before")(_info_from_null)


class ProcedureState(StrEnum):
    """State of a Procedure."""

    Running = "Running"
    Ok = "Ok"
    Failed = "Failed"
    Unknown = "Unknown"


class ProcedureListItemInfo(ScheduledListItemInfo):
    """Summary of a Procedure in lists."""

    stages: I64 = 0
    """Number of stages."""
    state: ProcedureState = ProcedureState.Unknown
    """The procedure's state."""


class ProcedureListItem(ResourceListItem[ProcedureListItemInfo]):
    """A Procedure as lists give it."""


class ProcedureQuerySpecifics(KomodoModel):
    """Procedure-specific filters."""

    states: list[ProcedureState] = Field(default_factory=list)
    """Only procedures in these states."""
    scheduled: bool | None = None
    """Only procedures with (or without) a schedule."""


class ProcedureQuery(ResourceQuery[ProcedureQuerySpecifics]):
    """Query of ListProcedures."""


class ProcedureActionState(KomodoModel):
    """What a Procedure is busy with."""

    running: bool = False
    """A run is in progress."""


class ProcedureSortBy(StrEnum):
    """Fields ListProcedures can sort by."""

    Name = "Name"
    State = "State"
    NextRun = "NextRun"


class GetProceduresSummaryResponse(KomodoModel):
    """Counts of procedures by state."""

    total: int = 0
    """All procedures."""
    ok: int = 0
    """Procedures whose last run succeeded."""
    running: int = 0
    """Procedures running."""
    failed: int = 0
    """Procedures whose last run failed."""
    unknown: int = 0
    """Procedures in an unknown state."""
