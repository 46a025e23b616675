"""ListServerNames and GetServerDirectory: what the executor needs to list containers over the whole fleet."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.servers import (
    GetServerDirectory,
    ListServerNames,
    ServerDirectory,
    ServerNames,
)
from contracts.entities.common import ResourceTargetVariant
from services.common.bus import RequestContext
from services.common.caller import Caller

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer ListServerNames and GetServerDirectory."""
    servers = registry.kinds[ResourceTargetVariant.Server.value].coll
    permissions = registry.permissions

    async def names(req: ListServerNames, ctx: RequestContext) -> ServerNames:
        return ServerNames(
            names={str(doc["_id"]): doc["name"] async for doc in servers.find({}, {"name": 1})}
        )

    async def directory(req: GetServerDirectory, ctx: RequestContext) -> ServerDirectory:
        # An aggregation: nx-27017 runs it in SQL (count_documents reads every document).
        stamp = [{"$group": {"_id": None, "n": {"$sum": 1}, "latest": {"$max": "$updated_at"}}}]
        found = await (await servers.aggregate(stamp)).to_list(None)
        count = int(found[0]["n"]) if found else 0
        latest = int(found[0].get("latest") or 0) if found else 0
        caller = Caller(user_id=req.user_id, username="", admin=req.admin)
        readable = await permissions.readable_ids(caller, ResourceTargetVariant.Server)
        return ServerDirectory(count=count, latest=latest, readable=readable)

    registry.bus.handle(ListServerNames, names)
    registry.bus.handle(GetServerDirectory, directory)
