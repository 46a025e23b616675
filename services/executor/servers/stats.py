"""Stats history: one SystemStatsRecord per server at most every few seconds, paged by granularity, pruned by age."""

from __future__ import annotations

import time

from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.agent import AgentStatus
from contracts.entities.system import GetHistoricalServerStatsResponse, MinimalSystemStats, SystemStatsRecord
from services.common.errors import BadRequest
from services.common.mongo import Document

STATS_PER_PAGE = 200
"""Points in one page of history."""
MIN_RECORD_SECONDS = 5.0
"""Shortest time between two stored records of one server (Komodo's stats polling rate)."""
DAY_MS = 24 * 60 * 60 * 1000


class StatsStore:
    """Stats history in the executor's database."""

    def __init__(self, db: AsyncDatabase[Document], keep_days: int) -> None:
        self.coll = db["Stats"]
        self.keep_days = keep_days
        self._last: dict[str, float] = {}

    async def ensure_indexes(self) -> None:
        """Lookups by server and time, and pruning by time."""
        await self.coll.create_index([("sid", ASCENDING), ("ts", DESCENDING)])
        await self.coll.create_index([("ts", ASCENDING)])

    async def record(self, status: AgentStatus) -> bool:
        """Store a heartbeat's stats, unless one of this server was stored less than 5 s ago."""
        stats = status.status.system_stats
        if stats is None:
            return False
        now = time.monotonic()
        if now - self._last.get(status.server_id, float("-inf")) < MIN_RECORD_SECONDS:
            return False
        self._last[status.server_id] = now
        minimal = MinimalSystemStats.from_stats(stats)
        record = SystemStatsRecord(
            ts=status.ts,
            sid=status.server_id,
            disks=stats.disks,
            **minimal.model_dump(include=set(SystemStatsRecord.model_fields) - {"ts", "sid", "disks"}),
        )
        await self.coll.insert_one(record.model_dump(mode="json"))
        return True

    async def history(
        self, server_id: str, granularity_ms: int, page: int
    ) -> GetHistoricalServerStatsResponse:
        """One page of points, newest first, at most one per `granularity` (the newest record of each step)."""
        if page < 0:
            raise BadRequest("page must not be negative")
        if granularity_ms <= 0:
            raise BadRequest("granularity must be positive")
        window = STATS_PER_PAGE * granularity_ms
        newest = int(time.time() * 1000) - page * window
        oldest = newest - window
        cursor = self.coll.find({"sid": server_id, "ts": {"$gt": oldest, "$lte": newest}}, {"_id": 0}).sort(
            "ts", DESCENDING
        )
        points: list[SystemStatsRecord] = []
        steps: set[int] = set()
        async for doc in cursor:
            step = int(doc["ts"]) // granularity_ms
            if step not in steps:
                steps.add(step)
                points.append(SystemStatsRecord.model_validate(doc))
        older = await self.coll.find_one({"sid": server_id, "ts": {"$lte": oldest}}, {"_id": 1})
        return GetHistoricalServerStatsResponse(stats=points, next_page=page + 1 if older else None)

    async def prune(self) -> int:
        """Delete records older than `keep_days`; answers how many went."""
        cutoff = int(time.time() * 1000) - self.keep_days * DAY_MS
        result = await self.coll.delete_many({"ts": {"$lt": cutoff}})
        return result.deleted_count
