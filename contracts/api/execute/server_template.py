"""Executions on server templates (`/execute`)."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import ExecuteRequest
from contracts.entities.update import Update


class LaunchServer(ExecuteRequest):
    """Launch a new server from a template; it joins as a Server named `name`. Answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    name: str
    """Name of the new Server."""
    server_template: str
    """Id or name of the template."""


class DestroyServer(ExecuteRequest):
    """Varanus extension: terminate the cloud machine of a Server launched from a template (`LaunchServer`), then
    delete the Server. Refused without `confirm`, and for servers no template launched. Answers the Update."""

    RESPONSE: ClassVar[Any] = Update

    server: str
    """Id or name of the Server."""
    confirm: bool = False
    """Must be true: the machine and everything on it is gone for good."""
