"""Variable reads: GetVariable, ListVariables."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.variable import GetVariable, ListVariables
from contracts.entities.variable import Variable
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the variable reads."""

    async def get(req: GetVariable, ctx: RequestContext) -> Variable:
        return await registry.variables.get(req.name)

    async def list_variables(req: ListVariables, ctx: RequestContext) -> list[Variable]:
        return await registry.variables.list()

    registry.bus.handle(GetVariable, get)
    registry.bus.handle(ListVariables, list_variables)
