"""The executor's schedule table (`Schedule`, one document per procedure or action) and its claims of fire
times (`ScheduleFire`, one document per target and fire time: its unique `_id` is what makes a fire run once).
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.action import Action
from contracts.entities.common import ResourceTargetVariant, ScheduleFormat
from contracts.entities.procedure import Procedure
from contracts.entities.schedule import ScheduledConfig
from services.common.mongo import Document
from services.common.schedules import ScheduleError, next_run

CLAIMED: Final = "Claimed"
"""A fire time taken by a replica, its run not started yet (or not known to be)."""
STARTED: Final = "Started"
"""The run was started (its Update exists)."""
FAILED: Final = "Failed"
"""The run was refused (the procedure was running, the action is gone, ...) or could not be started in time."""


def schedule_key(variant: ResourceTargetVariant, resource_id: str) -> str:
    """`_id` of a target's schedule document: `<Type>:<id>`."""
    return f"{variant.value}:{resource_id}"


def fire_key(schedule_id: str, fire_ms: int) -> str:
    """`_id` of the claim of one fire time of a schedule."""
    return f"{schedule_id}:{fire_ms}"


def fire_update_id(schedule_id: str, fire_ms: int) -> str:
    """The Update id of the run of one fire time: an ObjectId in hex, the same on every replica and retry."""
    return hashlib.sha256(f"schedule:{schedule_id}:{fire_ms}".encode()).hexdigest()[:24]


def config_of(schedule: Document) -> ScheduledConfig:
    """The timing fields of a stored schedule, as the config they came from."""
    return ScheduledConfig(
        schedule_format=ScheduleFormat(schedule.get("schedule_format") or ScheduleFormat.English.value),
        schedule=str(schedule.get("schedule") or ""),
        schedule_enabled=bool(schedule.get("enabled")),
        schedule_timezone=str(schedule.get("timezone") or ""),
        schedule_alert=bool(schedule.get("alert")),
    )


def timing_key(config: ScheduledConfig) -> str:
    """What a target's next fire time depends on (a change of it computes the next fire time again)."""
    return "|".join(
        [
            config.schedule_format.value,
            config.schedule,
            str(config.schedule_enabled),
            config.schedule_timezone,
        ]
    )


def timing(config: ScheduledConfig, default_zone: str, after_ms: int) -> tuple[int | None, str | None]:
    """(next fire time, None), or (None, why it cannot run); (None, None) without an enabled schedule."""
    if not config.schedule_enabled or not config.schedule.strip():
        return None, None
    try:
        return next_run(
            config.schedule_format, config.schedule, config.schedule_timezone, default_zone, after_ms
        ), None
    except ScheduleError as err:
        return None, str(err)


class ScheduleStore:
    """The collections of schedules."""

    def __init__(self, db: AsyncDatabase[Document], default_zone: str) -> None:
        self.schedules = db["Schedule"]
        self.fires = db["ScheduleFire"]
        self.action_runs = db["ActionLastRun"]
        self.default_zone = default_zone

    async def ensure_indexes(self) -> None:
        """Due schedules by next fire time; claims by state."""
        await self.schedules.create_index([("next_run", ASCENDING)])
        await self.fires.create_index([("status", ASCENDING), ("claimed_at", ASCENDING)])

    async def sync(self, resource: Procedure | Action, now: int) -> None:
        """Store what the target's schedule is now; its next fire time is computed again (from `now`) only when
        its timing changed, so a rename or another config change does not move a fire time."""
        variant = (
            ResourceTargetVariant.Procedure
            if isinstance(resource, Procedure)
            else ResourceTargetVariant.Action
        )
        key = schedule_key(variant, resource.id)
        config = resource.config
        fields: dict[str, Any] = {
            "type": variant.value,
            "target_id": resource.id,
            "name": resource.name,
            "tags": list(resource.tags),
            "schedule_format": config.schedule_format.value,
            "schedule": config.schedule,
            "enabled": config.schedule_enabled,
            "timezone": config.schedule_timezone,
            "alert": config.schedule_alert,
            "synced_at": now,
        }
        stored = await self.schedules.find_one({"_id": key}, {"timing": 1})
        wanted = timing_key(config)
        if stored is None or stored.get("timing") != wanted:
            nxt, error = timing(config, self.default_zone, now)
            fields |= {"timing": wanted, "next_run": nxt, "error": error}
        await self.schedules.update_one({"_id": key}, {"$set": fields}, upsert=True)

    async def remove(self, variant: ResourceTargetVariant, resource_id: str) -> None:
        """Forget a deleted target's schedule."""
        await self.schedules.delete_one({"_id": schedule_key(variant, resource_id)})

    async def remove_unsynced(self, variant: ResourceTargetVariant, before: int) -> int:
        """Forget the schedules of `variant` that a full reload started at `before` did not see (deleted targets)."""
        result = await self.schedules.delete_many({"type": variant.value, "synced_at": {"$lt": before}})
        return result.deleted_count

    async def due(self, now: int) -> list[Document]:
        """Schedules whose next fire time has come."""
        return await self.schedules.find({"next_run": {"$lte": now}}).to_list(None)

    async def advance(self, schedule: Document, fired: int, after: int) -> bool:
        """Move a schedule from the fire time `fired` to its next one after `after`, unless another replica (or a
        config change) moved it already (compare-and-set on `next_run`)."""
        nxt, error = timing(config_of(schedule), self.default_zone, after)
        result = await self.schedules.update_one(
            {"_id": schedule["_id"], "next_run": fired}, {"$set": {"next_run": nxt, "error": error}}
        )
        return result.modified_count == 1

    async def by_target(self, variant: ResourceTargetVariant, ids: list[str]) -> dict[str, Document]:
        """The schedule documents of some targets, by target id."""
        keys = [schedule_key(variant, i) for i in ids]
        return {str(d["target_id"]): d async for d in self.schedules.find({"_id": {"$in": keys}})}

    async def list_infos(
        self, variant: ResourceTargetVariant, ids: list[str], infos: dict[str, dict[str, Any]]
    ) -> dict[str, dict[str, Any]]:
        """`infos` (list-info fields by id) with each target's `next_scheduled_run` and `schedule_error`."""
        merged = {i: dict(fields) for i, fields in infos.items()}
        for target_id, doc in (await self.by_target(variant, ids)).items():
            merged.setdefault(target_id, {}).update(
                next_scheduled_run=doc.get("next_run"), schedule_error=doc.get("error")
            )
        return merged

    async def action_last_runs(self, ids: list[str]) -> dict[str, int]:
        """When each of these actions last ran (unix ms), for those that ran (`ActionLastRun`, kept by the action
        runs)."""
        return {str(d["_id"]): int(d["start_ts"]) async for d in self.action_runs.find({"_id": {"$in": ids}})}
