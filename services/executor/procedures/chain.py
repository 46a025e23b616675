"""A procedure run as an event chain: start, start a stage, move on when a stage's children are done, close.

No task holds a run. `start_run` records the run and creates its Update, then writes `ProcedureStageStarted` with
the run document (outbox). The stage consumer starts the stage's executions (`start_stage`). `check_run` is
called whenever something may have finished (a child's `UpdateChanged`, a Sleep's timer, the periodic sweep of
running runs): when every child of the current stage is done it compare-and-sets the run to the next stage (or
its end) on `rev`, writing the next event in the same write, so of two replicas only one moves it; the winner
appends the stage's log to the procedure's Update. A run that ended is closed (FinishUpdate, then `closed`), by
the winner or by the next sweep if the winner died in between.

The procedure's Update is not held by a Runner lease (a lease would have to be renewed across events and
restarts): the run document names the Update from before it is created, and the sweep closes what a dead replica
left (a run stuck `Starting`, a run ended but not closed).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING, Any, Final

from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.procedure import Procedure
from contracts.entities.update import Log, Operation, Update
from contracts.events.base import Event
from contracts.events.procedure import ProcedureFailed, ProcedureStageFinished, ProcedureStageStarted
from services.common.bus import RemoteError
from services.common.errors import Busy, ServiceError
from services.common.mongo import Document
from services.common.outbox import with_event
from services.common.runs import CLOSED_ALREADY, now_ms
from services.common.tasks import cancel_and_wait
from services.executor.procedures import children
from services.executor.procedures.store import FAILED, OK, RUNNING, STARTING, RunStore, child_key

if TYPE_CHECKING:
    from services.executor.app import Executor

log = logging.getLogger(__name__)

SWEEP_SECONDS: Final = 1.0
"""How often every executor looks at the running runs (a lost notification delays a run by about this)."""
STAGE_START_LIMIT_MS: Final = 30_000
"""A stage whose executions are not all started this long after it began is started by the sweep (its event was
dead-lettered, or is waiting for a redelivery after its replica died)."""
STARTING_LIMIT_MS: Final = 60_000
"""A run still `Starting` after this long lost its replica before its Update was made: it is failed."""


class Chain:
    """The procedure runs of this executor replica (any replica may move any run)."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.store = RunStore(executor.db)
        executor.bus.outbox.carries(self.store.runs)  # type: ignore[union-attr]
        self._sweeping: asyncio.Task[None] | None = None
        self._timers: set[asyncio.Task[None]] = set()

    # --- starting -------------------------------------------------------------------------------

    async def start_run(
        self, procedure: Procedure, operator: str, update_id: str, first_logs: list[Log]
    ) -> Update:
        """Record a run of `procedure` (a 409 when it runs already), create its Update, and start its first stage."""
        stages = [
            {
                "name": stage.name,
                "executions": [e.execution.model_dump(mode="json") for e in stage.executions if e.enabled],
            }
            for stage in procedure.config.stages
            if stage.enabled
        ]
        doc: Document = {
            "_id": update_id,
            "procedure_id": procedure.id,
            "procedure_name": procedure.name,
            "stages": stages,
            "stage": 0,
            "status": STARTING,
            "closed": False,
            "cancel": False,
            "children": {},
            "error": "",
            "start_ts": now_ms(),
            "stage_ts": now_ms(),
            "rev": 0,
        }
        # The run is stored before the claim, so a claim always names a run (one whose run is gone is stale).
        await self.store.runs.insert_one(doc)
        holder = await self.store.claim(procedure.id, update_id)
        if holder is not None:
            await self.store.runs.delete_one({"_id": update_id})
            raise Busy(f"procedure {procedure.name!r} is busy: it is running (Update {holder})")
        target = ResourceTarget(type=ResourceTargetVariant.Procedure, id=procedure.id)
        try:
            update = await self.executor.registry.create_update(
                Operation.RunProcedure, target, operator, None, update_id, first_logs
            )
        except ServiceError as err:
            if err.status < 500:  # refused: there is no Update
                await self.store.runs.delete_one({"_id": update_id})
                await self.store.release(procedure.id, update_id)
            raise
        if stages:
            change = with_event(
                {"$set": {"status": RUNNING}}, ProcedureStageStarted(run_id=update_id, stage=0)
            )
        else:
            change = {"$set": {"status": OK, "end_ts": now_ms()}}
        await self.store.runs.update_one({"_id": update_id, "status": STARTING}, change)
        self._wake()
        if not stages:
            await self.close(update_id)
        return update

    async def start_stage(self, event: ProcedureStageStarted, check: bool = True) -> None:
        """Start every execution of the stage not started yet (in parallel), then (with `check`) see whether it is
        done."""
        run = await self.store.get(event.run_id)
        if run is None or run.get("status") != RUNNING or int(run.get("stage", -1)) != event.stage:
            return  # an old event: the run moved on
        stage = run["stages"][event.stage]
        known: dict[str, Any] = run.get("children") or {}
        cause = (
            f"Procedure {run['procedure_name']!r}, stage {event.stage + 1} {stage['name']!r} "
            f"(Update {event.run_id})"
        )

        async def one(index: int, execution: dict[str, Any]) -> None:
            key = child_key(event.stage, index)
            if key in known and known[key].get("status") != STARTING:
                return
            kind, params = str(execution.get("type", "None")), dict(execution.get("params") or {})
            if kind in children.INSIDE:
                await self.store.set_child(event.run_id, key, children.inside(kind, params))
                return
            batch = children.single_of(kind)
            if batch is not None:
                await self._start_batch(event, index, kind, params, batch, known.get(key), cause)
                return
            update_id = children.child_update_id(event.run_id, event.stage, index)
            await self.store.link_child(update_id, event.run_id)
            await self.store.set_child(event.run_id, key, children.starting(kind, [update_id]))
            child = await children.send(self.executor, kind, params, update_id, cause)
            for child_id in child["updates"]:
                await self.store.link_child(child_id, event.run_id)
            await self.store.set_child(event.run_id, key, child)

        await asyncio.gather(*(one(i, e) for i, e in enumerate(stage["executions"])))
        if not check:
            return
        await self.check_run(event.run_id)
        run = await self.store.get(event.run_id)
        if run is not None and run.get("status") == RUNNING and int(run["stage"]) == event.stage:
            ends = [int(c["until"]) for c in (run.get("children") or {}).values() if c.get("until")]
            if ends:
                self._check_at(event.run_id, max(ends))

    async def _start_batch(
        self,
        event: ProcedureStageStarted,
        index: int,
        kind: str,
        params: dict[str, Any],
        batch: tuple[str, str],
        known: dict[str, Any] | None,
        cause: str,
    ) -> None:
        """Expand a batch execution (once: a redelivery reuses the stored names) and start each single execution
        with its own derived Update id, in parallel."""
        key = child_key(event.stage, index)
        single, field = batch
        if known is not None and "expanded" in known:
            names = list(known["expanded"])
        else:
            try:
                names = await children.expand(self.executor, kind, params, field)
            except ServiceError as err:
                await self.store.set_child(event.run_id, key, children.failed(kind, err.message))
                return
        ids = [children.child_update_id(event.run_id, event.stage, f"{index}.{j}") for j in range(len(names))]
        for update_id in ids:
            await self.store.link_child(update_id, event.run_id)
        await self.store.set_child(event.run_id, key, children.starting(kind, ids, names))
        parts = await asyncio.gather(
            *(
                children.send(self.executor, single, {field: name}, update_id, cause)
                for name, update_id in zip(names, ids, strict=True)
            )
        )
        await self.store.set_child(event.run_id, key, children.merged(kind, names, list(parts)))

    def _check_at(self, run_id: str, at_ms: int) -> None:
        """Look at a run again when a Sleep of it ends (the sweep does it too, should this process die)."""

        async def later() -> None:
            await asyncio.sleep(max(0.0, (at_ms - now_ms()) / 1000))
            await self.check_run(run_id)

        task = asyncio.create_task(later())
        self._timers.add(task)
        task.add_done_callback(self._timers.discard)

    # --- moving on ------------------------------------------------------------------------------

    async def check_run(self, run_id: str) -> None:
        """Settle the current stage's children; when all are done, move the run on (once, by compare-and-set)."""
        run = await self.store.get(run_id)
        if run is None:
            return
        if run.get("status") in (OK, FAILED):
            if not run.get("closed"):
                await self.close(run_id)
            return
        if run.get("status") != RUNNING:
            return
        index = int(run["stage"])
        stage = run["stages"][index]
        known: dict[str, Any] = run.get("children") or {}
        keys = [child_key(index, i) for i in range(len(stage["executions"]))]
        if any(key not in known or known[key].get("status") == STARTING for key in keys):
            # The stage consumer has not started them all yet; if that takes too long (its event was
            # dead-lettered, or its replica died and the redelivery is far), start the rest from here.
            if now_ms() - int(run.get("stage_ts") or run.get("start_ts") or 0) > STAGE_START_LIMIT_MS:
                await self.start_stage(ProcedureStageStarted(run_id=run_id, stage=index), check=False)
            return
        done = True
        for key in keys:
            child = known[key]
            settled = await children.settle(self.executor, child)
            if settled != child:
                known[key] = settled
                await self.store.set_child(run_id, key, settled)
            done = done and settled["status"] in (OK, FAILED)
        if not done:
            return
        await self._advance(run, index, [known[key] for key in keys])

    async def _advance(self, run: Document, index: int, stage_children: list[dict[str, Any]]) -> None:
        run_id = str(run["_id"])
        stage = run["stages"][index]
        success = all(child["status"] == OK for child in stage_children)
        events: list[Event] = [ProcedureStageFinished(run_id=run_id, stage=index, success=success)]
        fields: dict[str, Any] = {}
        if not success:
            failures = [
                f"{children.describe(stage['executions'][i])}: {c['error']}"
                for i, c in enumerate(stage_children)
                if c["status"] == FAILED
            ]
            error = f"stage {index + 1} {stage['name']!r} failed: " + "; ".join(failures)
            fields = {"status": FAILED, "error": error, "end_ts": now_ms()}
        elif run.get("cancel"):
            error = f"cancelled before stage {index + 2}" if index + 1 < len(run["stages"]) else ""
            fields = {"status": FAILED if error else OK, "error": error, "end_ts": now_ms()}
        elif index + 1 < len(run["stages"]):
            fields = {"stage": index + 1, "stage_ts": now_ms()}
            events.append(ProcedureStageStarted(run_id=run_id, stage=index + 1))
        else:
            fields = {"status": OK, "end_ts": now_ms()}
        if fields.get("status") == FAILED:
            events.append(ProcedureFailed(run_id=run_id, name=run["procedure_name"], error=fields["error"]))
        change: dict[str, Any] = {"$set": fields, "$inc": {"rev": 1}}
        for event in events:
            change = with_event(change, event)
        moved = await self.store.runs.update_one(
            {"_id": run_id, "status": RUNNING, "stage": index, "rev": run["rev"]}, change
        )
        if not moved.matched_count:
            return  # another replica (or call) moved it
        self._wake()
        await self._append(run_id, self._stage_log(index, stage, stage_children))
        if "status" in fields:
            await self.close(run_id)

    @staticmethod
    def _stage_log(index: int, stage: dict[str, Any], stage_children: list[dict[str, Any]]) -> Log:
        """The stage's log on the procedure's Update: one line per execution with its result and Updates."""
        out, err = [], []
        for i, child in enumerate(stage_children):
            line = f"{children.describe(stage['executions'][i])}: {child['status']}"
            if child.get("updates"):
                line += f" (Update {', '.join(child['updates'])})"
            out.append(line)
            if child.get("error"):
                err.append(f"{children.describe(stage['executions'][i])}: {child['error']}")
        success = all(c["status"] == OK for c in stage_children)
        at = now_ms()
        return Log(
            stage=f"Stage {index + 1}: {stage['name']}",
            stdout="\n".join(out),
            stderr="\n".join(err),
            success=success,
            start_ts=at,
            end_ts=at,
        )

    async def _append(self, run_id: str, entry: Log) -> None:
        try:
            await self.executor.registry.append_log(run_id, entry)
        except ServiceError as err:
            log.warning("procedure run %s: could not append a stage log: %s", run_id, err)

    async def close(self, run_id: str) -> None:
        """Finish the Update of a run that ended, mark it closed and release its procedure."""
        run = await self.store.get(run_id)
        if run is None or run.get("closed") or run.get("status") not in (OK, FAILED):
            return
        logs = []
        if run.get("error"):
            at = now_ms()
            logs = [Log(stage="Procedure", stderr=run["error"], success=False, start_ts=at, end_ts=at)]
        try:
            await self.executor.registry.finish(run_id, success=run["status"] == OK, logs=logs)
        except RemoteError as err:
            if err.status not in CLOSED_ALREADY:
                raise
        await self.store.runs.update_one({"_id": run_id}, {"$set": {"closed": True}})
        await self.store.release(str(run["procedure_id"]), run_id)

    async def cancel(self, procedure_id: str, update_id: str | None) -> list[str]:
        """Ask the procedure's running runs (or the one named) to stop before their next stage; their ids."""
        query: Document = {"procedure_id": procedure_id, "status": RUNNING}
        if update_id:
            query["_id"] = update_id
        ids = [str(doc["_id"]) async for doc in self.store.runs.find(query, {"_id": 1})]
        for run_id in ids:
            await self.store.runs.update_one({"_id": run_id}, {"$set": {"cancel": True}})
        return ids

    # --- the sweep ------------------------------------------------------------------------------

    async def sweep(self) -> None:
        """Move every running run that can move, close ended ones, fail runs whose start was abandoned."""
        async for doc in self.store.runs.find({"status": RUNNING}, {"_id": 1}):
            try:
                await self.check_run(str(doc["_id"]))
            except Exception as err:
                log.warning("procedure run %s: check failed (retrying): %s", doc["_id"], err)
        async for doc in self.store.runs.find({"closed": False, "status": {"$in": [OK, FAILED]}}, {"_id": 1}):
            with contextlib.suppress(Exception):
                await self.close(str(doc["_id"]))
        stale = now_ms() - STARTING_LIMIT_MS
        async for doc in self.store.runs.find({"status": STARTING, "start_ts": {"$lt": stale}}, {"_id": 1}):
            error = "the executor starting this run stopped before the run started"
            await self.store.runs.update_one(
                {"_id": doc["_id"], "status": STARTING},
                {"$set": {"status": FAILED, "error": error, "end_ts": now_ms()}},
            )
            with contextlib.suppress(Exception):
                await self.close(str(doc["_id"]))

    def start_sweeping(self) -> None:
        """Sweep every `SWEEP_SECONDS` until stopped."""

        async def loop() -> None:
            while True:
                await asyncio.sleep(SWEEP_SECONDS)
                try:
                    await self.sweep()
                except Exception as err:
                    log.warning("procedure sweep failed: %s", err)

        self._sweeping = asyncio.create_task(loop())

    async def stop(self) -> None:
        """Stop sweeping and drop pending timers (the runs stay in the database for any replica)."""
        tasks = [*self._timers, *([self._sweeping] if self._sweeping else [])]
        await cancel_and_wait(*tasks)
        self._sweeping = None

    def _wake(self) -> None:
        if self.executor.bus.outbox is not None:
            self.executor.bus.outbox.wake(self.store.runs.name)
