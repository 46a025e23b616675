"""The durable consumers of the procedure chain (every executor replica shares each one).

`executor-procedure-stages` starts the executions of each `ProcedureStageStarted`; `executor-procedure-children`
looks at the run of each completed child Update (`UpdateChanged`, published best-effort by the registry: the
chain's periodic sweep covers a lost one).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

from contracts.entities.update import UpdateStatus
from contracts.events.base import Event
from contracts.events.procedure import ProcedureStageStarted
from contracts.events.update import UpdateChanged
from services.common.consumer import Consumer

if TYPE_CHECKING:
    from services.executor.procedures.chain import Chain

STAGES: Final = "executor-procedure-stages"
"""Durable name of the consumer that starts stages."""
CHILDREN: Final = "executor-procedure-children"
"""Durable name of the consumer that follows children's Updates."""


def stage_consumer(chain: Chain) -> Consumer:
    """Starts the executions of each stage started (a batch of stages at once: they are independent runs)."""

    async def handle(event: Event) -> None:
        if isinstance(event, ProcedureStageStarted):
            await chain.start_stage(event)

    return Consumer(STAGES, ProcedureStageStarted.SUBJECT, handle, chain.executor.db, batch=8, ack_wait=120.0)


def children_consumer(chain: Chain) -> Consumer:
    """Moves the run of each child Update that completed."""

    async def handle(event: Event) -> None:
        if not isinstance(event, UpdateChanged) or event.update.status != UpdateStatus.Complete:
            return
        run_id = await chain.store.run_of_child(event.update.id)
        if run_id is not None:
            await chain.check_run(run_id)

    return Consumer(CHILDREN, UpdateChanged.SUBJECT, handle, chain.executor.db, batch=16)
