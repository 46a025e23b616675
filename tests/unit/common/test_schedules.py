"""English and cron schedules, time zones and next fire times (services/common/english_cron.py, schedules.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from contracts.entities.common import ScheduleFormat
from services.common.english_cron import EnglishScheduleError, english_to_cron
from services.common.errors import BadRequest
from services.common.schedules import (
    ScheduleError,
    check_schedule,
    cron_of,
    host_zone_name,
    next_run,
    zone,
)

NY = "America/New_York"


@pytest.mark.parametrize(
    ("english", "cron"),
    [
        # Komodo's documented examples
        ("Every day at 03:00", "0 0 3 */1 * ?"),
        ("Every 5 minutes", "0 0/5 * * * ?"),
        ("Every Monday at 09:00", "0 0 9 ? * MON"),
        ("At midnight on the 1st and 15th of the month", "0 0 0 1,15 * ?"),
        ("at 3:00 am", "0 0 3 * * ?"),
        # english-to-cron's own cases (its year field dropped, as Komodo does)
        ("Run every 15 seconds", "0/15 * * * * ?"),
        ("Run every minute", "0 * * * * ?"),
        ("every day at 4:00 pm", "0 0 16 */1 * ?"),
        ("every 5 day at 4:30 pm only in September", "0 30 16 */5 SEP ?"),
        ("every 5 day at 4:30 pm Monday through Thursday", "0 30 16 ? * MON-THU"),
        ("Run every day from January to March", "0 0 0 */1 JAN-MAR ?"),
        ("Run every 3 days at noon", "0 0 12 */3 * ?"),
        ("Run every 2nd day of the month", "0 0 0 2 * ?"),
        ("on Sunday at 12:00", "0 0 12 ? * SUN"),
        ("7pm every Thursday", "0 0 19 ? * THU"),
        ("midnight on Tuesdays", "0 0 0 ? * TUE"),
        ("Run at 5:15am every Tuesday", "0 15 5 ? * TUE"),
        ("Run at 12:15 pm", "0 15 12 * * ?"),
        ("Run every 3 hours", "0 0 0/3 * * ?"),
        ("Run every hour only on weekends", "0 0 * ? * SAT,SUN"),
        ("Every 2 seconds, only on thursday", "0/2 * * ? * THU"),
        (
            "Run every 10 seconds Monday through thursday between 6:00 am and 8:00 pm",
            "0/10 * 6-20 ? * MON-THU",
        ),
        ("Run every 10 minutes Monday through Friday every month", "0 0/10 * ? * MON-FRI"),
        ("Run every 15 minutes on weekdays", "0 0/15 * ? * MON-FRI"),
        ("Monday and Friday at 08:30", "0 30 8 ? * MON,FRI"),
        ("every hour between 9 am and 5 pm", "0 0 9-17 * * ?"),
        ("daily", "0 0 0 */1 * ?"),
    ],
)
def test_english_phrases_become_komodos_cron(english: str, cron: str) -> None:
    assert english_to_cron(english) == cron


@pytest.mark.parametrize(
    ("english", "why"),
    [
        ("", "it is empty"),
        ("sometimes", "'sometimes' is not understood"),
        ("every 0 minutes", "every 0 minutes never runs"),
        ("at 25:00", "'25:00' is not a time of day"),
        ("every day at 13 pm", "13 pm is not a time"),
        ("every day in 2026", "a year (2026) cannot be scheduled"),
        ("every 5 minutes every 2 hours", "two frequencies"),
        ("Friday through Monday", "runs backwards"),
    ],
)
def test_english_that_cannot_be_read_says_why(english: str, why: str) -> None:
    with pytest.raises(EnglishScheduleError, match=re.escape(why)):
        english_to_cron(english)


def ms(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, tz: str = "UTC") -> int:
    return int(datetime(year, month, day, hour, minute, second, tzinfo=ZoneInfo(tz)).timestamp() * 1000)


def shown(at: int, tz: str) -> str:
    return datetime.fromtimestamp(at / 1000, ZoneInfo(tz)).isoformat()


def fires(schedule: str, tz: str, after: int, n: int, fmt: ScheduleFormat = ScheduleFormat.Cron) -> list[str]:
    out = []
    for _ in range(n):
        after = next_run(fmt, schedule, tz, "", after)
        out.append(shown(after, tz))
    return out


def test_cron_with_seconds_and_question_mark() -> None:
    start = ms(2026, 6, 1, 12, 0, 0)
    assert fires("*/2 * * * * *", "UTC", start, 3) == [
        "2026-06-01T12:00:02+00:00",
        "2026-06-01T12:00:04+00:00",
        "2026-06-01T12:00:06+00:00",
    ]
    assert fires("0 0 3 * * ?", "UTC", start, 2) == ["2026-06-02T03:00:00+00:00", "2026-06-03T03:00:00+00:00"]
    assert fires("0 0 9 ? * MON", "UTC", start, 1) == ["2026-06-08T09:00:00+00:00"]  # 1 June 2026 is a Monday
    assert fires("@daily", "UTC", start, 1) == ["2026-06-02T00:00:00+00:00"]


def test_both_day_fields_must_match_as_croners_dom_and_dow() -> None:
    # The 1st of a month that is a Monday (cronsim alone would take the 1st OR any Monday).
    assert fires("0 0 0 1 * MON", "UTC", ms(2026, 3, 8, 6), 2) == [
        "2026-06-01T00:00:00+00:00",
        "2027-02-01T00:00:00+00:00",
    ]


def test_english_next_run_in_a_time_zone() -> None:
    start = ms(2026, 6, 1, 12, 0, 0)  # 08:00 in New York
    assert fires("Every day at 03:00", NY, start, 1, ScheduleFormat.English) == ["2026-06-02T03:00:00-04:00"]
    assert fires("Every 5 minutes", NY, start, 2, ScheduleFormat.English) == [
        "2026-06-01T08:05:00-04:00",
        "2026-06-01T08:10:00-04:00",
    ]


def test_spring_forward_runs_a_skipped_time_once_an_hour_later() -> None:
    # 8 March 2026, New York: 02:00 EST jumps to 03:00 EDT; 02:30 does not exist that day.
    assert fires("0 30 2 * * *", NY, ms(2026, 3, 8, 0, tz=NY), 3) == [
        "2026-03-08T03:30:00-04:00",
        "2026-03-09T02:30:00-04:00",
        "2026-03-10T02:30:00-04:00",
    ]


def test_fall_back_runs_a_repeated_time_once() -> None:
    # 1 November 2026, New York: 02:00 EDT goes back to 01:00 EST; 01:30 happens twice, it runs the first time.
    assert fires("0 30 1 * * *", NY, ms(2026, 11, 1, 0, tz=NY), 3) == [
        "2026-11-01T01:30:00-04:00",
        "2026-11-02T01:30:00-05:00",
        "2026-11-03T01:30:00-05:00",
    ]


def test_fall_back_keeps_the_pace_of_a_frequent_schedule() -> None:
    assert fires("0 */20 * * * *", NY, ms(2026, 11, 1, 1, 20, tz=NY), 4) == [
        "2026-11-01T01:40:00-04:00",
        "2026-11-01T01:00:00-05:00",
        "2026-11-01T01:20:00-05:00",
        "2026-11-01T01:40:00-05:00",
    ]


@pytest.mark.parametrize(
    ("cron", "why"),
    [
        ("0 0 3 * *", "has 5 fields; it needs 6, seconds first"),
        ("0 0 25 * * *", "Bad hour"),
        ("x 0 3 * * *", "Bad second"),
        ("0 0 0 31 2 *", "Bad day-of-month"),
        ("0 0 0 * * FUNDAY", "Bad day-of-week"),
    ],
)
def test_bad_cron_says_which_field(cron: str, why: str) -> None:
    with pytest.raises(ScheduleError, match=why):
        next_run(ScheduleFormat.Cron, cron, "UTC", "", ms(2026, 1, 1, 0))


def test_time_zones() -> None:
    assert zone("Europe/Berlin").key == "Europe/Berlin"
    assert zone("", "Asia/Tokyo").key == "Asia/Tokyo"  # the core's KOMODO_TIMEZONE
    assert zone("", "").key in (host_zone_name() or "UTC", "UTC")
    with pytest.raises(ScheduleError, match="unknown time zone 'Mars/Olympus'"):
        zone("Mars/Olympus")
    assert cron_of(ScheduleFormat.Cron, "  0 0 3 * * ?  ") == "0 0 3 * * ?"


def config(schedule: str, fmt: ScheduleFormat = ScheduleFormat.English, tz: str = "") -> SimpleNamespace:
    return SimpleNamespace(schedule=schedule, schedule_format=fmt, schedule_timezone=tz)


def test_check_schedule_names_the_field() -> None:
    check_schedule(config(""), "")
    check_schedule(config("", tz="Nowhere/At All"), "")  # no schedule: nothing runs, nothing to check
    check_schedule(config("Every day at 03:00", tz=NY), "")
    with pytest.raises(
        BadRequest, match=re.escape("config.schedule: cannot read the English schedule 'whenever'")
    ):
        check_schedule(config("whenever"), "")
    with pytest.raises(
        BadRequest, match=re.escape("config.schedule: the cron schedule '0 0 99 * * *' is not valid")
    ):
        check_schedule(config("0 0 99 * * *", ScheduleFormat.Cron), "")
    with pytest.raises(
        BadRequest, match=re.escape("config.schedule_timezone: unknown time zone 'Moon/Base'")
    ):
        check_schedule(config("Every day at 03:00", tz="Moon/Base"), "")


def test_next_run_is_strictly_after() -> None:
    at = datetime(2026, 6, 1, 3, 0, 0, tzinfo=UTC)
    stamp = int(at.timestamp() * 1000)
    assert next_run(ScheduleFormat.Cron, "0 0 3 * * *", "UTC", "", stamp) == stamp + 86_400_000
