"""Komodo's 21 server executions: container lifecycle, deletes and prunes, each run by the server's agent.

Each needs Execute on the server. The answer is the InProgress Update at once; the agent's Logs are added to it
as the work ends. A container operation is exclusive per container, a delete per object, a prune per server.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contracts.api.agent import container as agent_container
from contracts.api.agent import docker_objects as agent_objects
from contracts.api.base import AgentRequest, ExecuteRequest
from contracts.api.execute import server as ex
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from services.common.agents import AGENT_LONG_TIMEOUT_SECONDS, AGENT_TIMEOUT_SECONDS
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.executor.app import Executor

Translate = Callable[[Any], AgentRequest]
"""Builds the agent request of an execution."""


def _signal(req: Any) -> str | None:
    return req.signal.value if req.signal is not None else None


EXECUTIONS: list[tuple[type[ExecuteRequest], Translate, Callable[[Any], str], float]] = [
    (
        ex.StartContainer,
        lambda r: agent_container.StartContainer(name=r.container),
        lambda r: r.container,
        AGENT_TIMEOUT_SECONDS,
    ),
    (
        ex.RestartContainer,
        lambda r: agent_container.RestartContainer(name=r.container),
        lambda r: r.container,
        120.0,
    ),
    (
        ex.PauseContainer,
        lambda r: agent_container.PauseContainer(name=r.container),
        lambda r: r.container,
        AGENT_TIMEOUT_SECONDS,
    ),
    (
        ex.UnpauseContainer,
        lambda r: agent_container.UnpauseContainer(name=r.container),
        lambda r: r.container,
        AGENT_TIMEOUT_SECONDS,
    ),
    (
        ex.StopContainer,
        lambda r: agent_container.StopContainer(name=r.container, signal=_signal(r), time=r.time),
        lambda r: r.container,
        120.0,
    ),
    (
        ex.DestroyContainer,
        lambda r: agent_container.RemoveContainer(name=r.container, signal=_signal(r), time=r.time),
        lambda r: r.container,
        120.0,
    ),
    (
        ex.StartAllContainers,
        lambda r: agent_container.StartAllContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.RestartAllContainers,
        lambda r: agent_container.RestartAllContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.PauseAllContainers,
        lambda r: agent_container.PauseAllContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.UnpauseAllContainers,
        lambda r: agent_container.UnpauseAllContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.StopAllContainers,
        lambda r: agent_container.StopAllContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.PruneContainers,
        lambda r: agent_container.PruneContainers(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (
        ex.DeleteNetwork,
        lambda r: agent_objects.DeleteNetwork(name=r.name),
        lambda r: r.name,
        AGENT_TIMEOUT_SECONDS,
    ),
    (ex.PruneNetworks, lambda r: agent_objects.PruneNetworks(), lambda r: "", AGENT_LONG_TIMEOUT_SECONDS),
    (ex.DeleteImage, lambda r: agent_objects.DeleteImage(name=r.name), lambda r: r.name, 120.0),
    (ex.PruneImages, lambda r: agent_objects.PruneImages(), lambda r: "", AGENT_LONG_TIMEOUT_SECONDS),
    (
        ex.DeleteVolume,
        lambda r: agent_objects.DeleteVolume(name=r.name),
        lambda r: r.name,
        AGENT_TIMEOUT_SECONDS,
    ),
    (ex.PruneVolumes, lambda r: agent_objects.PruneVolumes(), lambda r: "", AGENT_LONG_TIMEOUT_SECONDS),
    (
        ex.PruneDockerBuilders,
        lambda r: agent_objects.PruneBuilders(),
        lambda r: "",
        AGENT_LONG_TIMEOUT_SECONDS,
    ),
    (ex.PruneBuildx, lambda r: agent_objects.PruneBuildx(), lambda r: "", AGENT_LONG_TIMEOUT_SECONDS),
    (ex.PruneSystem, lambda r: agent_objects.PruneSystem(), lambda r: "", AGENT_LONG_TIMEOUT_SECONDS),
]
"""Each execution: its request, the agent request it becomes, what it locks on the server, its time limit."""


def register(executor: Executor) -> None:
    """Answer every server execution."""
    for request_cls, translate, lock, timeout in EXECUTIONS:
        _register(executor, request_cls, translate, lock, timeout)


def _register(
    executor: Executor,
    request_cls: type[ExecuteRequest],
    translate: Translate,
    lock: Callable[[Any], str],
    timeout: float,
) -> None:
    operation = Operation(request_cls.__name__)

    async def execute(req: Any, ctx: RequestContext) -> Update:
        server = await executor.registry.server_with(ctx.caller, req.server, PermissionLevel.Execute)
        target = ResourceTarget(type=ResourceTargetVariant.Server, id=server.id)
        agent_request = translate(req)

        async def work(update: Update) -> list[Log]:
            answer = await executor.agents.ask(server, agent_request, timeout=timeout)
            return list(answer) if isinstance(answer, list) else [answer]

        return await executor.runner.start(operation, target, ctx.caller.user_id, work, lock(req), ctx=ctx)

    executor.bus.handle(request_cls, execute)
