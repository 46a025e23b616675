"""Executions on Deployments: deploy, pull and container lifecycle (`/execute`).

Single executions answer at once with the Update that tracks the work; batch executions answer one item per
matched deployment.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field, field_validator

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.common import TerminationSignal, parse_termination_signal
from contracts.entities.update import Update


class Deploy(ExecuteRequest):
    """Pull the image, remove any existing container and `docker run` the deployment; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""
    stop_signal: TerminationSignal | None = None
    """Signal to stop the old container with, instead of the configured one."""
    stop_time: int | None = None
    """Seconds to wait for the old container to stop, instead of the configured timeout."""

    _signal = field_validator("stop_signal", mode="before")(parse_termination_signal)


class BatchDeploy(ExecuteRequest):
    """Deploy every deployment matching a pattern, in parallel; answers one item per deployment."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only deployments with these tags."""


class PullDeployment(ExecuteRequest):
    """Pull the deployment's image; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""


class StartDeployment(ExecuteRequest):
    """Start the container (`docker start`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""


class RestartDeployment(ExecuteRequest):
    """Restart the container (`docker restart`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""


class PauseDeployment(ExecuteRequest):
    """Pause the container (`docker pause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""


class UnpauseDeployment(ExecuteRequest):
    """Unpause the container (`docker unpause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""


class StopDeployment(ExecuteRequest):
    """Stop the container (`docker stop`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""
    signal: TerminationSignal | None = None
    """Signal to stop with, instead of the configured one."""
    time: int | None = None
    """Seconds to wait before killing, instead of the configured timeout."""

    _signal = field_validator("signal", mode="before")(parse_termination_signal)


class DestroyDeployment(ExecuteRequest):
    """Stop and remove the container (`docker container rm`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    deployment: str
    """Id or name of the deployment."""
    signal: TerminationSignal | None = None
    """Signal to stop with, instead of the configured one."""
    time: int | None = None
    """Seconds to wait before killing, instead of the configured timeout."""

    _signal = field_validator("signal", mode="before")(parse_termination_signal)


class BatchDestroyDeployment(ExecuteRequest):
    """Destroy every deployment matching a pattern, in parallel; answers one item per deployment."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only deployments with these tags."""
