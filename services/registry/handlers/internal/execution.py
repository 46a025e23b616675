"""GetExecutionTarget: a resource, its caller's permission on it and its server, for an execution about to start."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.execution import ExecutionTarget, GetExecutionTarget
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
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
        # The checks of the caller's own Get (404, then 403 without Read), from the kept reads; the permission
        # found is the one GetPermission would answer, so it is looked up once for both.
        resource = await service.read(req.target)
        target = ResourceTarget(type=req.type, id=resource.id)
        granted = await registry.permissions.require(caller, target, PermissionLevel.Read, resource.name)
        shown = resource if caller.admin else service.without_secrets(resource)
        server: Server | None = None
        server_id = str(getattr(resource.config, "server_id", "") or "") if req.with_server else ""
        if server_id:
            try:
                found = await servers.read(server_id)
            except NotFound:
                found = None
            server = found if isinstance(found, Server) else None
        return ExecutionTarget(
            resource=shown.model_dump(mode="json", by_alias=True), granted=granted, server=server
        )

    registry.bus.handle(GetExecutionTarget, execution_target)
