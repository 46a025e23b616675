"""Build runs in the builder's database (`BuildRun`): what ListBuildVersions and GetBuildMonthlyStats answer.

One document per finished RunBuild: the build, the version, whether it succeeded, its start and end (ms).
"""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.build import BuildStatsDay, BuildVersionResponseItem, GetBuildMonthlyStatsResponse
from contracts.entities.common import Version
from contracts.events.base import Event
from services.common.mongo import Document
from services.common.outbox import with_pending

DAY_MS = 86_400_000
"""One day in milliseconds."""
PAGE_DAYS = 30
"""Days in one page of GetBuildMonthlyStats."""
HOUR_MS = 3_600_000.0
"""One hour in milliseconds (Komodo's stats count build time in hours)."""


class BuildHistory:
    """Records build runs and answers the version list and the monthly stats."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.coll = db["BuildRun"]

    async def ensure_indexes(self) -> None:
        """Lookups by build and time."""
        await self.coll.create_index([("build_id", DESCENDING), ("start_ts", DESCENDING)])
        await self.coll.create_index([("start_ts", DESCENDING)])

    async def record(
        self,
        build_id: str,
        version: Version,
        success: bool,
        start_ts: int,
        end_ts: int,
        *events: Event,
    ) -> None:
        """Remember one finished run; `events` (the run's `BuildFinished`, and `BuildFailed`) are stored in the
        same insert, in the run's outbox, so they are delivered exactly when the run is on record (the caller
        wakes the relay)."""
        doc: Document = {
            "build_id": build_id,
            "version": version.model_dump(mode="json"),
            "success": success,
            "start_ts": start_ts,
            "end_ts": end_ts,
        }
        await self.coll.insert_one(with_pending(doc, *events) if events else doc)

    async def versions(
        self, build_id: str, major: int | None, minor: int | None, patch: int | None, limit: int | None
    ) -> list[BuildVersionResponseItem]:
        """The versions of the build's successful runs, newest first, filtered by the numbers given."""
        query: Document = {"build_id": build_id, "success": True}
        for part, value in (("major", major), ("minor", minor), ("patch", patch)):
            if value is not None:
                query[f"version.{part}"] = value
        cursor = self.coll.find(query).sort("start_ts", DESCENDING)
        if limit:
            cursor = cursor.limit(limit)
        return [
            BuildVersionResponseItem(version=doc["version"], ts=int(doc["end_ts"])) async for doc in cursor
        ]

    async def monthly(self, page: int, now_ms: int) -> GetBuildMonthlyStatsResponse:
        """Build counts and hours per UTC day over 30 days (`page` 0: the 30 days up to today)."""
        today = now_ms - now_ms % DAY_MS
        first = today - (PAGE_DAYS * (page + 1) - 1) * DAY_MS
        end = first + PAGE_DAYS * DAY_MS
        days = {first + i * DAY_MS: BuildStatsDay(ts=float(first + i * DAY_MS)) for i in range(PAGE_DAYS)}
        counts = dict.fromkeys(days, 0.0)
        hours = dict.fromkeys(days, 0.0)
        async for doc in self.coll.find({"start_ts": {"$gte": first, "$lt": end}}):
            day = int(doc["start_ts"]) - int(doc["start_ts"]) % DAY_MS
            counts[day] += 1
            hours[day] += max(0, int(doc["end_ts"]) - int(doc["start_ts"])) / HOUR_MS
        listed = [BuildStatsDay(time=hours[d], count=counts[d], ts=float(d)) for d in sorted(days)]
        return GetBuildMonthlyStatsResponse(
            total_time=sum(hours.values()), total_count=sum(counts.values()), days=listed
        )
