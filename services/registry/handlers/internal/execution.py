"""GetExecutionTarget: a resource, its caller's permission on it and its server, for an execution about to start."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from contracts.api.internal.execution import ExecutionTarget, GetExecutionTarget
from contracts.entities.common import ResourceTargetVariant
from contracts.entities.server import Server
from services.common.bus import RequestContext
from services.common.caller import Caller
from services.common.errors import NotFound
from services.registry.resources import kind_for

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer GetExecutionTarget."""
    servers = registry.kinds[ResourceTargetVariant.Server.value]

    async def execution_target(req: GetExecutionTarget, ctx: RequestContext) -> ExecutionTarget:
        service = registry.kinds[kind_for(req.type.value).name]
        caller = Caller(user_id=req.user_id, username=req.username, admin=req.admin)
        # The checks of the caller's own Get; the permission found is the one GetPermission would answer.
        shown, granted = await registry.read_as(service, caller, req.target)
        server: Server | None = None
        server_id = str(getattr(shown.config, "server_id", "") or "") if req.with_server else ""
        if server_id:
            with contextlib.suppress(NotFound):  # no such server: None, for the caller to say so
                found = await servers.read(server_id)
                server = found if isinstance(found, Server) else None
        return ExecutionTarget(
            resource=shown.model_dump(mode="json", by_alias=True), granted=granted, server=server
        )

    registry.bus.handle(GetExecutionTarget, execution_target)
