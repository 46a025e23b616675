"""Executions on Stacks: docker compose up, pull, lifecycle, down and run (`/execute`).

Single executions answer at once with the Update that tracks the work; batch executions answer one item per
matched stack. With exactly one service given, the Update records the `*StackService` operation.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.update import Update


class DeployStack(ExecuteRequest):
    """Deploy the stack (`docker compose up -d`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty deploys all."""
    stop_time: int | None = None
    """Seconds to wait when taking the stack down first, instead of the default."""


class BatchDeployStack(ExecuteRequest):
    """Deploy every stack matching a pattern, in parallel; answers one item per stack."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""


class DeployStackIfChanged(ExecuteRequest):
    """Deploy the stack only if its files changed since the last deploy; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    stop_time: int | None = None
    """Seconds to wait when taking the stack down first, instead of the default."""


class BatchDeployStackIfChanged(ExecuteRequest):
    """Deploy every changed stack matching a pattern, in parallel; answers one item per stack."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""


class PullStack(ExecuteRequest):
    """Pull the stack's images (`docker compose pull`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty pulls all."""


class BatchPullStack(ExecuteRequest):
    """Pull every stack matching a pattern, in parallel; answers one item per stack."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""


class StartStack(ExecuteRequest):
    """Start the stack (`docker compose start`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty starts all."""


class RestartStack(ExecuteRequest):
    """Restart the stack (`docker compose restart`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty restarts all."""


class PauseStack(ExecuteRequest):
    """Pause the stack (`docker compose pause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty pauses all."""


class UnpauseStack(ExecuteRequest):
    """Unpause the stack (`docker compose unpause`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty unpauses all."""


class StopStack(ExecuteRequest):
    """Stop the stack (`docker compose stop`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    stop_time: int | None = None
    """Seconds to wait before killing, instead of the default."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty stops all."""


class DestroyStack(ExecuteRequest):
    """Take the stack down (`docker compose down`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    services: list[str] = Field(default_factory=list)
    """Only these services; empty destroys all."""
    remove_orphans: bool = False
    """Pass `--remove-orphans`."""
    stop_time: int | None = None
    """Seconds to wait before killing, instead of the default."""


class BatchDestroyStack(ExecuteRequest):
    """Destroy every stack matching a pattern, in parallel; answers one item per stack."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""


class RunStackService(ExecuteRequest):
    """Run a one-off command in a service (`docker compose run`); answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str
    """Id or name of the stack."""
    service: str
    """The service to run."""
    command: list[str] | None = None
    """Command and arguments for the container."""
    no_tty: bool | None = None
    """Do not allocate a TTY."""
    no_deps: bool | None = None
    """Do not start linked services."""
    detach: bool | None = None
    """Run the container in the background."""
    service_ports: bool | None = None
    """Map the service ports to the host."""
    env: dict[str, str] | None = None
    """Extra environment variables."""
    workdir: str | None = None
    """Working directory inside the container."""
    user: str | None = None
    """User to run as inside the container."""
    entrypoint: str | None = None
    """Entrypoint override."""
    pull: bool | None = None
    """Pull the image before running."""
