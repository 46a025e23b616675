"""RunProcedure, BatchRunProcedure, CancelProcedure and GetProcedureActionState (the chain is in
`services/executor/procedures`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute.procedure import BatchRunProcedure, CancelProcedure, RunProcedure
from contracts.api.read.procedure import GetProcedure, GetProcedureActionState, ListProcedures
from contracts.entities.common import PermissionLevel, ResourceTarget, ResourceTargetVariant
from contracts.entities.procedure import Procedure, ProcedureActionState, ProcedureListItem, ProcedureQuery
from contracts.entities.update import Log, Operation, Update
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.registry_client import credentials
from services.common.runs import chosen_by_automation, now_ms
from services.executor.procedures.cycles import refuse_cycles

if TYPE_CHECKING:
    from services.executor.app import Executor


async def procedure_with(
    executor: Executor, ctx: RequestContext, ref: str, level: PermissionLevel
) -> Procedure:
    """The procedure, once the caller is known to have `level` on it."""
    found: Procedure = await executor.bus.request(GetProcedure(procedure=ref), credentials(ctx.headers))
    if level != PermissionLevel.Read:
        target = ResourceTarget(type=ResourceTargetVariant.Procedure, id=found.id)
        await executor.registry.require(ctx.headers, target, level, found.name)
    return found


def register(executor: Executor) -> None:
    """Answer the procedure executions and action state."""
    chain = executor.procedures

    async def run(req: RunProcedure, ctx: RequestContext) -> Update:
        procedure = await procedure_with(executor, ctx, req.procedure, PermissionLevel.Execute)
        await refuse_cycles(executor, procedure, ctx.headers)
        update_id, first_logs = chosen_by_automation(ctx)
        return await chain.start_run(procedure, ctx.caller.user_id, update_id, first_logs)

    async def cancel(req: CancelProcedure, ctx: RequestContext) -> Update:
        procedure = await procedure_with(executor, ctx, req.procedure, PermissionLevel.Execute)
        ids = await chain.cancel(procedure.id, req.update_id)
        target = ResourceTarget(type=ResourceTargetVariant.Procedure, id=procedure.id)
        update = await executor.registry.create_update(Operation.CancelProcedure, target, ctx.caller.user_id)
        at = now_ms()
        text = f"runs to stop before their next stage: {', '.join(ids)}" if ids else "no run of it is running"
        note = Log(stage="Cancel", stdout=text, success=True, start_ts=at, end_ts=at)
        return await executor.registry.finish(update.id, logs=[note])

    async def action_state(req: GetProcedureActionState, ctx: RequestContext) -> ProcedureActionState:
        procedure = await procedure_with(executor, ctx, req.procedure, PermissionLevel.Read)
        holder = await chain.store.running_run(procedure.id)
        run = await chain.store.get(holder) if holder else None
        return ProcedureActionState(running=run is not None and not run.get("closed"))

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        items: list[ProcedureListItem] = await executor.bus.request(
            ListProcedures(query=ProcedureQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(item.id, item.name) for item in items]

    executor.bus.handle(RunProcedure, run)
    executor.bus.handle(CancelProcedure, cancel)
    executor.bus.handle(GetProcedureActionState, action_state)
    register_batch(executor, BatchRunProcedure, RunProcedure, "procedure", listed)
