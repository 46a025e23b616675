"""Batch executions: the single execution on every resource a Komodo pattern picks.

The resources come from the registry as the caller sees them (List*, with the tag filter), so a batch never
reaches one the caller may not Read; each one still needs Execute, checked by the single execution. An item
that cannot start is reported in the answer; the others go on.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from pydantic import ValidationError

from contracts.api.base import ErrorEnvelope, ExecuteRequest
from contracts.api.execute.batch import BatchExecutionErr, BatchExecutionOk, BatchExecutionResponseItemErr
from services.common.bus import Bus, RequestContext
from services.common.errors import ServiceError, describe_validation_error
from services.common.patterns import select


class HasBus(Protocol):
    """An execution service: what a batch needs of it is its bus."""

    bus: Bus


Lister = Callable[[RequestContext, list[str]], Awaitable[list[tuple[str, str]]]]
"""The (id, name) of every resource of the kind the caller may Read, with all of these tags."""


def register_batch(
    executor: HasBus,
    batch_cls: type[ExecuteRequest],
    single_cls: type[ExecuteRequest],
    field: str,
    listed: Lister,
) -> None:
    """Answer `batch_cls` by running `single_cls(<field>=name)` for each resource its pattern selects."""
    single = executor.bus.handler_of(single_cls)

    async def batch(req: Any, ctx: RequestContext) -> list[Any]:
        items: list[Any] = []
        for _, name in select(req.pattern, await listed(ctx, list(req.tags))):
            try:
                items.append(BatchExecutionOk(data=await single(single_cls(**{field: name}), ctx)))
            except (ServiceError, ValidationError) as err:
                if isinstance(err, ValidationError):
                    err = describe_validation_error(err, f"{single_cls.__name__} of {name}")
                envelope = ErrorEnvelope(error=err.message, trace=err.trace)
                items.append(BatchExecutionErr(data=BatchExecutionResponseItemErr(name=name, error=envelope)))
        return items

    executor.bus.handle(batch_cls, batch)
