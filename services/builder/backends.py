"""Where a build runs: a `BuilderBackend` answers the server whose agent builds, for one run.

Only Komodo's Server builder is implemented: among its servers whose live state is `Ok`, the one with the fewest
builds running now (the `RunningBuild` collection; two builds starting at the same instant may pick the same
server), the earlier in its list on a tie. A builder whose servers are all down fails the build at once, saying
so. An AWS builder (an instance started per build)
plugs in as another backend with the same two calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from contracts.api.read.builder import GetBuilder
from contracts.api.read.server import ListServers
from contracts.entities.builder import Builder as BuilderResource
from contracts.entities.builder import ServerBuilder
from contracts.entities.server import Server, ServerListItem, ServerQuery
from services.common.errors import BadRequest, Unavailable

if TYPE_CHECKING:
    from services.builder.app import Builder


def least_busy(server_ids: list[str], states: dict[str, str], running: dict[str, int]) -> str | None:
    """Komodo's overflow: among the servers that are `Ok`, the one with the fewest running builds (the earlier
    in the builder's list on a tie); None when none is Ok."""
    ok = [server_id for server_id in server_ids if states.get(server_id) == "Ok"]
    return min(ok, key=lambda server_id: running.get(server_id, 0)) if ok else None


class BuilderBackend(Protocol):
    """A place builds run on."""

    async def acquire(self) -> Server:
        """The server whose agent runs this build (an error saying why there is none)."""
        ...

    async def release(self) -> None:
        """The build ended: give back what `acquire` took (nothing for a Server builder)."""
        ...


class ServerBackend:
    """Komodo's Server builder: the least busy of its servers that are `Ok`."""

    def __init__(self, builder: Builder, resource: BuilderResource, config: ServerBuilder) -> None:
        self.builder = builder
        self.resource = resource
        self.server_ids = list(config.params.server_ids)

    async def acquire(self) -> Server:
        if not self.server_ids:
            raise BadRequest(f"builder {self.resource.name!r} has no servers: set its server_ids")
        registry = self.builder.registry
        items: list[ServerListItem] = await self.builder.bus.request(
            ListServers(query=ServerQuery(), limit=0), registry.system_headers()
        )
        states = {item.id: str(getattr(item.info.state, "value", item.info.state)) for item in items}
        names = {item.name: item.id for item in items}
        ordered = [names.get(wanted, wanted) for wanted in self.server_ids]
        counts: dict[str, int] = {}
        async for doc in self.builder.db["RunningBuild"].find({"server_id": {"$in": ordered}}):
            counts[str(doc["server_id"])] = counts.get(str(doc["server_id"]), 0) + 1
        chosen = least_busy(ordered, states, counts)
        if chosen is not None:
            return await registry.server_for_work(chosen)
        by_id = {server_id: name for name, server_id in names.items()}
        described = ", ".join(f"{by_id.get(i, i)} ({states.get(i, 'missing')})" for i in ordered)
        raise Unavailable(f"builder {self.resource.name!r}: none of its servers is Ok: {described}")

    async def release(self) -> None:
        return None


async def backend_for(builder: Builder, builder_id: str, build_name: str) -> BuilderBackend:
    """The backend of the build's Builder; a 400 for a missing builder or a kind not supported yet."""
    if not builder_id:
        raise BadRequest(f"build {build_name!r} has no builder: set its builder_id")
    resource: BuilderResource = await builder.bus.request(
        GetBuilder(builder=builder_id), builder.registry.system_headers()
    )
    if isinstance(resource.config, ServerBuilder):
        return ServerBackend(builder, resource, resource.config)
    raise BadRequest(
        f"builder {resource.name!r} is a {resource.config.type} builder: only Server builders are supported yet"
    )
