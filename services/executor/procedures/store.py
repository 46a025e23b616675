"""The executor's record of procedure runs: one `ProcedureRun` document per run, one `ProcedureActive` claim per
running procedure, and one `ProcedureChild` entry per child Update (to find a run from a child's event).

The run document's `_id` is the id of the procedure's RunProcedure Update. It holds the stages as they were when
the run started (enabled ones only), the index of the current stage, each started child (`children`, keyed
`<stage>-<execution>`), the status (`Starting`, `Running`, `Ok`, `Failed`), whether the Update is closed, and
`rev`, the revision every stage move compares and sets, so that of two replicas only one advances a stage.
"""

from __future__ import annotations

import contextlib
from typing import Any, Final

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from services.common.mongo import Document

STARTING: Final = "Starting"
"""The run is recorded, its Update not yet created."""
RUNNING: Final = "Running"
"""Its stages are running."""
OK: Final = "Ok"
"""Every stage succeeded."""
FAILED: Final = "Failed"
"""A stage failed, the run was cancelled, or it could not start."""


def child_key(stage: int, index: int) -> str:
    """The key of execution `index` of stage `stage` in a run's `children`."""
    return f"{stage}-{index}"


class RunStore:
    """The collections of procedure runs."""

    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self.runs = db["ProcedureRun"]
        self.active = db["ProcedureActive"]
        self.children = db["ProcedureChild"]

    async def ensure_indexes(self) -> None:
        """Lookups of runs by status and by procedure."""
        await self.runs.create_index([("status", ASCENDING)])
        await self.runs.create_index([("procedure_id", ASCENDING), ("start_ts", ASCENDING)])

    async def get(self, run_id: str) -> Document | None:
        """One run."""
        return await self.runs.find_one({"_id": run_id})

    async def claim(self, procedure_id: str, run_id: str) -> str | None:
        """Mark the procedure running with this run; the run already holding it when it is running (then nothing
        is claimed). A claim whose run ended (its closer died between closing and releasing) is taken over."""
        try:
            await self.active.insert_one({"_id": procedure_id, "run_id": run_id})
            return None
        except DuplicateKeyError:
            pass
        held = await self.active.find_one({"_id": procedure_id})
        holder = str((held or {}).get("run_id", ""))
        run = await self.get(holder) if holder else None
        if run is not None and not run.get("closed"):
            return holder
        taken = await self.active.update_one(
            {"_id": procedure_id, "run_id": holder}, {"$set": {"run_id": run_id}}
        )
        return None if taken.matched_count else holder

    async def release(self, procedure_id: str, run_id: str) -> None:
        """Drop the procedure's running mark, if this run holds it."""
        await self.active.delete_one({"_id": procedure_id, "run_id": run_id})

    async def running_run(self, procedure_id: str) -> str | None:
        """The run that holds the procedure now, if any."""
        held = await self.active.find_one({"_id": procedure_id})
        return str(held["run_id"]) if held is not None else None

    async def link_child(self, update_id: str, run_id: str) -> None:
        """Remember which run a child Update belongs to."""
        with contextlib.suppress(DuplicateKeyError):
            await self.children.insert_one({"_id": update_id, "run_id": run_id})

    async def run_of_child(self, update_id: str) -> str | None:
        """The run a child Update belongs to, if it is one."""
        found = await self.children.find_one({"_id": update_id})
        return str(found["run_id"]) if found is not None else None

    async def set_child(self, run_id: str, key: str, child: dict[str, Any]) -> None:
        """Store what is known of one child (idempotent: a later write of the same child says the same or more)."""
        await self.runs.update_one({"_id": run_id}, {"$set": {f"children.{key}": child}})

    async def last_runs(self, procedure_ids: list[str]) -> dict[str, Document]:
        """The latest run of each procedure that has one."""
        found: dict[str, Document] = {}
        async for doc in self.runs.find({"procedure_id": {"$in": procedure_ids}}).sort("start_ts", ASCENDING):
            found[str(doc["procedure_id"])] = doc
        return found


def procedure_infos(last: dict[str, Document]) -> dict[str, dict[str, Any]]:
    """The live list info of procedures from their last runs: `state` (Running until the run is closed, then Ok
    or Failed) and `last_run_at`; a procedure that never ran keeps the stored Unknown."""
    infos: dict[str, dict[str, Any]] = {}
    for procedure_id, run in last.items():
        ended = run.get("closed") and run.get("status") in (OK, FAILED)
        infos[procedure_id] = {
            "state": run["status"] if ended else RUNNING,
            "last_run_at": run.get("start_ts"),
        }
    return infos
