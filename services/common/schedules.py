"""When a scheduled procedure or action runs: Komodo's schedule (English or 6-field cron) in a time zone.

Komodo parses cron with `croner` (seconds required, `?` allowed, day-of-month AND day-of-week when both are
given) and English with `english-to-cron` (here `english_cron.py`). Next fire times are computed with `cronsim`;
`?` is read as `*`, and both day fields must match, as croner's `dom_and_dow`.

Time zone: `schedule_timezone`, else the core's `KOMODO_TIMEZONE`, else the host's (`TZ`, `/etc/localtime`),
else UTC. Daylight saving, as Debian's cron does it: a schedule at fixed times of day (its minute and hour
fields are plain values) runs once per wall-clock time — a time the clock skips in spring runs an hour later
by the clock (02:30 → 03:30), a time the clock repeats in autumn runs once, the first time; a schedule every
N seconds/minutes/hours (a `*` or a step in its hour or minute field) follows real time, so it keeps its pace
through both changes.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from contracts.entities.common import ScheduleFormat
from services.common.english_cron import EnglishScheduleError, english_to_cron
from services.common.errors import BadRequest

NICKNAMES = {
    "@yearly": "0 0 0 1 1 *",
    "@annually": "0 0 0 1 1 *",
    "@monthly": "0 0 0 1 * *",
    "@weekly": "0 0 0 * * 0",
    "@daily": "0 0 0 * * *",
    "@midnight": "0 0 0 * * *",
    "@hourly": "0 0 * * * *",
}
"""croner's nicknames, as 6-field cron."""


class ScheduleError(ValueError):
    """A schedule that cannot run: the message says what is wrong (shown as `schedule_error`)."""


def cron_of(schedule_format: ScheduleFormat, schedule: str) -> str:
    """The 6-field cron a schedule means (`?` kept); raises ScheduleError."""
    text = schedule.strip()
    if schedule_format == ScheduleFormat.English:
        try:
            return english_to_cron(text)
        except EnglishScheduleError as err:
            raise ScheduleError(str(err)) from None
    text = NICKNAMES.get(text.lower(), text)
    fields = text.split()
    if len(fields) != 6:
        raise ScheduleError(
            f"the cron schedule {text!r} has {len(fields)} fields; it needs 6, seconds first "
            "(sec min hour day-of-month month day-of-week, e.g. '0 0 3 * * *')"
        )
    return " ".join(fields)


def _cronsim(cron: str, start: datetime) -> CronSim:
    fields = cron.split()
    fields[3] = "*" if fields[3] == "?" else fields[3]
    fields[5] = "*" if fields[5] == "?" else fields[5]
    try:
        it = CronSim(" ".join(fields), start)
    except CronSimError as err:
        raise ScheduleError(f"the cron schedule {cron!r} is not valid: {err}") from None
    # croner's dom_and_dow, as Komodo configures it: both day fields must match (cronsim would OR them when
    # neither starts with `*`, as Debian's cron).
    it.day_and = True
    return it


def fixed_times(cron: str) -> bool:
    """Whether a cron runs at fixed times of day (plain minute and hour fields), not every N minutes/hours."""
    _, minute, hour = cron.split()[:3]
    return not any(c in minute + hour for c in "*/")


def check_cron(cron: str) -> None:
    """Raise ScheduleError when the cron has a bad field or never fires."""
    it = _cronsim(cron, datetime(2000, 1, 1))
    try:
        next(it)
    except StopIteration:
        raise ScheduleError(f"the cron schedule {cron!r} never fires") from None
    except CronSimError as err:
        raise ScheduleError(f"the cron schedule {cron!r} is not valid: {err}") from None


def host_zone_name() -> str:
    """The host's time zone name (`TZ`, else where `/etc/localtime` points), or '' when it cannot be told."""
    name = os.environ.get("TZ", "").lstrip(":")
    if name:
        return name
    try:
        target = str(Path("/etc/localtime").resolve())
    except OSError:
        return ""
    marker = "/zoneinfo/"
    return target.split(marker, 1)[1] if marker in target else ""


def zone(name: str, default: str = "") -> ZoneInfo:
    """The schedule's zone: `name`, else `default` (the core's), else the host's, else UTC; raises ScheduleError
    for an unknown name."""
    chosen = name.strip() or default.strip()
    if not chosen:
        try:
            return ZoneInfo(host_zone_name() or "UTC")
        except (ZoneInfoNotFoundError, ValueError):
            return ZoneInfo("UTC")
    try:
        return ZoneInfo(chosen)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(
            f"unknown time zone {chosen!r} (an IANA name such as 'Europe/Berlin' or 'UTC')"
        ) from None


def next_after(cron: str, tz: ZoneInfo, after_ms: int) -> int:
    """The first fire time (unix ms) of `cron` in `tz` strictly after `after_ms` (whole seconds)."""
    start = datetime.fromtimestamp(after_ms / 1000, tz)
    try:
        if not fixed_times(cron):
            # Real time: cronsim steps through UTC instants and reads each one's wall clock in `tz`.
            return int(next(_cronsim(cron, start)).timestamp() * 1000)
        # Wall-clock times: each is taken once (fold 0: the first of a repeated time, a skipped one shifted).
        it = _cronsim(cron, start.replace(tzinfo=None))
        while True:
            candidate = int(next(it).replace(tzinfo=tz, fold=0).timestamp() * 1000)
            if candidate > after_ms:
                return candidate
    except StopIteration:
        raise ScheduleError(f"the cron schedule {cron!r} never fires again") from None


def next_run(
    schedule_format: ScheduleFormat, schedule: str, timezone: str, default_zone: str, after_ms: int
) -> int:
    """The next fire time (unix ms) after `after_ms` of a schedule; raises ScheduleError."""
    cron = cron_of(schedule_format, schedule)
    check_cron(cron)
    return next_after(cron, zone(timezone, default_zone), after_ms)


def check_schedule(config: Any, default_zone: str) -> None:
    """A 400 naming the field when a Procedure's or Action's schedule (or its zone) cannot run; an empty schedule
    is fine (it never runs)."""
    if not config.schedule.strip():
        return
    try:
        zone(config.schedule_timezone, default_zone)
    except ScheduleError as err:
        raise BadRequest(f"config.schedule_timezone: {err}", ["config.schedule_timezone"]) from None
    try:
        next_run(config.schedule_format, config.schedule, config.schedule_timezone, default_zone, now_ms())
    except ScheduleError as err:
        raise BadRequest(f"config.schedule: {err}", ["config.schedule"]) from None


def now_ms() -> int:
    """The time in unix milliseconds."""
    return int(datetime.now(UTC).timestamp() * 1000)
