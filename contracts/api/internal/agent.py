"""Credentials of host agents: what an agent presents to NATS as `agent:<server_id>`."""

from __future__ import annotations

from typing import Any, ClassVar

from contracts.api.base import InternalRequest
from contracts.base import KomodoModel


class AgentCredential(KomodoModel):
    """A server's agent credential, shown once: NATS user `agent:<server_id>` with this token as password."""

    server_id: str
    """The server the agent serves."""
    token: str
    """The agent's secret (`A_..._A`); only its hash is stored."""


class IssueAgentCredential(InternalRequest):
    """Give a server's agent a new credential (the previous one stops working at the agent's next connect)."""

    RESPONSE: ClassVar[Any] = AgentCredential

    server: str
    """Id or name of the server."""
