"""DeployStack and DeployStackIfChanged: compose up on the stack's server, through its agent.

The stack's files, environment, pre/post deploy commands and extra arguments are interpolated first (a name
that exists nowhere is a 400 before anything runs); every secret is redacted from the Update, and from the
deployed files and merged config the registry keeps. After a successful deploy the registry records what was
deployed (files, services, merged config, commit), which DeployStackIfChanged compares with the latest files
to run only what a change requires. `StackDeployed` follows every deploy, stored with the Update's completion (`Runner.carry`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.agent.compose import ComposeExecution
from contracts.api.execute.stack import DeployStack, DeployStackIfChanged
from contracts.entities.stack import Stack
from contracts.entities.update import Log, Operation, Update
from contracts.events.execution import StackDeployed
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.common.runs import now_ms
from services.executor.stacks import changes
from services.executor.stacks.run import (
    DEPLOY_TIMEOUT_SECONDS,
    compose_up,
    latest_contents,
    operation_for,
    prepared,
    target_of,
)

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer DeployStack and DeployStackIfChanged."""

    def finish_event(update: Update, stack: Stack, logs: list[Log], services: list[str]) -> None:
        success = bool(logs) and all(log.success for log in logs)
        executor.runner.carry(
            update,
            StackDeployed(update_id=update.id, success=success, resource=target_of(stack), services=services),
        )

    async def deploy(req: DeployStack, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
        started = now_ms()

        async def work(update: Update) -> list[Log]:
            logs: list[Log] = []
            try:
                logs, _ = await compose_up(
                    executor, stack, server, values, files, req.services, req.stop_time
                )
                return [*values.logs(started), *logs]
            finally:
                finish_event(update, stack, logs, req.services)

        operation = operation_for("DeployStack", req.services)
        executor.resource_states.follow(stack)
        return await executor.runner.start(
            operation, target_of(stack), ctx.caller.user_id, work, redact=values.redact, ctx=ctx
        )

    async def deploy_if_changed(req: DeployStackIfChanged, ctx: RequestContext) -> Update:
        stack, server, values, files = await prepared(executor, ctx, req.stack)
        started = now_ms()

        async def work(update: Update) -> list[Log]:
            latest = await latest_contents(executor, server, values, files)
            if latest.config_error:
                raise BadRequest(f"the stack's compose files are not valid: {latest.config_error}")
            decided = changes.plan(
                stack.info.deployed_contents,
                latest.contents,
                latest.missing_files,
                list(stack.config.config_files),
            )
            logs = [
                Log(
                    stage="Diff",
                    command="diff deployed latest",
                    stdout=decided.diff or decided.reason,
                    stderr="",
                    success=True,
                    start_ts=started,
                    end_ts=now_ms(),
                ),
            ]
            if decided.nothing:
                logs.append(
                    Log(
                        stage="No Changes",
                        stdout=f"{decided.reason}: nothing to deploy",
                        success=True,
                        start_ts=now_ms(),
                        end_ts=now_ms(),
                    )
                )
                return logs
            logs = [*values.logs(started), *logs]
            deployed: list[Log] = []
            try:
                if decided.full_deploy or decided.redeploy:
                    services = [] if decided.full_deploy else sorted(decided.redeploy)
                    deployed, ok = await compose_up(
                        executor, stack, server, values, files, services, req.stop_time
                    )
                    logs += deployed
                    if not ok:
                        return logs
                if not decided.full_deploy and (decided.restart or decided.restart_all):
                    restart = ComposeExecution(
                        project=files.project,
                        command="restart",
                        services=[] if decided.restart_all else sorted(decided.restart - decided.redeploy),
                        stop_time=req.stop_time,
                    )
                    logs.append(await executor.agents.ask(server, restart, timeout=DEPLOY_TIMEOUT_SECONDS))
                    contents = [c.model_dump(mode="json") for c in latest.contents]
                    await executor.registry.set_info(target_of(stack), {"deployed_contents": contents})
                return logs
            finally:
                if deployed:
                    finish_event(update, stack, deployed, [])

        executor.resource_states.follow(stack)
        return await executor.runner.start(
            Operation.DeployStack, target_of(stack), ctx.caller.user_id, work, redact=values.redact, ctx=ctx
        )

    executor.bus.handle(DeployStack, deploy)
    executor.bus.handle(DeployStackIfChanged, deploy_if_changed)
