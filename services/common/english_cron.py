"""English schedules ("Every day at 03:00", "Every 5 minutes", "Every Monday at 09:00") to 6-field cron.

Komodo reads `schedule_format = "English"` with the Rust `english-to-cron` crate and drops the year field of
its answer; this is a small reader of the same phrases, written for Varanus, that answers the same 6 fields
(`sec min hour day-of-month month day-of-week`, `?` for "any" day as the crate writes it):

- a frequency: `every [N] second(s) | minute(s) | hour(s) | day(s)` (also `hourly`, `daily`);
- a time: `at 03:00`, `at 3:00 am`, `4:30pm`, `7pm`, `noon`, `midnight` (`HH:MM:SS` too);
- `between 6:00 am and 8:00 pm`: the hours of a frequency;
- days of the week: `Monday`, `on Mondays`, `every Monday`, `Monday through Friday`, `Mon and Thu`, `weekdays`,
  `weekends`;
- days of the month: `on the 1st and 15th (of the month)`, `every 2nd day of the month`;
- months: `in September`, `from January to March`;
- words that say nothing are skipped: `run`, `fire`, `only`, `on`, `the`, `of`, `at`, `in`, `every month`, ...

Anything else is refused with the word that could not be read, so a schedule that would not run as written
is a 400 when it is stored, not a silent surprise. A year (`in 2026`) is refused too (Komodo drops it and
runs every year).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

WEEKDAYS = {
    "sunday": "SUN",
    "monday": "MON",
    "tuesday": "TUE",
    "wednesday": "WED",
    "thursday": "THU",
    "friday": "FRI",
    "saturday": "SAT",
}
"""Day names as cron writes them."""
WEEKDAY_ORDER = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
MONTHS = {
    "january": "JAN",
    "february": "FEB",
    "march": "MAR",
    "april": "APR",
    "may": "MAY",
    "june": "JUN",
    "july": "JUL",
    "august": "AUG",
    "september": "SEP",
    "october": "OCT",
    "november": "NOV",
    "december": "DEC",
}
"""Month names as cron writes them."""
UNITS = {
    "second": "second",
    "sec": "second",
    "minute": "minute",
    "min": "minute",
    "hour": "hour",
    "day": "day",
}
"""Frequency units (singular; plurals are folded before the lookup)."""
ADVERBS = {"hourly": "hour", "daily": "day"}
FILLER = {
    "run",
    "fire",
    "only",
    "on",
    "the",
    "of",
    "at",
    "in",
    "a",
    "and",
    "from",
    "every",
    "each",
    "starting",
}
"""Words that carry no meaning of their own once the words around them are read."""
RANGE_WORDS = {"through", "thru", "to", "until", "-"}

_TIME = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_ORDINAL = re.compile(r"^(\d{1,2})(st|nd|rd|th)$")


class EnglishScheduleError(ValueError):
    """An English schedule that cannot be read; the message says which word and why."""


def _singular(word: str) -> str:
    if word.endswith("s") and word[:-1] in UNITS | WEEKDAYS | {"weekday": "", "weekend": ""}:
        return word[:-1]
    return word


def _day_name(word: str) -> str | None:
    word = _singular(word)
    if word in WEEKDAYS:
        return WEEKDAYS[word]
    for name, cron in WEEKDAYS.items():
        if len(word) >= 3 and name.startswith(word):
            return cron
    return None


def _month_name(word: str) -> str | None:
    if word in MONTHS:
        return MONTHS[word]
    for name, cron in MONTHS.items():
        if len(word) >= 3 and name.startswith(word) and word != "mon":
            return cron
    return None


def tokens(text: str) -> list[str]:
    """The words of a schedule: lower case, commas dropped, `5:15am` / `7pm` split from their meridiem."""
    spaced = re.sub(r"(\d)(am|pm|a\.m\.|p\.m\.)\b", r"\1 \2", text.lower().replace(",", " "))
    spaced = spaced.replace("a.m.", "am").replace("p.m.", "pm")
    return spaced.split()


@dataclass
class _Reading:
    """What the words said so far."""

    unit: str | None = None
    step: int = 1
    time: tuple[int, int, int] | None = None
    hours: tuple[int, int] | None = None
    weekdays: list[str] = field(default_factory=list)
    month_days: list[int] = field(default_factory=list)
    months: list[str] = field(default_factory=list)


class _Reader:
    def __init__(self, text: str) -> None:
        self.text = text
        self.words = tokens(text)
        self.i = 0
        self.r = _Reading()

    def peek(self, ahead: int = 0) -> str:
        at = self.i + ahead
        return self.words[at] if at < len(self.words) else ""

    def fail(self, why: str) -> EnglishScheduleError:
        return EnglishScheduleError(f"cannot read the English schedule {self.text!r}: {why}")

    def time_at(self, ahead: int = 0) -> tuple[tuple[int, int, int], int] | None:
        """A time starting `ahead` words on, and how many words it takes, or None."""
        word, after = self.peek(ahead), self.peek(ahead + 1)
        if word == "noon":
            return (12, 0, 0), 1
        if word == "midnight":
            return (0, 0, 0), 1
        match = _TIME.match(word)
        if match:
            hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
            taken = 1
        elif word.isdigit() and after in ("am", "pm"):
            hour, minute, second, taken = int(word), 0, 0, 1
        else:
            return None
        if after in ("am", "pm"):
            if not 1 <= hour <= 12:
                raise self.fail(f"{word} {after} is not a time")
            hour = hour % 12 + (12 if after == "pm" else 0)
            taken += 1
        if hour > 23 or minute > 59 or second > 59:
            raise self.fail(f"{word!r} is not a time of day")
        return (hour, minute, second), taken

    def read(self) -> _Reading:
        if not self.words:
            raise self.fail("it is empty")
        while self.i < len(self.words):
            self.step()
        return self.r

    def step(self) -> None:
        word, r = self.peek(), self.r
        if word in ("every", "each"):
            self.frequency()
            return
        if word == "between":
            self.between()
            return
        found = self.time_at()
        if found is not None:
            if r.time is not None and r.time != found[0]:
                raise self.fail("it names two times of day")
            r.time = found[0]
            self.i += found[1]
            return
        if word in ADVERBS:
            self.set_unit(ADVERBS[word], 1)
            self.i += 1
            return
        if _singular(word) in ("weekday", "weekend"):
            days = ["MON-FRI"] if _singular(word) == "weekday" else ["SAT", "SUN"]
            r.weekdays += [d for d in days if d not in r.weekdays]
            self.i += 1
            return
        if _day_name(word):
            self.day_names()
            return
        if _month_name(word):
            self.month_names()
            return
        ordinal = _ORDINAL.match(word)
        if ordinal:
            day = int(ordinal[1])
            if not 1 <= day <= 31:
                raise self.fail(f"{word!r} is not a day of the month")
            if day not in r.month_days:
                r.month_days.append(day)
            self.i += 1
            if self.peek() == "day":
                self.i += 1
            return
        if word.isdigit() and len(word) == 4:
            raise self.fail(f"a year ({word}) cannot be scheduled")
        if word in FILLER or word in ("month", "months"):
            self.i += 1
            return
        raise self.fail(f"{word!r} is not understood")

    def set_unit(self, unit: str, step: int) -> None:
        if self.r.unit is not None and (self.r.unit, self.r.step) != (unit, step):
            raise self.fail("it names two frequencies")
        if step < 1:
            raise self.fail(f"every {step} {unit}s never runs")
        self.r.unit, self.r.step = unit, step

    def frequency(self) -> None:
        """`every [N] unit`; in `every Monday`, `every 2nd day`, `every month` the `every` is skipped and the words
        that follow say the rest."""
        nxt = self.peek(1)
        if nxt == "other" and _singular(self.peek(2)) in UNITS:
            self.set_unit(UNITS[_singular(self.peek(2))], 2)
            self.i += 3
            return
        if nxt.isdigit() and _singular(self.peek(2)) in UNITS:
            self.set_unit(UNITS[_singular(self.peek(2))], int(nxt))
            self.i += 3
            return
        if _singular(nxt) in UNITS:
            self.set_unit(UNITS[_singular(nxt)], 1)
            self.i += 2
            return
        self.i += 1

    def between(self) -> None:
        start = self.time_at(1)
        if start is None:
            raise self.fail("'between' needs a time after it")
        joint = self.peek(1 + start[1])
        end = self.time_at(2 + start[1])
        if joint not in ("and", "to") or end is None:
            raise self.fail("'between' needs two times ('between 9:00 am and 5:00 pm')")
        if end[0][0] < start[0][0]:
            raise self.fail("'between' needs the earlier hour first")
        self.r.hours = (start[0][0], end[0][0])
        self.i += 2 + start[1] + end[1]

    def day_names(self) -> None:
        """`Monday`, `Monday through Friday`, `Monday and Thursday` (lists and ranges)."""
        while True:
            first = _day_name(self.peek())
            if first is None:
                return
            self.i += 1
            last = _day_name(self.peek(1)) if self.peek() in RANGE_WORDS else None
            if last is not None:
                self.i += 2
                a, b = WEEKDAY_ORDER.index(first), WEEKDAY_ORDER.index(last)
                if b < a:
                    raise self.fail(f"{first}-{last} runs backwards (weeks start on Sunday)")
                days = [f"{first}-{last}"]
            else:
                days = [first]
            self.r.weekdays += [d for d in days if d not in self.r.weekdays]
            if self.peek() == "and" and _day_name(self.peek(1)):
                self.i += 1

    def month_names(self) -> None:
        while True:
            first = _month_name(self.peek())
            if first is None:
                return
            self.i += 1
            last = _month_name(self.peek(1)) if self.peek() in RANGE_WORDS else None
            if last is not None:
                self.i += 2
                months = list(MONTHS.values())
                if months.index(last) < months.index(first):
                    raise self.fail(f"{first}-{last} runs backwards")
                entry = f"{first}-{last}"
            else:
                entry = first
            if entry not in self.r.months:
                self.r.months.append(entry)
            if self.peek() == "and" and _month_name(self.peek(1)):
                self.i += 1


def english_to_cron(text: str) -> str:
    """The 6-field cron (`sec min hour dom month dow`) of an English schedule; raises EnglishScheduleError."""
    reader = _Reader(text)
    r = reader.read()
    if r.unit is None and r.time is None and not (r.weekdays or r.month_days or r.months):
        raise reader.fail("it says neither how often nor when")
    hour, minute, second = r.time if r.time is not None else (0, 0, 0)
    hours = f"{r.hours[0]}-{r.hours[1]}" if r.hours else "*"
    if r.hours and r.unit in (None, "day"):
        raise reader.fail("'between' needs a frequency of seconds, minutes or hours")
    day = "*"
    if r.unit == "second":
        sec, mins, hrs = ("*" if r.step == 1 else f"0/{r.step}"), "*", hours
        if r.time is not None:
            mins, hrs = str(minute), str(hour)
    elif r.unit == "minute":
        sec, mins, hrs = "0", ("*" if r.step == 1 else f"0/{r.step}"), hours
        if r.time is not None:
            hrs = str(hour)
    elif r.unit == "hour":
        sec, mins = str(second), str(minute)
        if r.hours:
            hrs = hours if r.step == 1 else f"{hours}/{r.step}"
        else:
            hrs = "*" if r.step == 1 else f"0/{r.step}"
    else:
        sec, mins, hrs = str(second), str(minute), str(hour)
        if r.unit == "day":
            day = f"*/{r.step}"
    if r.month_days:
        day = ",".join(str(d) for d in sorted(r.month_days))
    month = ",".join(r.months) if r.months else "*"
    if r.weekdays:
        weekday = ",".join(r.weekdays)
        if not r.month_days:
            day = "?"
    else:
        weekday = "?"
    return " ".join([sec, mins, hrs, day, month, weekday])
