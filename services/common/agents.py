"""Sending requests to a server's agent, with an answer (or a clear "not reachable") within a bounded time."""

from __future__ import annotations

from typing import Any

from contracts.api.base import AgentRequest
from contracts.entities.server import Server
from services.common.bus import Bus
from services.common.errors import Unavailable

AGENT_TIMEOUT_SECONDS = 10.0
"""Longest wait for an agent's answer to a quick request."""
AGENT_LONG_TIMEOUT_SECONDS = 600.0
"""Longest wait for an agent's answer to slow work (prunes)."""


class AgentClient:
    """Requests from the executor to the agents."""

    def __init__(self, bus: Bus) -> None:
        self.bus = bus

    async def ask(self, server: Server, request: AgentRequest, timeout: float = AGENT_TIMEOUT_SECONDS) -> Any:
        """The agent's answer; `Unavailable` "server not reachable" when it is disabled, gone or silent."""
        if not server.config.enabled:
            raise Unavailable(f"server {server.name!r} is disabled")
        try:
            return await self.bus.request(
                request, timeout=timeout, subject=type(request).subject_for(server.id)
            )
        except Unavailable as err:
            raise Unavailable(
                f"server {server.name!r} is not reachable: its agent did not answer ({err})"
            ) from err
