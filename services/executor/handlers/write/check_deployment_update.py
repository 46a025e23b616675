"""CheckDeploymentForUpdate and BatchCheckDeploymentForUpdate: is a newer image under the deployment's tag?

As in Komodo the caller needs Execute on the deployment, since a check may redeploy it: with `auto_update` set
and `skip_auto_update` not, an update found is deployed at once, as the caller, through the Deploy execution
(waited for with `wait_for_auto_update`, else followed in the background). A manual check always asks the
registry afresh; the digests it reads are cached for the timed polls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.deployment import ListDeployments
from contracts.api.write.deployment import BatchCheckDeploymentForUpdate, CheckDeploymentForUpdate
from contracts.entities.common import PermissionLevel
from contracts.entities.deployment import (
    CheckDeploymentForUpdateResponse,
    DeploymentListItem,
    DeploymentQuery,
)
from services.common.bus import RequestContext
from services.common.registry_client import credentials
from services.executor.updates.batch import check_picked
from services.executor.updates.store import now_ms

if TYPE_CHECKING:
    from services.executor.app import Executor

BATCH_CONCURRENCY = 8
"""How many deployments a batch checks at once."""


async def check_one(
    executor: Executor, req: CheckDeploymentForUpdate, ctx: RequestContext, fresh_since_ms: int | None = None
) -> CheckDeploymentForUpdateResponse:
    """Check one deployment as the caller; registry digests older than `fresh_since_ms` (now, when None) are not
    reused."""
    deployment, server = await executor.registry.deployment_on_server(
        ctx.caller, req.deployment, PermissionLevel.Execute
    )
    since = now_ms() if fresh_since_ms is None else fresh_since_ms
    outcome = await executor.image_updates.check(
        deployment,
        server,
        credentials(ctx.headers),
        skip_auto_update=req.skip_auto_update,
        wait_for_auto_update=req.wait_for_auto_update,
        max_age_seconds=max(now_ms() - since, 0) / 1000,
    )
    return CheckDeploymentForUpdateResponse(
        deployment=deployment.id, update_available=outcome.update_available
    )


async def check_batch(
    executor: Executor, req: BatchCheckDeploymentForUpdate, ctx: RequestContext
) -> list[CheckDeploymentForUpdateResponse]:
    """Check every deployment the pattern picks among those the caller may Read (with the tags).

    The answer has no place for errors (Komodo's type is a plain list), so a deployment whose check fails is
    left out of it and logged. Digests read during the batch are shared by its deployments.
    """
    listed: list[DeploymentListItem] = await executor.bus.request(
        ListDeployments(query=DeploymentQuery(tags=list(req.tags)), limit=0), credentials(ctx.headers)
    )
    started = now_ms()

    async def one(deployment_id: str) -> CheckDeploymentForUpdateResponse:
        single = CheckDeploymentForUpdate(
            deployment=deployment_id,
            skip_auto_update=req.skip_auto_update,
            wait_for_auto_update=req.wait_for_auto_update,
        )
        return await check_one(executor, single, ctx, fresh_since_ms=started)

    return await check_picked(
        "deployment", req.pattern, [(item.id, item.name) for item in listed], one, BATCH_CONCURRENCY
    )


def register(executor: Executor) -> None:
    """Answer CheckDeploymentForUpdate and BatchCheckDeploymentForUpdate."""

    async def single(req: CheckDeploymentForUpdate, ctx: RequestContext) -> CheckDeploymentForUpdateResponse:
        return await check_one(executor, req, ctx)

    async def batch(
        req: BatchCheckDeploymentForUpdate, ctx: RequestContext
    ) -> list[CheckDeploymentForUpdateResponse]:
        return await check_batch(executor, req, ctx)

    executor.bus.handle(CheckDeploymentForUpdate, single)
    executor.bus.handle(BatchCheckDeploymentForUpdate, batch)
