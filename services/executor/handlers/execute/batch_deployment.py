"""BatchDeploy and BatchDestroyDeployment: the single execution on every deployment a pattern picks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute.deployment import BatchDeploy, BatchDestroyDeployment, Deploy, DestroyDeployment
from contracts.api.read.deployment import ListDeployments
from contracts.entities.deployment import DeploymentListItem, DeploymentQuery
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer the deployment batches (after the single executions are registered)."""

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        items: list[DeploymentListItem] = await executor.bus.request(
            ListDeployments(query=DeploymentQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(item.id, item.name) for item in items]

    for batch_cls, single_cls in ((BatchDeploy, Deploy), (BatchDestroyDeployment, DestroyDeployment)):
        register_batch(executor, batch_cls, single_cls, "deployment", listed)
