"""Maintenance windows (of Servers and Alerters): when one is active, and what makes one invalid.

A window starts at `hour:minute` in its time zone (the core's when empty, UTC when that is empty too) on every day
(Daily), on one weekday (Weekly) or on one date (OneTime), and lasts `duration_minutes`. A window may run past
midnight: the start of the day before is checked as well, so a Daily window from 23:30 for 60 minutes covers
00:15. Local times are resolved with `zoneinfo`, so windows follow daylight-saving changes of their zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from contracts.entities.common import MaintenanceScheduleType, MaintenanceWindow

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def weekday(name: str) -> int | None:
    """Monday=0 .. Sunday=6 from `Monday`, `mon` or `MON` (Komodo's spellings); None when not a weekday."""
    key = name.strip().lower()
    if len(key) < 3:
        return None
    for index, day in enumerate(WEEKDAYS):
        if day.startswith(key) and (key == day or len(key) == 3):
            return index
    return None


def zone(name: str, default: str = "") -> ZoneInfo:
    """The IANA zone `name`, else `default`, else UTC; raises ValueError naming an unknown zone."""
    chosen = name.strip() or default.strip() or "UTC"
    try:
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {chosen!r} (use an IANA name such as 'Europe/Berlin')") from None


def problem(window: MaintenanceWindow) -> str | None:
    """Why `window` cannot work, in words a user can act on; None when it is valid."""
    label = f"maintenance window {window.name!r}"
    if not window.name.strip():
        return "a maintenance window needs a name"
    try:
        zone(window.timezone)
    except ValueError as err:
        return f"{label}: {err}"
    if window.duration_minutes < 1:
        return f"{label}: duration_minutes must be at least 1 (its end would not be after its start)"
    if window.schedule_type == MaintenanceScheduleType.Weekly and weekday(window.day_of_week) is None:
        return f"{label}: day_of_week {window.day_of_week!r} is not a weekday (use 'Monday' or 'mon')"
    if window.schedule_type == MaintenanceScheduleType.OneTime:
        try:
            dt.date.fromisoformat(window.date.strip())
        except ValueError:
            return f"{label}: date {window.date!r} is not a date (use YYYY-MM-DD)"
    return None


def problems(windows: Iterable[MaintenanceWindow]) -> list[str]:
    """Every invalid window's problem, in order."""
    return [found for window in windows if (found := problem(window)) is not None]


def _starts(window: MaintenanceWindow, local_day: dt.date) -> bool:
    """Whether `window` starts on `local_day`."""
    if window.schedule_type == MaintenanceScheduleType.Daily:
        return True
    if window.schedule_type == MaintenanceScheduleType.Weekly:
        return weekday(window.day_of_week) == local_day.weekday()
    try:
        return dt.date.fromisoformat(window.date.strip()) == local_day
    except ValueError:
        return False


def active(window: MaintenanceWindow, at: dt.datetime, default_timezone: str = "") -> bool:
    """Whether `window` covers the aware instant `at`; disabled or invalid windows never do."""
    if not window.enabled or problem(window) is not None:
        return False
    tz = zone(window.timezone, default_timezone)
    local = at.astimezone(tz)
    for back in range(window.duration_minutes // 1440 + 2):  # a window may last past midnight, or for days
        day = local.date() - dt.timedelta(days=back)
        if not _starts(window, day):
            continue
        start = dt.datetime.combine(day, dt.time(window.hour, window.minute), tzinfo=tz)
        end = start + dt.timedelta(minutes=window.duration_minutes)
        # Compared in UTC: wall-clock arithmetic in the zone would be off by the DST shift inside the window.
        if start.astimezone(dt.UTC) <= at.astimezone(dt.UTC) < end.astimezone(dt.UTC):
            return True
    return False


def in_maintenance(
    windows: Iterable[MaintenanceWindow], at_ms: int, default_timezone: str = ""
) -> MaintenanceWindow | None:
    """The first window covering the unix-ms instant `at_ms`, or None."""
    at = dt.datetime.fromtimestamp(at_ms / 1000, dt.UTC)
    for window in windows:
        if active(window, at, default_timezone):
            return window
    return None
