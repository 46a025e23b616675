"""Container reads: lists from the heartbeats (filtered, sorted and paged here), inspect and logs from the agent."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.agent import container as agent
from contracts.api.read.deployment import ListFullDeployments
from contracts.api.read.docker import (
    GetContainerLog,
    GetContainersSummary,
    GetResourceMatchingContainer,
    InspectContainer,
    ListAllContainers,
    ListContainers,
    SearchContainerLog,
)
from contracts.api.read.stack import ListFullStacks
from contracts.entities.agent import AgentContainer
from contracts.entities.common import (
    PermissionLevel,
    ResourceTarget,
    ResourceTargetVariant,
    SpecificPermission,
)
from contracts.entities.deployment import DeploymentQuery
from contracts.entities.docker import (
    ContainerListItem,
    ContainerSortBy,
    ContainerStateStatusEnum,
    GetContainersSummaryResponse,
    GetResourceMatchingContainerResponse,
)
from contracts.entities.update import Log
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.common.registry_client import credentials
from services.executor.servers.container_index import ContainerIndex, page_by_name, passes, raw_sort_key
from services.executor.servers.directory import ServerDirectory

if TYPE_CHECKING:
    from services.executor.app import Executor

COMPOSE_PROJECT_LABEL = "com.docker.compose.project"
"""The label compose puts on a project's containers."""
STOPPED = {ContainerStateStatusEnum.Exited, ContainerStateStatusEnum.Created}
"""States counted as stopped (the rest, but running and unknown, count as unhealthy)."""


def as_list_item(container: AgentContainer, server_id: str, server_name: str) -> ContainerListItem:
    """A reported container as the container lists show it (labels stay internal)."""
    return ContainerListItem.model_validate(
        {**container.model_dump(exclude={"labels"}), "server_id": server_id, "server_name": server_name}
    )


