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


def sort_key(sort_by: ContainerSortBy) -> Any:
    """The key that sorts containers by a ContainerSortBy (name second)."""
    fields = {
        ContainerSortBy.Name: lambda c: (c.name,),
        ContainerSortBy.Server: lambda c: (c.server_name or "", c.name),
        ContainerSortBy.State: lambda c: (c.state.value, c.name),
        ContainerSortBy.Image: lambda c: (c.image or "", c.name),
        ContainerSortBy.Networks: lambda c: (",".join(c.networks), c.name),
        ContainerSortBy.Ports: lambda c: (min((p.public_port or 0 for p in c.ports), default=0), c.name),
        ContainerSortBy.Volumes: lambda c: (",".join(c.volumes), c.name),
    }
    return fields[sort_by]


def select(
    containers: list[ContainerListItem],
    terms: list[str],
    states: list[ContainerStateStatusEnum],
) -> list[ContainerListItem]:
    """Containers whose name holds every term (case-insensitive) and whose state is among `states`."""
    lowered = [t.lower() for t in terms if t]
    wanted = set(states)
    return [
        c
        for c in containers
        if (not wanted or c.state in wanted) and all(term in c.name.lower() for term in lowered)
    ]


def page_of(
    items: list[ContainerListItem], page: int, limit: int | None, default: int
) -> list[ContainerListItem]:
    """One page (limit 0: everything)."""
    if page < 0 or (limit is not None and limit < 0):
        raise BadRequest("page and limit must not be negative")
    size = default if limit is None else limit
    return items if size == 0 else items[page * size : (page + 1) * size]


def register(executor: Executor) -> None:
    """Answer the container reads."""
    cache = executor.cache
    registry = executor.registry
    agents = executor.agents

    async def list_one(req: ListContainers, ctx: RequestContext) -> list[ContainerListItem]:
        server = await registry.server(ctx.headers, req.server)
        items = [as_list_item(c, server.id, server.name) for c in cache.containers(server.id)]
        return sorted(items, key=lambda c: c.name)

    async def visible(ctx: RequestContext, servers: list[str], tags: list[str]) -> list[ContainerListItem]:
        found: list[ContainerListItem] = []
        for server in await registry.readable_servers(ctx.headers, servers, tags):
            found.extend(as_list_item(c, server.id, server.name) for c in cache.containers(server.id))
        return found

    async def list_all(req: ListAllContainers, ctx: RequestContext) -> list[ContainerListItem]:
        items = select(await visible(ctx, req.servers, req.tags), req.terms, req.state)
        items.sort(key=sort_key(req.sort_by), reverse=req.sort_desc)
        return page_of(items, req.page, req.limit, executor.settings.default_pagination_limit)

    async def summary(req: GetContainersSummary, ctx: RequestContext) -> GetContainersSummaryResponse:
        counts = {"total": 0, "running": 0, "stopped": 0, "unhealthy": 0, "unknown": 0}
        for container in await visible(ctx, [], []):
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
            ctx.headers, req.server, PermissionLevel.Read, SpecificPermission.Inspect
        )
        found: dict[str, Any] = await agents.ask(server, agent.InspectContainer(name=req.container))
        return found

    async def container_log(req: GetContainerLog, ctx: RequestContext) -> Log:
        server = await registry.server_with(
            ctx.headers, req.server, PermissionLevel.Read, SpecificPermission.Logs
        )
        tail = max(1, min(req.tail, 5000))
        found: Log = await agents.ask(
            server, agent.GetContainerLog(name=req.container, tail=tail, timestamps=req.timestamps)
        )
        return found

    async def search_log(req: SearchContainerLog, ctx: RequestContext) -> Log:
        server = await registry.server_with(
            ctx.headers, req.server, PermissionLevel.Read, SpecificPermission.Logs
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
