"""Stats history: one SystemStatsRecord per server at most every 5 s, written in batches every second, paged by
granularity, pruned by age. A record's `_id` is its server and time, so replicas that take the same heartbeat's
stats store it once."""

from __future__ import annotations

import time
from typing import Any

from pydantic import ValidationError
from pymongo import ASCENDING, DESCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

from contracts.entities.system import (
    GetHistoricalServerStatsResponse,
    SystemStatsRecord,
)
from services.common.errors import BadRequest
from services.common.mongo import Document, only_duplicates

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
        self._queued: list[Document] = []

    async def ensure_indexes(self) -> None:
        """Lookups by server and time, and pruning by time."""
        await self.coll.create_index([("sid", ASCENDING), ("ts", DESCENDING)])
        await self.coll.create_index([("ts", ASCENDING)])

    def due(self, server_id: str) -> bool:
        """Whether a record of this server would be taken now (checked before a heartbeat is even parsed)."""
        return time.monotonic() - self._last.get(server_id, float("-inf")) >= MIN_RECORD_SECONDS

    def take(self, server_id: str, ts: int, stats: dict[str, Any] | None) -> bool:
        """Queue a heartbeat's system stats (as JSON gave them) for the next `flush`, unless one of this server
        was taken less than 5 s ago; only a taken one is validated. False when not taken (or malformed)."""
        if stats is None:
            return False
        now = time.monotonic()
        if now - self._last.get(server_id, float("-inf")) < MIN_RECORD_SECONDS:
            return False
        try:
            # One validation straight into the record (its fields are the stats' own, named alike).
            record = SystemStatsRecord.model_validate({**stats, "ts": ts, "sid": server_id})
        except ValidationError:
            return False
        self._last[server_id] = now
        doc = {"_id": f"{server_id}:{ts}", **record.model_dump(mode="json")}
        doc["disk_total_gb"] = sum((disk.total_gb for disk in record.disks), 0.0)
        doc["disk_used_gb"] = sum((disk.used_gb for disk in record.disks), 0.0)
        self._queued.append(doc)
        return True

    async def flush(self) -> int:
        """Store the queued records in one write (thousands of servers would otherwise each cost a round
        trip every interval); answers how many were stored."""
        queued, self._queued = self._queued, []
        if queued:
            try:
                await self.coll.insert_many(queued, ordered=False)
            except BulkWriteError as err:
                if not only_duplicates(err):  # another replica stored the same heartbeat's record
                    raise
        return len(queued)

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
