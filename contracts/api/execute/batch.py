"""The answer of Komodo's batch executions (`Batch*`): one item per matched resource."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from contracts.api.base import ErrorEnvelope
from contracts.base import KomodoModel
from contracts.entities.update import Update


class BatchExecutionResponseItemErr(KomodoModel):
    """A resource whose execution could not be started, and why."""

    name: str
    """Name of the resource."""
    error: ErrorEnvelope
    """The error that stopped it."""


class BatchExecutionOk(KomodoModel):
    """A resource whose execution started: `{"status": "Ok", "data": Update}`."""

    status: Literal["Ok"] = "Ok"
    """Always `Ok`."""
    data: Update
    """The Update tracking the execution."""


class BatchExecutionErr(KomodoModel):
    """A resource whose execution failed to start: `{"status": "Err", "data": {...}}`."""

    status: Literal["Err"] = "Err"
    """Always `Err`."""
    data: BatchExecutionResponseItemErr
    """The resource name and the error."""


BatchExecutionResponseItem = Annotated[BatchExecutionOk | BatchExecutionErr, Field(discriminator="status")]
"""One item of a batch execution's answer, tagged by `status`."""
