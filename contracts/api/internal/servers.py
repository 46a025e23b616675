"""What the executor needs of the registry to answer container lists over the whole fleet."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from contracts.api.base import InternalRequest
from contracts.base import KomodoModel


class ServerNames(KomodoModel):
    """Every stored server's name, by id."""

    names: dict[str, str] = Field(default_factory=dict)
    """Server name by server id."""


class ListServerNames(InternalRequest):
    """Ask the registry for the id and name of every server (what the executor's directory of servers holds)."""

    RESPONSE: ClassVar[Any] = ServerNames


class ServerDirectory(KomodoModel):
    """How many servers are stored, and which of them a user may Read."""

    count: int = 0
    """How many servers the registry stores now."""
    latest: int = 0
    """The latest `updated_at` of them (every create, rename and config change sets it): with `count`, a
    directory that was read when both were the same is still what the registry holds."""
    readable: list[str] | None = None
    """The ids of the servers the user may Read; null when the user may Read every server."""


class GetServerDirectory(InternalRequest):
    """Ask the registry how many servers it stores and which ones a user may Read, evaluated now."""

    RESPONSE: ClassVar[Any] = ServerDirectory

    user_id: str
    """The user whose grants decide (an admin, or a service user, may Read every server)."""
    admin: bool = False
    """Whether the caller is known to be an admin or a service user (then no grant is looked up)."""
