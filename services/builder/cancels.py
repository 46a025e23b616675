"""Where each running RunBuild or BuildRepo runs, and whether it was cancelled, for CancelBuild and
CancelRepoBuild.

The builder keeps one document per running execution in its database (any replica may be asked to cancel):
the server it runs on and its Update's id. A cancel marks the document with the Update id it cancels and asks
that server's agent to stop the work of the key (CancelImageBuild: an image build, or a clone started with that
key). The work checks the mark before each request it sends to the agent, so a cancel that arrives between two
stages (the clone done, the image build not yet asked) stops it too; and since the agent only knows the work
once it received the request, the cancel asks again for a few seconds while the work is still on. A cancel
that arrives before the work chose its server marks the document all the same (keyed by the lease's Update).
A mark names one Update, so a mark left behind never stops a later run.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Final

from pymongo import ReturnDocument

from contracts.api.agent.build import CancelImageBuild
from contracts.entities.common import ResourceTarget
from contracts.entities.update import Log, Operation
from services.common.runs import now_ms

if TYPE_CHECKING:
    from services.builder.app import Builder

ASK_AGAIN_SECONDS: Final = 10.0
"""How long a cancel keeps asking the agent while the work it cancels has not reached it yet."""
ASK_INTERVAL: Final = 0.25
"""Seconds between those asks."""


def cancelled_log(operation: Operation, stage: str) -> Log:
    """The failed Log of a run stopped by a cancel before `stage` was asked of the agent."""
    now = now_ms()
    cancel = "CancelBuild" if operation == Operation.RunBuild else "CancelRepoBuild"
    text = f"the {operation.value} was cancelled ({cancel}) before its {stage} stage; nothing more runs"
    return Log(stage="Cancel", stderr=text, success=False, start_ts=now, end_ts=now)


class RunningWork:
    """The running executions of one kind (`operation`), in the builder's collection `collection`."""

    def __init__(self, builder: Builder, collection: str, operation: Operation) -> None:
        self.builder = builder
        self.coll = builder.db[collection]
        self.operation = operation

    async def begin(self, key: str, update_id: str, server_id: str) -> None:
        """The run of `update_id` works on server `server_id` now (a mark set before stays)."""
        await self.coll.update_one(
            {"_id": key}, {"$set": {"update_id": update_id, "server_id": server_id}}, upsert=True
        )

    async def cancelled(self, key: str, update_id: str) -> bool:
        """Whether the run of `update_id` was cancelled."""
        doc = await self.coll.find_one({"_id": key})
        return doc is not None and doc.get("cancelled") == update_id

    async def end(self, key: str, update_id: str) -> None:
        """The run of `update_id` has ended."""
        await self.coll.delete_one({"_id": key, "update_id": update_id})

    async def cancel(self, target: ResourceTarget, key: str) -> bool:
        """Cancel the run of `operation` on `target` (work key `key`); whether one was running."""
        update_id = await self.builder.runner.holder(target, self.operation)
        if update_id is None:
            return False
        doc = await self.coll.find_one_and_update(
            {"_id": key},
            {"$set": {"cancelled": update_id}},
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        server_id = str(doc.get("server_id") or "") if doc and doc.get("update_id") == update_id else ""
        if not server_id:
            return True  # it has not chosen its server yet: it sees the mark before it asks anything
        server = await self.builder.registry.server_for_work(server_id)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ASK_AGAIN_SECONDS
        while not await self.builder.agents.ask(server, CancelImageBuild(build_key=key)):
            still = await self.coll.find_one({"_id": key, "update_id": update_id})
            if still is None or loop.time() > deadline:
                break  # it ended, or it is between stages and stops at the next one (the mark)
            await asyncio.sleep(ASK_INTERVAL)
        return True
