"""Write requests about Stacks (`/write`)."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import AliasChoices, Field

from contracts.api.base import NoData, WriteRequest
from contracts.entities.stack import CheckStackForUpdateResponse, Stack
from contracts.entities.update import Update


class CreateStack(WriteRequest):
    """Create a stack from a partial config; answers the new Stack."""

    RESPONSE: ClassVar[Any] = Stack

    name: str
    """Name of the new stack."""
    config: dict[str, Any] = Field(default_factory=dict)
    """Partial StackConfig merged over the defaults."""


class CopyStack(WriteRequest):
    """Create a stack with the config of another; answers the new Stack."""

    RESPONSE: ClassVar[Any] = Stack

    name: str
    """Name of the new stack."""
    id: str
    """Id of the stack to copy."""


class DeleteStack(WriteRequest):
    """Delete a stack; answers the deleted Stack."""

    RESPONSE: ClassVar[Any] = Stack

    id: str
    """Id or name of the stack."""


class UpdateStack(WriteRequest):
    """Merge a partial config into a stack; answers the updated Stack."""

    RESPONSE: ClassVar[Any] = Stack

    id: str
    """Id or name of the stack."""
    config: dict[str, Any]
    """Partial StackConfig; only the fields given change."""


class RenameStack(WriteRequest):
    """Rename a stack; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    id: str
    """Id or name of the stack."""
    name: str
    """The new name."""


class WriteStackFileContents(WriteRequest):
    """Write a stack file on the host, or commit it to the repo; answers an Update."""

    RESPONSE: ClassVar[Any] = Update

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""
    file_path: str
    """Path relative to the run directory, or absolute."""
    contents: str
    """The contents to write."""


class RefreshStackCache(WriteRequest):
    """Refresh the stack's cached remote files, services and latest commit; answers NoData."""

    RESPONSE: ClassVar[Any] = NoData

    stack: str = Field(validation_alias=AliasChoices("stack", "id", "name"))
    """Id or name of the stack (`id` and `name` accepted)."""


class CheckStackForUpdate(WriteRequest):
    """Check the registry for newer service images; answers CheckStackForUpdateResponse."""

    RESPONSE: ClassVar[Any] = CheckStackForUpdateResponse

    stack: str
    """Id or name of the stack."""
    skip_auto_update: bool = False
    """Only alert, even if the stack has auto_update."""
    wait_for_auto_update: bool = False
    """Wait for a triggered redeploy instead of running it in the background."""
    skip_cache_refresh: bool = False
    """Do not refresh the stack cache first."""


class BatchCheckStackForUpdate(WriteRequest):
    """Check several stacks for newer images; answers a list of CheckStackForUpdateResponse."""

    RESPONSE: ClassVar[Any] = list[CheckStackForUpdateResponse]

    pattern: str
    """Ids, names, wildcards (`foo-*`) or `\\regex\\`, comma or newline separated."""
    tags: list[str] = Field(default_factory=list)
    """Only stacks with these tags."""
    skip_auto_update: bool = False
    """Only alert, even if a stack has auto_update."""
    wait_for_auto_update: bool = False
    """Wait for triggered redeploys instead of running them in the background."""
    skip_cache_refresh: bool = False
    """Do not refresh the stack caches first."""
