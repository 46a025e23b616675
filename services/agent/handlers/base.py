"""What the handler modules share: the handler table type and `bind`."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from contracts.api.base import AgentRequest
from services.agent.context import AgentContext
from services.common.bus import Handler, RequestContext

R = TypeVar("R", bound=AgentRequest)

HandlerTable = dict[type[AgentRequest], Handler]
"""Requests and their handlers (the form `services.common.bus.dispatch` runs)."""


def bind(ctx: AgentContext, answer: Callable[[AgentContext, R], Awaitable[Any]]) -> Handler:
    """A bus handler that answers a request with `answer(ctx, request)`."""

    async def handler(request: R, _context: RequestContext) -> Any:
        return await answer(ctx, request)

    return handler
