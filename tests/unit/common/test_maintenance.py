"""Maintenance windows: which instants they cover (across midnight, weekdays, dates, time zones and DST) and
which windows are refused."""

from __future__ import annotations

import datetime as dt

import pytest

from contracts.entities.common import MaintenanceScheduleType, MaintenanceWindow
from services.common.maintenance import active, in_maintenance, problem, problems, weekday

UTC = dt.UTC


def window(**fields: object) -> MaintenanceWindow:
    base: dict[str, object] = {"name": "w", "duration_minutes": 60}
    return MaintenanceWindow.model_validate({**base, **fields})


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def test_a_daily_window_covers_its_hour_every_day_and_not_after() -> None:
    daily = window(hour=3, minute=0, duration_minutes=30)
    assert active(daily, at("2026-12-05T03:00:00+00:00"))
    assert active(daily, at("2026-12-09T03:29:59+00:00"))
    assert not active(daily, at("2026-12-05T03:30:00+00:00"))
    assert not active(daily, at("2026-12-05T02:59:59+00:00"))


def test_a_window_past_midnight_covers_the_next_morning() -> None:
    late = window(hour=23, minute=30, duration_minutes=60)
    assert active(late, at("2026-12-06T00:15:00+00:00"))
    assert not active(late, at("2026-12-06T00:31:00+00:00"))


def test_a_weekly_window_only_on_its_day() -> None:
    monday = window(
        schedule_type=MaintenanceScheduleType.Weekly, day_of_week="mon", hour=9, duration_minutes=60
    )
    assert active(monday, at("2026-12-07T09:10:00+00:00"))  # a Monday
    assert not active(monday, at("2026-12-08T09:10:00+00:00"))  # the Tuesday after


def test_a_one_time_window_only_on_its_date() -> None:
    once = window(
        schedule_type=MaintenanceScheduleType.OneTime, date="2026-12-24", hour=18, duration_minutes=120
    )
    assert active(once, at("2026-12-24T19:00:00+00:00"))
    assert not active(once, at("2027-12-24T19:00:00+00:00"))


def test_the_window_time_is_local_to_its_zone() -> None:
    berlin = window(hour=3, timezone="Europe/Berlin", duration_minutes=60)
    assert active(berlin, at("2026-12-05T02:30:00+00:00"))  # 03:30 in Berlin (UTC+1 in winter)
    assert not active(berlin, at("2026-12-05T03:30:00+00:00"))
    assert active(berlin, at("2026-07-05T01:30:00+00:00"))  # 03:30 in Berlin (UTC+2 in summer)


def test_the_core_zone_applies_when_the_window_names_none() -> None:
    local = window(hour=3, duration_minutes=60)
    assert active(local, at("2026-12-05T02:30:00+00:00"), default_timezone="Europe/Berlin")
    assert not active(local, at("2026-12-05T02:30:00+00:00"))  # UTC by default


def test_a_window_across_a_dst_change_lasts_its_real_minutes() -> None:
    # 2026-03-29 02:00 Berlin clocks jump to 03:00: a window from 01:30 for 60 minutes ends at 03:30 local.
    spring = window(hour=1, minute=30, timezone="Europe/Berlin", duration_minutes=60)
    assert active(spring, at("2026-03-29T03:25:00+02:00"))
    assert not active(spring, at("2026-03-29T03:31:00+02:00"))


def test_disabled_windows_never_cover() -> None:
    off = window(hour=3, enabled=False)
    on = window(hour=3)
    instant = int(at("2026-12-05T03:10:00+00:00").timestamp() * 1000)
    assert in_maintenance([off], instant) is None
    assert in_maintenance([off, on], instant) == on


@pytest.mark.parametrize(
    ("fields", "says"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone 'Mars/Olympus'"),
        ({"duration_minutes": 0}, "duration_minutes must be at least 1"),
        ({"schedule_type": "Weekly", "day_of_week": "funday"}, "day_of_week 'funday' is not a weekday"),
        ({"schedule_type": "OneTime", "date": "2026-13-01"}, "date '2026-13-01' is not a date"),
        ({"name": " "}, "needs a name"),
    ],
)
def test_bad_windows_are_refused_with_what_is_wrong(fields: dict[str, object], says: str) -> None:
    found = problem(window(**fields))
    assert found is not None and says in found
    assert problems([window(), window(**fields)]) == [found]


def test_weekday_spellings() -> None:
    assert [weekday(name) for name in ("Monday", "mon", "SUN", "Sunday")] == [0, 0, 6, 6]
    assert [weekday(name) for name in ("mo", "mond", "", "x")] == [None, None, None, None]
