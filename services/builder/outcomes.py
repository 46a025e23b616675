"""The last outcome of each repo's and build's executions, in the builder's database (`Outcome`), and the state
lists show: a running action first (from the live leases), else the last outcome, else Unknown."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from services.common.mongo import Document
from services.common.runs import Runner, now_ms, target_key

RUNNING_STATES = {
    "CloneRepo": "Cloning",
    "PullRepo": "Pulling",
    "BuildRepo": "Building",
    "RunBuild": "Building",
}
"""The state a running action shows."""


class Outcomes:
    """Records how executions ended and answers the states of repos and builds."""

    def __init__(self, db: AsyncDatabase[Document], runner: Runner) -> None:
        self.coll = db["Outcome"]
        self.runner = runner

    async def record(self, target: ResourceTarget, action: str, success: bool) -> None:
        """Remember that `action` on `target` ended (`success` or not)."""
        await self.coll.update_one(
            {"_id": target_key(target)},
            {"$set": {"action": action, "success": success, "ts": now_ms()}},
            upsert=True,
        )

    async def states(self, variant: ResourceTargetVariant, ids: list[str]) -> dict[str, str]:
        """The state of each resource: a running action's, else Ok/Failed from the last outcome, else Unknown."""
        keys = {target_key(ResourceTarget(type=variant, id=i)): i for i in ids}
        found = {i: "Unknown" for i in ids}
        async for doc in self.coll.find({"_id": {"$in": list(keys)}}):
            found[keys[str(doc["_id"])]] = "Ok" if doc.get("success") else "Failed"
        leases = self.runner.leases.find({"target": {"$in": list(keys)}, "until": {"$gte": now_ms()}})
        async for doc in leases:
            running = RUNNING_STATES.get(str(doc.get("action")))
            if running is not None and str(doc["target"]) in keys:
                found[keys[str(doc["target"])]] = running
        return found
