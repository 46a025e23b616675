"""ListSchedules: the procedures and actions with a schedule that the caller may read, with their next fire
time and schedule error (the executor's schedule table) and when they last ran."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from contracts.api.read.action import ListFullActions
from contracts.api.read.procedure import ListFullProcedures
from contracts.api.read.schedule import ListSchedules
from contracts.entities.action import Action, ActionQuery
from contracts.entities.common import ResourceTarget, ResourceTargetVariant
from contracts.entities.procedure import Procedure, ProcedureQuery
from contracts.entities.schedule import Schedule, ScheduleSortBy
from services.common.bus import RequestContext
from services.common.errors import BadRequest
from services.common.registry_client import credentials

if TYPE_CHECKING:
    from services.executor.app import Executor


def sort_key(sort_by: ScheduleSortBy) -> Any:
    """Komodo's orders: by name, or by the field then name; NextRun puts unscheduled ones last."""
    if sort_by == ScheduleSortBy.Schedule:
        return lambda s: (s.schedule, s.name)
    if sort_by == ScheduleSortBy.NextRun:
        return lambda s: (s.next_scheduled_run is None, s.next_scheduled_run or 0, s.name)
    if sort_by == ScheduleSortBy.Enabled:
        return lambda s: (s.enabled, s.name)
    return lambda s: s.name


def register(executor: Executor) -> None:
    """Answer ListSchedules (the registry decides what the caller may read)."""

    async def list_schedules(req: ListSchedules, ctx: RequestContext) -> list[Schedule]:
        headers = credentials(ctx.headers)
        procedure_query = ProcedureQuery(tags=req.tags, tag_behavior=req.tag_behavior, terms=req.terms)
        action_query = ActionQuery(tags=req.tags, tag_behavior=req.tag_behavior, terms=req.terms)
        procedures: list[Procedure] = await executor.bus.request(
            ListFullProcedures(query=procedure_query, limit=0), headers
        )
        actions: list[Action] = await executor.bus.request(
            ListFullActions(query=action_query, limit=0), headers
        )
        procedures = [p for p in procedures if p.config.schedule]
        actions = [a for a in actions if a.config.schedule]
        store = executor.schedules.store
        P, A = ResourceTargetVariant.Procedure, ResourceTargetVariant.Action
        table = {
            P: await store.by_target(P, [p.id for p in procedures]),
            A: await store.by_target(A, [a.id for a in actions]),
        }
        last_runs = await executor.procedures.store.last_runs([p.id for p in procedures])
        last = {P: {i: run.get("start_ts") for i, run in last_runs.items()}}
        last[A] = dict(await store.action_last_runs([a.id for a in actions]))
        schedules = []
        targets: list[tuple[ResourceTargetVariant, Procedure | Action]] = [
            *((P, p) for p in procedures),
            *((A, a) for a in actions),
        ]
        for variant, resource in targets:
            known = table[variant].get(resource.id) or {}
            config = resource.config
            schedules.append(
                Schedule(
                    target=ResourceTarget(type=variant, id=resource.id),
                    name=resource.name,
                    schedule_format=config.schedule_format,
                    schedule=config.schedule,
                    enabled=config.schedule_enabled,
                    schedule_timezone=config.schedule_timezone,
                    last_run_at=last[variant].get(resource.id),
                    next_scheduled_run=known.get("next_run"),
                    schedule_error=known.get("error"),
                    tags=list(resource.tags),
                )
            )
        schedules.sort(key=sort_key(req.sort_by), reverse=req.sort_desc)
        size = executor.settings.default_pagination_limit if req.limit is None else req.limit
        if size == 0:
            return schedules
        if req.page < 0:
            raise BadRequest("page must not be negative")
        return schedules[req.page * size : (req.page + 1) * size]

    executor.bus.handle(ListSchedules, list_schedules)
