"""IssueAgentCredential: a new NATS credential for a server's agent (services only)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.agent import AgentCredential, IssueAgentCredential
from contracts.entities.common import ResourceTargetVariant
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer IssueAgentCredential."""
    servers = registry.kinds[ResourceTargetVariant.Server.value]

    async def issue(req: IssueAgentCredential, ctx: RequestContext) -> AgentCredential:
        server = await servers.get(req.server)
        return await registry.agent_credentials.issue(server.id)

    registry.bus.handle(IssueAgentCredential, issue)
