"""Executions on Builds: run and cancel (`/execute`).

Single executions answer at once with the Update that tracks the work; batch executions answer one item per
matched build.
"""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import ExecuteRequest
from contracts.api.execute.batch import BatchExecutionResponseItem
from contracts.entities.update import Update


class RunBuild(ExecuteRequest):
    """Build the image on the builder, push it, and redeploy attached deployments; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    build: str
    """Id or name of the build."""


class BatchRunBuild(ExecuteRequest):
    """Run every build matching a pattern, in parallel; answers one item per build."""

    RESPONSE: ClassVar[Any] = list[BatchExecutionResponseItem]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only builds with these tags."""


class CancelBuild(ExecuteRequest):
    """Cancel the build if it is building; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    build: str
    """Id or name of the build."""
