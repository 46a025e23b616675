"""CheckStackForUpdate and BatchCheckStackForUpdate: do the stack's services have newer images under their tags?

As in Komodo the caller needs Execute on the stack, since a check may redeploy it: with `auto_update` set and
`skip_auto_update` not, the services with updates (all of them with `auto_update_all_services`) are deployed at
once, as the caller, through DeployStack (waited for with `wait_for_auto_update`, else followed in the
background). The stack's cache is refreshed first unless `skip_cache_refresh`. A manual check asks the
registries afresh and covers every service (`auto_update_skip_services` only applies to the global flow).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.read.stack import ListStacks
from contracts.api.write.stack import BatchCheckStackForUpdate, CheckStackForUpdate, RefreshStackCache
from contracts.entities.common import PermissionLevel
from contracts.entities.stack import CheckStackForUpdateResponse, StackListItem, StackQuery
from services.common.bus import RequestContext
from services.common.registry_client import credentials
from services.executor.updates.batch import check_picked
from services.executor.updates.stack_check import answer_services
from services.executor.updates.store import now_ms

if TYPE_CHECKING:
    from services.executor.app import Executor

BATCH_CONCURRENCY = 4
"""How many stacks a batch checks at once (each checks a few services at once)."""


async def check_one(
    executor: Executor, req: CheckStackForUpdate, ctx: RequestContext, fresh_since_ms: int | None = None
) -> CheckStackForUpdateResponse:
    """Check one stack as the caller; registry digests older than `fresh_since_ms` (now, when None) are not
    reused."""
    stack, server = await executor.registry.stack_on_server(ctx.caller, req.stack, PermissionLevel.Execute)
    if not req.skip_cache_refresh:
        await executor.bus.request(RefreshStackCache(stack=stack.id), credentials(ctx.headers))
        stack = await executor.registry.stack_with(ctx.caller, stack.id, PermissionLevel.Read)
    since = now_ms() if fresh_since_ms is None else fresh_since_ms
    outcome = await executor.image_updates.check_stack(
        stack,
        server,
        credentials(ctx.headers),
        skip_auto_update=req.skip_auto_update,
        wait_for_auto_update=req.wait_for_auto_update,
        max_age_seconds=max(now_ms() - since, 0) / 1000,
    )
    services = answer_services(outcome.stack) if outcome.stack is not None else []
    return CheckStackForUpdateResponse(stack=stack.id, services=services)


async def check_batch(
    executor: Executor, req: BatchCheckStackForUpdate, ctx: RequestContext
) -> list[CheckStackForUpdateResponse]:
    """Check every stack the pattern picks among those the caller may Read (with the tags).

    Komodo's answer is a plain list with no place for errors, so a stack whose check fails is left out of it
    and logged. Digests read during the batch are shared by its stacks.
    """
    listed: list[StackListItem] = await executor.bus.request(
        ListStacks(query=StackQuery(tags=list(req.tags)), limit=0), credentials(ctx.headers)
    )
    started = now_ms()

    async def one(stack_id: str) -> CheckStackForUpdateResponse:
        single = CheckStackForUpdate(
            stack=stack_id,
            skip_auto_update=req.skip_auto_update,
            wait_for_auto_update=req.wait_for_auto_update,
        )
        return await check_one(executor, single, ctx, fresh_since_ms=started)

    return await check_picked(
        "stack", req.pattern, [(item.id, item.name) for item in listed], one, BATCH_CONCURRENCY
    )


def register(executor: Executor) -> None:
    """Answer CheckStackForUpdate and BatchCheckStackForUpdate."""

    async def single(req: CheckStackForUpdate, ctx: RequestContext) -> CheckStackForUpdateResponse:
        return await check_one(executor, req, ctx)

    async def batch(req: BatchCheckStackForUpdate, ctx: RequestContext) -> list[CheckStackForUpdateResponse]:
        return await check_batch(executor, req, ctx)

    executor.bus.handle(CheckStackForUpdate, single)
    executor.bus.handle(BatchCheckStackForUpdate, batch)
