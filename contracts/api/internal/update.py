"""How executing services record their work in the registry's Updates."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import InternalRequest, NoData
from contracts.base import KomodoModel
from contracts.entities.common import ResourceTarget, Version
from contracts.entities.update import Log, Operation, Update, UpdateStatus
from contracts.events.base import Event


class CreateUpdate(InternalRequest):
    """Start an Update for an execution (status InProgress unless given); answers the stored Update.

    An `id` already used answers 409 (a retry of the same create is told the Update exists)."""

    RESPONSE: ClassVar[Any] = Update

    id: str | None = None
    """The new Update's id (an ObjectId in hex), chosen by the caller so it can record it before the Update
    exists (an executor names it in its lease); a fresh one when absent."""
    operation: Operation
    """The operation being performed."""
    target: ResourceTarget
    """The resource it acts on."""
    operator: str
    """Id of the user (or service user) the execution runs as."""
    status: UpdateStatus = UpdateStatus.InProgress
    """Initial status."""
    logs: list[Log] = Field(default_factory=list)
    """Logs known at creation."""
    version: Version | None = None
    """Version involved, if any."""
    commit_hash: str | None = None
    """Commit involved, if any."""
    other_data: str | None = None
    """Operation-specific data."""


class AppendUpdateLog(InternalRequest):
    """Append one stage log to an Update that is still running."""

    RESPONSE: ClassVar[Any] = NoData

    id: str
    """The Update id."""
    log: Log
    """The stage log to append."""


class CarriedEvent(KomodoModel):
    """An event to store in the same write as an Update's completion (see `FinishUpdate.events`)."""

    id: str
    """The event's id (its JetStream de-duplication id)."""
    subject: str
    """The event's subject (`komodo.event.<kind>.<Name>`, a known event)."""
    data: str
    """The event as JSON."""

    @classmethod
    def of(cls, event: Event) -> CarriedEvent:
        """The carried form of `event`."""
        return cls(id=event.id, subject=event.SUBJECT, data=event.model_dump_json(by_alias=True))


class FinishUpdate(InternalRequest):
    """Complete an Update: status Complete, end time set, success computed from its logs unless given.

    An Update already complete answers 409 and is left as it was; an unknown one 404; too many writers at once
    503 (try again)."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """The Update id."""
    success: bool | None = None
    """Force the outcome; when absent it is true only if every log succeeded."""
    logs: list[Log] = Field(default_factory=list)
    """Last logs to append before finishing."""
    version: Version | None = None
    """Version to record, if any."""
    commit_hash: str | None = None
    """Commit to record, if any."""
    other_data: str | None = None
    """Operation-specific data to record."""
    drop_progress: bool = False
    """Remove the logs appended only to show progress while it ran (stages named by `progress_stage`): the
    work ended normally and its last logs hold the whole output."""
    events: list[CarriedEvent] = Field(default_factory=list)
    """Events the execution's end gives (a Deploy's `DeploymentDeployed`): the registry stores them in the write
    that completes the Update and relays them from its outbox, so they go out (at least once) exactly when the
    Update is complete, and the execution's end costs one write instead of two."""


PROGRESS_MARK = " (progress "
"""What names a log appended only to show progress: `<stage> (progress <n>)`."""


def progress_stage(stage: str, seq: int) -> str:
    """The stage name of the `seq`-th progress log of `stage` (shown live, dropped when the work ends)."""
    return f"{stage}{PROGRESS_MARK}{seq})"


def is_progress_stage(stage: str) -> bool:
    """Whether a log of that stage name was appended only to show progress."""
    return PROGRESS_MARK in stage and stage.endswith(")")
