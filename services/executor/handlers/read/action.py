"""GetActionActionState: how many runs of an action are in progress (their leases, on any executor)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.action import GetAction, GetActionActionState
from contracts.entities.action import Action, ActionActionState
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.update import Operation
from services.common.bus import RequestContext
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer GetActionActionState (for callers who may Read the action)."""

    async def action_state(req: GetActionActionState, ctx: RequestContext) -> ActionActionState:
        action: Action = await executor.bus.request(GetAction(action=req.action), credentials(ctx.headers))
        live = await executor.runner.live(ResourceTarget(type=ResourceTargetVariant.Action, id=action.id))
        return ActionActionState(running=live.get(Operation.RunAction.value, 0))

    executor.bus.handle(GetActionActionState, action_state)
