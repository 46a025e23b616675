"""Stack reads: services and their containers from the heartbeats; logs and inspect from the agent, live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.agent import container as agent
from contracts.api.agent.compose import GetComposeLog, GetComposeLogSearch
from contracts.api.read.stack import (
    GetStackActionState,
    GetStackLog,
    InspectStackContainer,
    ListAllStackServices,
    ListFullStacks,
    ListStackServices,
    SearchStackLog,
)
from contracts.entities.common import PermissionLevel, SpecificPermission
from contracts.entities.stack import Stack, StackActionState, StackQuery, StackService
from contracts.entities.update import Log
from services.common.bus import RequestContext
from services.common.errors import BadRequest, NotFound, plain_reason
from services.common.registry_client import credentials
from services.executor.stacks.run import target_of
from services.executor.stacks.services import project_of, services_of

if TYPE_CHECKING:
    from services.executor.app import Executor

ACTIONS = {
    "PullStack": "pulling",
    "PullStackService": "pulling",
    "DeployStack": "deploying",
    "DeployStackService": "deploying",
    "StartStack": "starting",
    "StartStackService": "starting",
    "RestartStack": "restarting",
    "RestartStackService": "restarting",
    "PauseStack": "pausing",
    "PauseStackService": "pausing",
    "UnpauseStack": "unpausing",
    "UnpauseStackService": "unpausing",
    "StopStack": "stopping",
    "StopStackService": "stopping",
    "DestroyStack": "destroying",
    "DestroyStackService": "destroying",
}
"""StackActionState flags, by the operation that sets them."""


def register(executor: Executor) -> None:
    """Answer the stack reads."""
    registry = executor.registry

    async def action_state(req: GetStackActionState, ctx: RequestContext) -> StackActionState:
        stack = await registry.stack_with(ctx.caller, req.stack, PermissionLevel.Read)
        live = await executor.runner.live(target_of(stack))
        return StackActionState.model_validate({ACTIONS[a]: True for a in live if a in ACTIONS})

    async def list_services(req: ListStackServices, ctx: RequestContext) -> list[StackService]:
        return services_of(executor, await registry.stack_with(ctx.caller, req.stack, PermissionLevel.Read))

    async def list_all(req: ListAllStackServices, ctx: RequestContext) -> list[StackService]:
        stacks: list[Stack] = await executor.bus.request(
            ListFullStacks(query=StackQuery(tags=list(req.tags)), limit=0), credentials(ctx.headers)
        )
        wanted = set(req.stacks)
        found: list[StackService] = []
        for stack in stacks:
            if wanted and stack.id not in wanted and stack.name not in wanted:
                continue
            for service in services_of(executor, stack):
                if req.state and service.state not in req.state:
                    continue
                if req.terms and not all(
                    t in f"{stack.name} {service.service} {service.image}" for t in req.terms
                ):
                    continue
                found.append(service)
        return found

    async def log(req: GetStackLog, ctx: RequestContext) -> Log:
        stack, server = await registry.stack_on_server(
            ctx.caller, req.stack, PermissionLevel.Read, SpecificPermission.Logs
        )
        try:
            request = GetComposeLog(
                project=project_of(stack),
                services=list(req.services),
                tail=max(1, min(req.tail, 5000)),
                timestamps=req.timestamps,
            )
        except ValueError as err:
            raise BadRequest(f"GetStackLog: {plain_reason(err)}") from None
        answer: Log = await executor.agents.ask(server, request, timeout=60.0)
        return answer

    async def search(req: SearchStackLog, ctx: RequestContext) -> Log:
        stack, server = await registry.stack_on_server(
            ctx.caller, req.stack, PermissionLevel.Read, SpecificPermission.Logs
        )
        try:
            request = GetComposeLogSearch(
                project=project_of(stack),
                services=list(req.services),
                terms=list(req.terms),
                combinator=req.combinator,
                invert=req.invert,
                timestamps=req.timestamps,
            )
        except ValueError as err:
            raise BadRequest(f"SearchStackLog: {plain_reason(err)}") from None
        answer: Log = await executor.agents.ask(server, request, timeout=60.0)
        return answer

    async def inspect(req: InspectStackContainer, ctx: RequestContext) -> dict[str, Any]:
        stack, server = await registry.stack_on_server(
            ctx.caller, req.stack, PermissionLevel.Read, SpecificPermission.Inspect
        )
        service = next((s for s in services_of(executor, stack) if s.service == req.service), None)
        if service is None or service.container is None:
            raise NotFound(f"stack {stack.name!r} has no running container for service {req.service!r}")
        found: dict[str, Any] = await executor.agents.ask(
            server, agent.InspectContainer(name=service.container.name)
        )
        return found

    bus = executor.bus
    bus.handle(GetStackActionState, action_state)
    bus.handle(ListStackServices, list_services)
    bus.handle(ListAllStackServices, list_all)
    bus.handle(GetStackLog, log)
    bus.handle(SearchStackLog, search)
    bus.handle(InspectStackContainer, inspect)
