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


class OnboardAgent(KomodoModel):
    """A new host's agent asks for its server and credential (sent on `komodo.onboard.OnboardAgent`).

    Not a Komodo request: the onboarding key in the body is the agent's only credential. The answer is an
    AgentCredential, or Komodo's error envelope.
    """

    onboarding_key: str
    """The onboarding private key (`O_..._O`) an admin created with CreateOnboardingKey."""
    connect_as: str
    """The server name to create, or to claim when it exists (a privileged key is needed for that)."""
