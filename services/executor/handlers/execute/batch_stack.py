"""BatchDeployStack, BatchDeployStackIfChanged, BatchPullStack and BatchDestroyStack: the single execution on
every stack a pattern picks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute import stack as ex
from contracts.api.read.stack import ListStacks
from contracts.entities.stack import StackListItem, StackQuery
from services.common.batches import register_batch
from services.common.bus import RequestContext
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor

BATCHES = (
    (ex.BatchDeployStack, ex.DeployStack),
    (ex.BatchDeployStackIfChanged, ex.DeployStackIfChanged),
    (ex.BatchPullStack, ex.PullStack),
    (ex.BatchDestroyStack, ex.DestroyStack),
)
"""Each batch and the single execution it runs."""


def register(executor: Executor) -> None:
    """Answer the stack batches (after the single executions are registered)."""

    async def listed(ctx: RequestContext, tags: list[str]) -> list[tuple[str, str]]:
        items: list[StackListItem] = await executor.bus.request(
            ListStacks(query=StackQuery(tags=tags), limit=0), credentials(ctx.headers)
        )
        return [(item.id, item.name) for item in items]

    for batch_cls, single_cls in BATCHES:
        register_batch(executor, batch_cls, single_cls, "stack", listed)
