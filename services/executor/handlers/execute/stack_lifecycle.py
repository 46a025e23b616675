"""A stack's lifecycle: Pull, Start, Restart, Pause, Unpause, Stop, Destroy and RunStackService, on its agent.

Each needs Execute on the stack. They act on the compose project by name (`docker compose -p <project> ...`),
so they work on what is running even when its files changed; Pull and RunStackService need the files, which
are interpolated as for a deploy. Naming one service makes the operation `<Verb>StackService`, as Komodo.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.agent.compose import ComposeExecution, ComposeRun, ComposeVerb
from contracts.api.base import ExecuteRequest
from contracts.api.execute import stack as ex
from contracts.entities.common import PermissionLevel
from contracts.entities.stack import project_name
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import BadRequest, plain_reason
from services.executor.stacks.files import registry_auth
from services.executor.stacks.run import (
    DEPLOY_TIMEOUT_SECONDS,
    operation_for,
    prepared,
    target_of,
)

if TYPE_CHECKING:
    from services.executor.app import Executor

LIFECYCLE: list[tuple[type[ExecuteRequest], ComposeVerb]] = [
    (ex.StartStack, "start"),
    (ex.RestartStack, "restart"),
    (ex.PauseStack, "pause"),
    (ex.UnpauseStack, "unpause"),
    (ex.StopStack, "stop"),
    (ex.DestroyStack, "down"),
]
"""Each lifecycle execution and the compose command it runs."""


def register(executor: Executor) -> None:
    """Answer the stack lifecycle executions, PullStack and RunStackService."""
    for request_cls, verb in LIFECYCLE:
        _register(executor, request_cls, verb)

    async def pull(req: ex.PullStack, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
        request = ComposeExecution(
            project=files.project,
            command="pull",
            services=list(req.services),
            stack=files,
            registry_auth=await registry_auth(executor, stack),
        )

        async def work(update: Update) -> list[Log]:
            return [await executor.agents.ask(server, request, timeout=DEPLOY_TIMEOUT_SECONDS)]

        return await executor.runner.start(
            operation_for("PullStack", req.services),
            target_of(stack),
            ctx.caller.user_id,
            work,
            redact=values.redact,
            ctx=ctx,
        )

    async def run_service(req: ex.RunStackService, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
        try:
            request = ComposeRun(
                stack=files,
                service=req.service,
                command=list(req.command or []),
                no_tty=True if req.no_tty is None else req.no_tty,
                no_deps=bool(req.no_deps),
                detach=bool(req.detach),
                service_ports=bool(req.service_ports),
                env=dict(req.env or {}),
                workdir=req.workdir,
                user=req.user,
                entrypoint=req.entrypoint,
                pull=req.pull,
                registry_auth=await registry_auth(executor, stack),
            )
        except ValueError as err:
            raise BadRequest(f"RunStackService: {plain_reason(err)}") from None

        async def work(update: Update) -> list[Log]:
            return [await executor.agents.ask(server, request, timeout=DEPLOY_TIMEOUT_SECONDS)]

        return await executor.runner.start(
            Operation.RunStackService,
            target_of(stack),
            ctx.caller.user_id,
            work,
            lock=req.service,
            redact=values.redact,
            ctx=ctx,
        )

    executor.bus.handle(ex.PullStack, pull)
    executor.bus.handle(ex.RunStackService, run_service)


def _register(executor: Executor, request_cls: type[ExecuteRequest], verb: ComposeVerb) -> None:
    base = request_cls.__name__

    async def execute(req: Any, ctx: RequestContext) -> Update:
        stack, server = await executor.registry.stack_on_server(
            ctx.caller, req.stack, PermissionLevel.Execute
        )
        stop_time = getattr(req, "stop_time", None)
        try:
            request = ComposeExecution(
                project=stack.info.deployed_project_name
                or project_name(stack.name, stack.config.project_name),
                command=verb,
                services=list(req.services),
                stop_time=stop_time,
                remove_orphans=bool(getattr(req, "remove_orphans", False)),
            )
        except ValueError as err:
            raise BadRequest(f"{base}: {plain_reason(err)}") from None
        # Stops wait for the grace time before killing: give the agent that long and some.
        timeout = (stop_time or 10) + 120.0

        async def work(update: Update) -> list[Log]:
            return [await executor.agents.ask(server, request, timeout=timeout)]

        return await executor.runner.start(
            operation_for(base, list(req.services)), target_of(stack), ctx.caller.user_id, work, ctx=ctx
        )

    executor.bus.handle(request_cls, execute)
