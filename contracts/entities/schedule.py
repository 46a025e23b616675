"""Schedules of procedures and actions, as ListSchedules computes them."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from contracts.base import KomodoModel
from contracts.entities.common import I64, ResourceTarget, ScheduleFormat


class ScheduledConfig(KomodoModel):
    """Schedule, alert and webhook settings shared by Procedures and Actions."""

    schedule_format: ScheduleFormat = ScheduleFormat.English
    """How `schedule` is written."""
    schedule: str = ""
    """When to run (English or 6-field cron); empty means never."""
    schedule_enabled: bool = True
    """Whether the schedule applies."""
    schedule_timezone: str = ""
    """Time zone of the schedule; empty means the core's."""
    schedule_alert: bool = True
    """Alert when a scheduled run starts."""
    failure_alert: bool = True
    """Alert when a run fails."""
    webhook_enabled: bool = True
    """Whether git webhooks trigger it."""
    webhook_secret: str = ""
    """Secret of its webhooks; empty means the core's."""


class ScheduledListItemInfo(KomodoModel):
    """Run times shared by the list infos of Procedures and Actions."""

    last_run_at: I64 | None = None
    """When it last ran (unix ms)."""
    next_scheduled_run: I64 | None = None
    """When it runs next (unix ms)."""
    schedule_error: str | None = None
    """Why the schedule cannot be parsed."""


class ScheduleSortBy(StrEnum):
    """Fields ListSchedules can sort by."""

    Name = "Name"
    Schedule = "Schedule"
    NextRun = "NextRun"
    Enabled = "Enabled"


class Schedule(KomodoModel):
    """When a procedure or action runs on its own."""

    target: ResourceTarget
    """The procedure or action."""
    name: str
    """Its name."""
    schedule_format: ScheduleFormat = ScheduleFormat.English
    """How the schedule is written."""
    schedule: str = ""
    """The schedule."""
    enabled: bool = True
    """Whether the schedule applies."""
    schedule_timezone: str = ""
    """Its time zone."""
    last_run_at: I64 | None = None
    """When it last ran (unix ms)."""
    next_scheduled_run: I64 | None = None
    """When it runs next (unix ms)."""
    schedule_error: str | None = None
    """Why the schedule cannot be parsed."""
    tags: list[str] = Field(default_factory=list)
    """Tags of the target."""