def register(executor: Executor) -> None:
    """Answer the container reads."""
    cache = executor.cache
    registry = executor.registry
    agents = executor.agents
    directory = ServerDirectory(executor.bus, registry)
    index = ContainerIndex(cache)

    async def list_one(req: ListContainers, ctx: RequestContext) -> list[ContainerListItem]:
        server = await registry.server(ctx.headers, req.server)
        items = [as_list_item(c, server.id, server.name) for c in cache.containers(server.id)]
        return sorted(items, key=lambda c: c.name)

    async def visible_servers(
        ctx: RequestContext, servers: list[str], tags: list[str]
    ) -> list[tuple[str, str]]:
        """(id, name) of the servers the caller may read (those named or tagged, when given), by name."""
        if servers or tags:
            return [(s.id, s.name) for s in await registry.readable_servers(ctx.headers, servers, tags)]
        names, readable = await directory.readable(ctx.caller)
        shown = names.items() if readable is None else ((i, n) for i, n in names.items() if i in readable)
        return sorted(shown, key=lambda pair: pair[1])

    async def visible(
        ctx: RequestContext, servers: list[str], tags: list[str]
    ) -> list[tuple[AgentContainer, str, str]]:
        """(container, server id, server name) of every container the caller may see, server by server."""
        found: list[tuple[AgentContainer, str, str]] = []
        for server_id, server_name in await visible_servers(ctx, servers, tags):
            found.extend((c, server_id, server_name) for c in cache.containers(server_id))
        return found

    async def list_all(req: ListAllContainers, ctx: RequestContext) -> list[ContainerListItem]:
        if req.page < 0 or (req.limit is not None and req.limit < 0):
            raise BadRequest("page and limit must not be negative")
        size = executor.settings.default_pagination_limit if req.limit is None else req.limit
        skip = req.page * size
        if req.sort_by == ContainerSortBy.Name and not req.servers and not req.tags:
            names, readable = await directory.readable(ctx.caller)
            index.sync(names, directory.revision)
            chosen = page_by_name(index, readable, req.terms, req.state, skip, size, req.sort_desc)
        else:
            lowered, wanted = [t.lower() for t in req.terms if t], set(req.state)
            candidates = [
                t for t in await visible(ctx, req.servers, req.tags) if passes(t[0], lowered, wanted)
            ]
            candidates.sort(key=raw_sort_key(req.sort_by), reverse=req.sort_desc)
            chosen = candidates if size == 0 else candidates[skip : skip + size]
        # Only the page becomes list items.
        return [
            as_list_item(container, server_id, server_name) for container, server_id, server_name in chosen
        ]

    async def summary(req: GetContainersSummary, ctx: RequestContext) -> GetContainersSummaryResponse:
        counts = {"total": 0, "running": 0, "stopped": 0, "unhealthy": 0, "unknown": 0}
        for container, _, _ in await visible(ctx, [], []):
            counts["total"] += 1
            if container.state == ContainerStateStatusEnum.Running:
                counts["running"] += 1
            elif container.state in STOPPED:
                counts["stopped"] += 1
            elif container.state == ContainerStateStatusEnum.Empty:
                counts["unknown"] += 1
            else:
                counts["unhealthy"] += 1
        return GetContainersSummaryResponse(**counts)

    async def inspect(req: InspectContainer, ctx: RequestContext) -> dict[str, Any]:
        server = await registry.server_with(
            ctx.caller, req.server, PermissionLevel.Read, SpecificPermission.Inspect
        )
        found: dict[str, Any] = await agents.ask(server, agent.InspectContainer(name=req.container))
        return found

    async def container_log(req: GetContainerLog, ctx: RequestContext) -> Log:
        server = await registry.server_with(
            ctx.caller, req.server, PermissionLevel.Read, SpecificPermission.Logs
        )
        tail = max(1, min(req.tail, 5000))
        found: Log = await agents.ask(
            server, agent.GetContainerLog(name=req.container, tail=tail, timestamps=req.timestamps)
        )
        return found

    async def search_log(req: SearchContainerLog, ctx: RequestContext) -> Log:
        server = await registry.server_with(
            ctx.caller, req.server, PermissionLevel.Read, SpecificPermission.Logs
        )
        found: Log = await agents.ask(
            server,
            agent.GetContainerLogSearch(
                name=req.container,
                terms=req.terms,
                combinator=req.combinator,
                invert=req.invert,
                timestamps=req.timestamps,
            ),
        )
        return found

    async def matching(
        req: GetResourceMatchingContainer, ctx: RequestContext
    ) -> GetResourceMatchingContainerResponse:
        server = await registry.server(ctx.headers, req.server)
        held = next((c for c in cache.containers(server.id) if c.name == req.container), None)
        project = held.labels.get(COMPOSE_PROJECT_LABEL, "") if held is not None else ""
        bus, creds = executor.bus, credentials(ctx.headers)
        deployments = await bus.request(
            ListFullDeployments(query=DeploymentQuery(names=[req.container]), limit=0), creds
        )
        for deployment in deployments:
            if deployment.config.server_id == server.id:
                return GetResourceMatchingContainerResponse(
                    resource=ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
                )
        if project:
            for stack in await bus.request(ListFullStacks(limit=0), creds):
                if (
                    stack.config.server_id == server.id
                    and (stack.config.project_name or stack.name) == project
                ):
                    return GetResourceMatchingContainerResponse(
                        resource=ResourceTarget(type=ResourceTargetVariant.Stack, id=stack.id)
                    )
        return GetResourceMatchingContainerResponse()

    bus = executor.bus
    bus.handle(ListContainers, list_one)
    bus.handle(ListAllContainers, list_all)
    bus.handle(GetContainersSummary, summary)
    bus.handle(InspectContainer, inspect)
    bus.handle(GetContainerLog, container_log)
    bus.handle(SearchContainerLog, search_log)
    bus.handle(GetResourceMatchingContainer, matching)
