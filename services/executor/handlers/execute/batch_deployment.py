"""BatchDeploy and BatchDestroyDeployment: the single execution on every deployment a pattern picks.

The deployments come from the registry as the caller sees them (ListDeployments, with the tag filter), so a
batch never reaches one the caller may not Read; each one still needs Execute, checked by the single execution.
An item that cannot start is reported in the answer; the others go on.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from contracts.api.base import ErrorEnvelope, ExecuteRequest
from contracts.api.execute.batch import BatchExecutionErr, BatchExecutionOk, BatchExecutionResponseItemErr
from contracts.api.execute.deployment import BatchDeploy, BatchDestroyDeployment, Deploy, DestroyDeployment
from contracts.api.read.deployment import ListDeployments
from contracts.entities.deployment import DeploymentListItem, DeploymentQuery
from services.common.bus import RequestContext
from services.common.errors import ServiceError, describe_validation_error
from services.common.patterns import select
from services.executor.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer the deployment batches (after the single executions are registered)."""
    for batch_cls, single_cls in ((BatchDeploy, Deploy), (BatchDestroyDeployment, DestroyDeployment)):
        _register(executor, batch_cls, single_cls)


def _register(executor: Executor, batch_cls: type[ExecuteRequest], single_cls: type[ExecuteRequest]) -> None:
    single = executor.bus.handler_of(single_cls)

    async def batch(req: Any, ctx: RequestContext) -> list[Any]:
        listed: list[DeploymentListItem] = await executor.bus.request(
            ListDeployments(query=DeploymentQuery(tags=list(req.tags)), limit=0), credentials(ctx.headers)
        )
        items: list[Any] = []
        for _, name in select(req.pattern, [(item.id, item.name) for item in listed]):
            try:
                items.append(BatchExecutionOk(data=await single(single_cls(deployment=name), ctx)))
            except (ServiceError, ValidationError) as err:
                if isinstance(err, ValidationError):
                    err = describe_validation_error(err, f"{single_cls.__name__} of {name}")
                envelope = ErrorEnvelope(error=err.message, trace=err.trace)
                items.append(BatchExecutionErr(data=BatchExecutionResponseItemErr(name=name, error=envelope)))
        return items

    executor.bus.handle(batch_cls, batch)
