"""RunAction, BatchRunAction and CancelAction: an action's script run by this executor (see docs/actions.md)."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING

from contracts.api.execute.action import BatchRunAction, CancelAction, RunAction
from contracts.api.read.action import GetAction, ListActions
from contracts.entities.action import Action, ActionListItem, ActionQuery
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Log, Operation, Update
from services.common import interpolation
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.registry_client import credentials
from services.common.runs import now_ms
from services.executor.actions.arguments import deep_merge, parse_arguments
from services.executor.actions.runs import RunRedaction

if TYPE_CHECKING:
    from services.executor.app import Executor


def target_of(action: Action) -> ResourceTarget:
    """The action as an Update's target."""
    return ResourceTarget(type=ResourceTargetVariant.Action, id=action.id)


async def action_with(executor: Executor, ctx: RequestContext, action: str) -> Action:
    """The action, once the caller is known to have Execute on it."""
    found: Action = await executor.bus.request(GetAction(action=action), credentials(ctx.headers))
    await executor.registry.require(ctx.headers, target_of(found), PermissionLevel.Execute, found.name)
    return found


def register(executor: Executor) -> None:
    """Answer RunAction, CancelAction and BatchRunAction."""

    async def run_action(req: RunAction, ctx: RequestContext) -> Update:
        action = await action_with(executor, ctx, req.action)
        config = action.config
        args = deep_merge(parse_arguments(config.arguments, config.arguments_format), req.args or {})
        values = await interpolation.load(
            executor.bus, executor.registry.system_headers(), executor.settings, skip_secrets=False
        )
        values.check([config.file_contents])
        script = values.apply(config.file_contents)
        redact = RunRedaction(values)

        async def work(update: Update) -> list[Log]:
            await executor.schedules.store.record_action_run(action.id, update.id, now_ms())
            return await executor.action_runs.run(action, update, script, args, redact)

        # Several runs of one action may go on at once: each holds a lease of its own.
        return await executor.runner.start(
            Operation.RunAction,
            target_of(action),
            ctx.caller.user_id,
            work,
            lock=uuid.uuid4().hex,
            redact=redact,
            ctx=ctx,
        )

    async def cancel(req: CancelAction, ctx: RequestContext) -> Update:
        action = await action_with(executor, ctx, req.action)

        async def work(update: Update) -> list[Log]:
            started = now_ms()
            killed = await executor.action_runs.cancel(action.id, req.update_id)
            text = f"killed {killed} running script(s)" if killed else "no run of it was running"
            return [Log(stage="Cancel Action", stdout=text, start_ts=started, end_ts=now_ms())]

        return await executor.runner.start(
            Operation.CancelAction, target_of(action), ctx.caller.user_id, work, lock=uuid.uuid4().hex
        )

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        items: list[ActionListItem] = await executor.bus.request(
            ListActions(query=ActionQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(item.id, item.name) for item in items]

    executor.bus.handle(RunAction, run_action)
    executor.bus.handle(CancelAction, cancel)
    register_batch(executor, BatchRunAction, RunAction, "action", listed)
