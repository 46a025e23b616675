"""GetFleetStats: how this executor replica keeps up with the agents' heartbeats."""

from __future__ import annotations

from typing import TYPE_CHECKING

from contracts.api.internal.fleet import FleetStats, GetFleetStats
from services.common.bus import RequestContext

if TYPE_CHECKING:
    from services.executor.app import Executor


def register(executor: Executor) -> None:
    """Answer GetFleetStats from the heartbeat timings."""

    async def fleet(req: GetFleetStats, ctx: RequestContext) -> FleetStats:
        return executor.watch.fleet_stats(req.reset)

    executor.bus.handle(GetFleetStats, fleet)
