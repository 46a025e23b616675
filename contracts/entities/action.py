"""Action: a TypeScript script run with a ready API client."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field, field_validator

from contracts.base import KomodoModel
from contracts.entities.common import (
    FileFormat,
    Resource,
    ResourceListItem,
    ResourceQuery,
)
from contracts.entities.docker import parse_file_contents
from contracts.entities.schedule import ScheduledConfig, ScheduledListItemInfo


class ActionLanguage(StrEnum):
    """What an action's script is written in (a Varanus extension: Komodo's actions are all TypeScript)."""

    TypeScript = "TypeScript"
    Python = "Python"


class ActionConfig(ScheduledConfig):
    """Configuration of an Action."""

    run_at_startup: bool = False
    """Run when the core starts."""
    reload_deno_deps: bool = False
    """Reload the script's dependencies on each run."""
    file_contents: str = ""
    """The script (variables interpolated): TypeScript, or Python when `language` says so."""
    language: ActionLanguage = ActionLanguage.TypeScript
    """The script's language (Varanus extension; Komodo runs TypeScript only, the default)."""
    arguments_format: FileFormat = FileFormat.KeyValue
    """Format of `arguments`."""
    arguments: str = ""
    """Default arguments, given to the script as ARGS."""

    _contents = field_validator("file_contents", "arguments", mode="before")(parse_file_contents)


class ActionInfo(KomodoModel):
    """Actions keep no stored state."""


class Action(Resource[ActionConfig, ActionInfo]):
    """A script run on demand, on a schedule or by webhook."""

    info: ActionInfo = Field(default_factory=ActionInfo)
    """Empty."""
    config: ActionConfig = Field(default_factory=ActionConfig)
    """The action's configuration."""


class ActionState(StrEnum):
    """State of an Action."""

    Running = "Running"
    Ok = "Ok"
    Failed = "Failed"
    Unknown = "Unknown"


class ActionListItemInfo(ScheduledListItemInfo):
    """Summary of an Action in lists."""

    state: ActionState = ActionState.Unknown
    """The action's state."""


class ActionListItem(ResourceListItem[ActionListItemInfo]):
    """An Action as lists give it."""


class ActionQuerySpecifics(KomodoModel):
    """Action-specific filters."""

    states: list[ActionState] = Field(default_factory=list)
    """Only actions in these states."""
    scheduled: bool | None = None
    """Only actions with (or without) a schedule."""


class ActionQuery(ResourceQuery[ActionQuerySpecifics]):
    """Query of ListActions."""


class ActionActionState(KomodoModel):
    """What an Action is busy with."""

    running: int = 0
    """Number of runs in progress (several may run at once)."""


class ActionSortBy(StrEnum):
    """Fields ListActions can sort by."""

    Name = "Name"
    State = "State"
    NextRun = "NextRun"


class GetActionsSummaryResponse(KomodoModel):
    """Counts of actions by state."""

    total: int = 0
    """All actions."""
    ok: int = 0
    """Actions whose last run succeeded."""
    running: int = 0
    """Actions running."""
    failed: int = 0
    """Actions whose last run failed."""
    unknown: int = 0
    """Actions in an unknown state."""
