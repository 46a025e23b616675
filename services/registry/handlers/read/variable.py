"""Variable reads: GetVariable, ListVariables; the values of secret variables are shown to admins only."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.variable import GetVariable, ListVariables
from contracts.entities.variable import Variable
from services.common.bus import RequestContext
from services.common.logging import REDACTED

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the variable reads."""

    def shown(variable: Variable, ctx: RequestContext) -> Variable:
        if ctx.caller.admin or not variable.is_secret or not variable.value:
            return variable
        return variable.model_copy(update={"value": REDACTED})

    async def get(req: GetVariable, ctx: RequestContext) -> Variable:
        return shown(await registry.variables.get(req.name), ctx)

    async def list_variables(req: ListVariables, ctx: RequestContext) -> list[Variable]:
        return [shown(variable, ctx) for variable in await registry.variables.list()]

    registry.bus.handle(GetVariable, get)
    registry.bus.handle(ListVariables, list_variables)
