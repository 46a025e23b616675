"""GlobalAutoUpdate: check every deployment and stack that polls for image updates, and redeploy those with
auto_update.

Admins only (a maintenance execution). It covers the deployments and stacks with `poll_for_updates` or
`auto_update` whose containers the last heartbeat shows running, asks their registries afresh, and redeploys (as
the System user) the `auto_update` ones with an update unless `skip_auto_update` (a stack: only its updated
services, unless `auto_update_all_services`; never its `auto_update_skip_services`), waiting for each redeploy
so the Update says how it went: a Log per resource, and a summary.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.execute.maintenance import GlobalAutoUpdate
from contracts.entities.common import ResourceTarget
from contracts.entities.update import Log, Operation, Update
from services.common.bus import RequestContext
from services.common.errors import Forbidden
from services.executor.updates.store import now_ms

if TYPE_CHECKING:
    from services.executor.app import Executor


async def auto_update_all(executor: Executor, skip_auto_update: bool) -> list[Log]:
    """The sweep's Logs, then a summary Log."""
    started = now_ms()
    logs = await executor.image_updates.sweep(skip_auto_update=skip_auto_update, wait=True, fresh=True)
    available = sum(1 for entry in logs if entry.stdout.startswith("update available"))
    failed = sum(1 for entry in logs if not entry.success)
    stacks = sum(1 for entry in logs if entry.stage.startswith("Check stack "))
    summary = (
        f"{len(logs) - stacks} deployments and {stacks} stacks checked, {available} with an update available"
        + (f", {failed} failed" if failed else "")
        + (" (auto updates skipped)" if skip_auto_update else "")
    )
    return [*logs, Log(stage="Global Auto Update", stdout=summary, start_ts=started, end_ts=now_ms())]


def register(executor: Executor) -> None:
    """Answer GlobalAutoUpdate."""

    async def global_auto_update(req: GlobalAutoUpdate, ctx: RequestContext) -> Update:
        if not ctx.caller.admin:
            raise Forbidden("GlobalAutoUpdate is for admins")

        async def work(update: Update) -> list[Log]:
            return await auto_update_all(executor, req.skip_auto_update)

        return await executor.runner.start(
            Operation.GlobalAutoUpdate, ResourceTarget.system(), ctx.caller.user_id, work, ctx=ctx
        )

    executor.bus.handle(GlobalAutoUpdate, global_auto_update)
