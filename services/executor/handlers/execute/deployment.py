"""A deployment's container lifecycle: Start, Restart, Pause, Unpause, Stop and Destroy, run by its server's agent.

Each needs Execute on the deployment (not on its server, as Komodo). The container is the deployment's
`custom_name`, else its name; Stop and Destroy use the deployment's `termination_signal` and
`termination_timeout` unless the request gives others.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from contracts.api.agent import container as agent
from contracts.api.base import AgentRequest, ExecuteRequest
from contracts.api.execute import deployment as ex
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.deployment import Deployment, container_name
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.executor.app import Executor

Translate = Callable[[Any, Deployment, str], AgentRequest]
"""Builds the agent request from the execution, the deployment and its container name."""


def _signal(req: Any, deployment: Deployment) -> str:
    return (req.signal or deployment.config.termination_signal).value


def _time(req: Any, deployment: Deployment) -> int:
    return req.time if req.time is not None else deployment.config.termination_timeout


LIFECYCLE: list[tuple[type[ExecuteRequest], Translate]] = [
    (ex.StartDeployment, lambda r, d, c: agent.StartContainer(name=c)),
    (ex.RestartDeployment, lambda r, d, c: agent.RestartContainer(name=c)),
    (ex.PauseDeployment, lambda r, d, c: agent.PauseContainer(name=c)),
    (ex.UnpauseDeployment, lambda r, d, c: agent.UnpauseContainer(name=c)),
    (ex.StopDeployment, lambda r, d, c: agent.StopContainer(name=c, signal=_signal(r, d), time=_time(r, d))),
    (
        ex.DestroyDeployment,
        lambda r, d, c: agent.RemoveContainer(name=c, signal=_signal(r, d), time=_time(r, d)),
    ),
]
"""Each lifecycle execution and the agent request it becomes."""


def register(executor: Executor) -> None:
    """Answer the deployment lifecycle executions."""
    for request_cls, translate in LIFECYCLE:
        _register(executor, request_cls, translate)


def _register(executor: Executor, request_cls: type[ExecuteRequest], translate: Translate) -> None:
    operation = Operation(request_cls.__name__)

    async def execute(req: Any, ctx: RequestContext) -> Update:
        deployment, server = await executor.registry.deployment_on_server(
            ctx.caller, req.deployment, PermissionLevel.Execute
        )
        agent_request = translate(
            req, deployment, container_name(deployment.name, deployment.config.custom_name)
        )

        # Stops wait for the grace time before killing: give the agent that long and some.
        timeout = _time(req, deployment) + 30.0 if hasattr(req, "time") else 60.0

        async def work(update: Update) -> list[Log]:
            return [await executor.agents.ask(server, agent_request, timeout=timeout)]

        target = ResourceTarget(type=ResourceTargetVariant.Deployment, id=deployment.id)
        # A second run of the same change on the same deployment while the first runs is refused as busy.
        return await executor.runner.start(operation, target, ctx.caller.user_id, work, ctx=ctx)

    executor.bus.handle(request_cls, execute)
