"""Events of schedules: a scheduled procedure or action run started (see docs/schedules.md)."""

from __future__ import annotations

from typing import ClassVar

from contracts.entities.common import I64, ResourceTargetVariant
from contracts.events.base import Event


class ScheduleRun(Event):
    """A scheduled run of a procedure or action whose `schedule_alert` is on has started; named as Komodo's
    alert, which the alerter makes of it (`ScheduleRun`, level Ok). `resource` is the procedure or action."""

    KIND: ClassVar[str] = "schedule"

    resource_type: ResourceTargetVariant = ResourceTargetVariant.Procedure
    """Procedure or Action (as in Komodo's ScheduleRun alert data)."""
    name: str = ""
    """The procedure's or action's name."""
    update_id: str = ""
    """The run's Update (RunProcedure or RunAction)."""
    scheduled_at: I64 = 0
    """The fire time the run is for (unix ms)."""
