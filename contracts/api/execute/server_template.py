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
