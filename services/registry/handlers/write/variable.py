"""Variable writes: create, change value, description or secrecy, delete."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.write.variable import (
    CreateVariable,
    DeleteVariable,
    UpdateVariableDescription,
    UpdateVariableIsSecret,
    UpdateVariableValue,
)
from contracts.entities.variable import Variable
from services.common.bus import RequestContext
from services.registry.permissions import require_admin

if TYPE_CHECKING:
    from services.registry.app import Registry


def register(registry: Registry) -> None:
    """Answer the variable writes."""
    variables = registry.variables

    async def create(req: CreateVariable, ctx: RequestContext) -> Variable:
        require_admin(ctx.caller, "change variables")
        variable = Variable(
            name=req.name,
            value=req.value or "",
            description=req.description or "",
            is_secret=bool(req.is_secret),
        )
        return await variables.create(variable, ctx.caller.user_id)

    async def set_value(req: UpdateVariableValue, ctx: RequestContext) -> Variable:
        require_admin(ctx.caller, "change variables")
        return await variables.set_value(req.name, req.value, ctx.caller.user_id)

    async def set_description(req: UpdateVariableDescription, ctx: RequestContext) -> Variable:
        require_admin(ctx.caller, "change variables")
        return await variables.set_description(req.name, req.description)

    async def set_is_secret(req: UpdateVariableIsSecret, ctx: RequestContext) -> Variable:
        require_admin(ctx.caller, "change variables")
        return await variables.set_is_secret(req.name, req.is_secret)

    async def delete(req: DeleteVariable, ctx: RequestContext) -> Variable:
        require_admin(ctx.caller, "change variables")
        return await variables.delete(req.name, ctx.caller.user_id)

    registry.bus.handle(CreateVariable, create)
    registry.bus.handle(UpdateVariableValue, set_value)
    registry.bus.handle(UpdateVariableDescription, set_description)
    registry.bus.handle(UpdateVariableIsSecret, set_is_secret)
    registry.bus.handle(DeleteVariable, delete)
