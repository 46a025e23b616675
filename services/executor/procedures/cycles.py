"""Refusing a procedure that runs itself, directly or through other procedures (checked when it is run)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from contracts.api.read.procedure import GetProcedure, ListProcedures
from contracts.entities.procedure import Procedure, ProcedureListItem
from services.common.bus import RemoteError
from services.common.errors import BadRequest
from services.common.patterns import select

if TYPE_CHECKING:
    from services.executor.app import Executor


def runs_of(procedure: Procedure) -> list[tuple[str, str]]:
    """The (type, procedure or pattern) of each enabled RunProcedure / BatchRunProcedure of enabled stages."""
    found = []
    for stage in procedure.config.stages:
        if not stage.enabled:
            continue
        for item in stage.executions:
            kind, params = item.execution.type, item.execution.params
            if not item.enabled:
                continue
            if kind == "RunProcedure":
                found.append((kind, str(params.get("procedure", ""))))
            elif kind == "BatchRunProcedure":
                found.append((kind, str(params.get("pattern", ""))))
    return found


async def refuse_cycles(executor: Executor, start: Procedure, headers: Mapping[str, str]) -> None:
    """A 400 naming the cycle when `start` runs itself through the procedures it runs (as the system sees them)."""
    system = executor.registry.system_headers()
    every: list[ProcedureListItem] | None = None

    async def callees(procedure: Procedure) -> list[Procedure]:
        nonlocal every
        found = []
        for kind, ref in runs_of(procedure):
            if kind == "RunProcedure":
                try:
                    found.append(await executor.bus.request(GetProcedure(procedure=ref), system))
                except RemoteError as err:
                    if err.status != 404:  # a missing one fails as that execution at run time
                        raise
                continue
            if every is None:
                every = await executor.bus.request(ListProcedures(limit=0), system)
            try:
                picked = select(ref, [(item.id, item.name) for item in every])
            except BadRequest:
                continue
            for item_id, _ in picked:
                found.append(await executor.bus.request(GetProcedure(procedure=item_id), system))
        return found

    async def walk(procedure: Procedure, path: list[Procedure]) -> None:
        for callee in await callees(procedure):
            names = [p.id for p in path]
            if callee.id in names:
                cycle = [p.name for p in path[names.index(callee.id) :]] + [callee.name]
                raise BadRequest(f"procedure {start.name!r} runs itself: {' -> '.join(cycle)}")
            await walk(callee, [*path, callee])

    await walk(start, [start])
