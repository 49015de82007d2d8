"""Resolve the date and time expressions people type into ISO values.

Everything here is deterministic and relative to an explicit ``now``, so tests,
evals and the dataset generator can pin the clock. Two entry points:

* :func:`resolve_date` / :func:`resolve_datetime` turn a whole expression
  ("Friday", "tomorrow at 9am", "in two days", "2026-03-15", "7am on the 4th of
  January", "this weekend") into a value; tool arguments such as ``due_date`` and
  ``remind_at`` arrive in the user's own words and are resolved here;
* :func:`find_when` locates the first date expression inside a sentence, with any time
  right before or after it, which the rule-based planner uses to pull a due date out of
  free text (its ``start``/``end`` span is cut out of the title).

Conventions:

* a bare weekday means its next occurrence, today included ("Friday" on a Friday is
  today); "next <weekday>" is the occurrence strictly after today;
* "next week" is the Monday strictly after today; "Wednesday next week" / "next week
  Wednesday" is that week's Wednesday and "end of next week" its Friday;
* "this weekend" is the coming Saturday (today on a Saturday or a Sunday); "next
  weekend" is the Saturday a week after this weekend's (six days ahead on a Sunday);
* a month-day already past this year rolls over to next year; a day of the month alone
  ("the 20th") is the next such date on or after today, skipping months that lack it;
* a weekday written before a full date ("Wed, 2026-02-24") is decoration: the date wins;
* an hour without am/pm ("at 3", "3:30", "3 o'clock"; a bare number needs "at") reads
  7-11 as morning, 12 as noon and 1-6 as afternoon, unless a nearby "morning"/"evening"/
  "tonight" says otherwise; a leading zero or an hour from 13 up is read on the 24-hour
  clock ("at 05", "at 17"); "lunch" is 12:00;
* a time alone ("at 5pm", "lunch") is today, or tomorrow once it has passed; a date
  without a time defaults to 09:00 where a datetime is needed.

Inside a sentence :func:`find_when` is more careful than the whole-text resolvers:
words that are dates only sometimes ("sat", "the 3rd", "the weekend", "lunch") count
only next to a date cue ("on the 3rd", "by the weekend", "at lunch").
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

__all__ = [
    "BeforeDue",
    "DateParseError",
    "When",
    "before_due_at",
    "find_before_due",
    "find_when",
    "resolve_date",
    "resolve_datetime",
    "shortly_before",
]


class DateParseError(ValueError):
    """Raised when a text is not a date expression we understand."""


WEEKDAYS = {
    "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
    "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4,
    "saturday": 5, "sat": 5, "sunday": 6, "sun": 6,
}  # fmt: skip
MONTHS = (
    {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
    | {name.lower(): i for i, name in enumerate(calendar.month_abbr) if name}
    | {"sept": 9}
)
NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "fifteen": 15, "twenty": 20, "thirty": 30, "couple": 2, "few": 3,
}  # fmt: skip
DAY_PARTS = {
    "morning": time(9), "noon": time(12), "midday": time(12), "lunchtime": time(12),
    "lunch": time(12), "afternoon": time(15), "evening": time(18), "tonight": time(20),
    "night": time(20), "midnight": time(0), "eod": time(17), "end of day": time(17),
    "end of the day": time(17),
}  # fmt: skip
DEFAULT_TIME = time(9)

_WD = r"(?P<wd>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")"
_WD_PREFIX = rf"(?:{_WD}\.?,?\s+)?"  # "Wed, 2026-02-24": the weekday is decoration
_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = (
    r"(?P<n>\d+|(?:a\s+)?couple(?:\s+of)?|(?:a\s+)?few|"
    + "|".join(sorted(set(NUMBER_WORDS) - {"couple", "few"}, key=len, reverse=True))
    + r")"
)
_UNIT = r"(?P<unit>minute|min|hour|hr|day|week|wk|fortnight|month|year)s?"
_TIME = (
    r"(?:(?:at|@|by)\s+)?(?:(?P<hh>\d{1,2})(?::(?P<mm>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)"
    r"|(?P<hh24>[01]?\d|2[0-3]):(?P<mm24>[0-5]\d)"
    r"|(?P<hoc>[01]?\d|2[0-3])\s*o'?\s*clock"
    r"|(?:in\s+the\s+)?(?P<part>" + "|".join(sorted(DAY_PARTS, key=len, reverse=True)) + r"))"
    # A bare hour needs "at": "at 3" is a time, "3" alone is not.
    r"|(?:at\s+|@\s*)(?P<hb>[01]?\d|2[0-3])(?![\w:]|\.\d)"
)
_CLOCK_GROUPS = ("hh", "hh24", "hoc", "hb")


@dataclass(frozen=True)
class When:
    """A date expression found in a text: its span, its value, and whether it had a time."""

    start: int
    end: int
    value: datetime
    has_time: bool


def _number(token: str) -> int:
    token = re.sub(r"^a\s+|\s+of$", "", token.lower())
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _weekday_on_or_after(today: date, weekday: int, strictly_after: bool = False) -> date:
    delta = (weekday - today.weekday()) % 7
    if delta == 0 and strictly_after:
        delta = 7
    return today + timedelta(days=delta)


def _next_week_monday(today: date) -> date:
    return _weekday_on_or_after(today, 0, strictly_after=True)


def _this_weekend(today: date) -> date:
    """The Saturday of the weekend we are in or about to be in (yesterday on a Sunday)."""
    if today.weekday() == 6:
        return today - timedelta(days=1)
    return _weekday_on_or_after(today, 5)


def _month_day(now: datetime, month: int, day: int, year: int | None) -> date:
    try:
        candidate = date(year or now.year, month, day)
    except ValueError as exc:
        raise DateParseError(f"{calendar.month_name[month]} {day} is not a real date") from exc
    if year is None and candidate < now.date():
        candidate = candidate.replace(year=now.year + 1)
    return candidate


def _is_clock(m: re.Match[str]) -> bool:
    return any(m.group(name) is not None for name in _CLOCK_GROUPS)


def _meridiem(context: str) -> str | None:
    """'am' or 'pm' when a day part near an hour settles which half of the day it is."""
    if re.search(r"morning", context, re.IGNORECASE):
        return "am"
    if re.search(r"afternoon|evening|tonight|night", context, re.IGNORECASE):
        return "pm"
    return None


def _guess_hour(hour: int, meridiem: str | None) -> int:
    if hour == 12:
        return 12
    if meridiem is not None:
        return hour + (12 if meridiem == "pm" else 0)
    return hour if hour >= 7 else hour + 12  # "at 9" is 09:00, "at 3" is 15:00


def _time_of(m: re.Match[str], meridiem: str | None = None) -> time | None:
    groups = m.groupdict()
    if groups.get("hh"):
        hour, minute = int(groups["hh"]), int(groups.get("mm") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise DateParseError(f"'{m.group(0).strip()}' is not a valid time")
        is_pm = groups["ampm"].lower().startswith("p")
        return time(hour % 12 + (12 if is_pm else 0), minute)
    for name, minutes in (("hh24", "mm24"), ("hoc", None), ("hb", None)):
        raw = groups.get(name)
        if raw is not None:
            hour = int(raw)
            if not raw.startswith("0") and 1 <= hour <= 12:  # no am/pm, no 24-hour clue
                hour = _guess_hour(hour, meridiem)
            return time(hour, int(groups[minutes]) if minutes else 0)
    if groups.get("part"):
        return DAY_PARTS[re.sub(r"\s+", " ", groups["part"].lower())]
    return None


# Each rule is (pattern, resolver) plus an optional guard that, inside a sentence, says
# whether a match is really a date ("on the 3rd" is, "the 3rd floor" is not). A resolver
# returns the day, or a full datetime when the expression carries its own time ("in 2
# hours"). Order matters only between matches of the same span; otherwise the earliest,
# then the longest match wins, so "next friday" is not read as "friday".
Resolver = Callable[[re.Match[str], datetime], date | datetime]
Guard = Callable[[re.Match[str], str], bool]
_RULES: list[tuple[re.Pattern[str], re.Pattern[str], Resolver, Guard | None]] = []


def _rule(pattern: str, guard: Guard | None = None) -> Callable[[Resolver], Resolver]:
    def register(func: Resolver) -> Resolver:
        whole = re.compile(pattern, re.IGNORECASE)
        inside = re.compile(r"(?<![\w-])(?:" + pattern + r")(?![\w-])", re.IGNORECASE)
        _RULES.append((whole, inside, func, guard))
        return func

    return register


_CUE_BEFORE = re.compile(
    r"(?:\b(?:on|by|due|until|till|til|before|for|from|starting|remind\s+me)\s+)$"
    # "push back 'VAT filing' to the 30th", "move it to the 3rd"
    r"|\b(?:move|moved|push|pushed|bump|postpone|reschedule|delay|shift|change)\b.{0,80}?\bto\s+$",
    re.IGNORECASE,
)
_DATE_ENDS = (
    r"\s*(?:$|[,.;:!?)\-]|(?:at|to|about|that|and|or|in|for|please|pls|then|so|because|if|"
    r"when|with|by|before|i|we|remind)\b"
)
_FOLLOWS_A_DATE = re.compile(_DATE_ENDS + "|" + _TIME + r")", re.IGNORECASE)
_FOLLOWS_A_TIME = re.compile(
    _DATE_ENDS + r"|(?:on|today|tonight|tomorrow|this|next|sharp)\b|" + _WD + r"\b)", re.IGNORECASE
)


def _ordinal_is_a_date(m: re.Match[str], text: str) -> bool:
    """'on the 3rd' or 'due the 20th' are dates; 'the 3rd floor', 'my 20th birthday' not."""
    cued = (
        m.group("wd") is not None
        or re.match(r"on\s", m.group(0), re.IGNORECASE) is not None
        or _CUE_BEFORE.search(text[: m.start()]) is not None
    )
    return cued and _FOLLOWS_A_DATE.match(text, m.end()) is not None


def _weekend_is_a_date(m: re.Match[str], text: str) -> bool:
    """'this weekend', 'over the weekend', 'by the weekend' are dates; 'weekend trip' not."""
    if re.match(r"(?:this|next|coming|over|at|on|during)\s", m.group(0), re.IGNORECASE):
        return True
    return _CUE_BEFORE.search(text[: m.start()]) is not None


@_rule(
    _WD_PREFIX + r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})"
    r"(?:[t\s](?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?)?"
)
def _iso(m: re.Match[str], now: datetime) -> date | datetime:
    try:
        day = date(int(m["y"]), int(m["m"]), int(m["d"]))
        if m["H"] is not None:
            return datetime.combine(day, time(int(m["H"]), int(m["M"])))
    except ValueError as exc:
        raise DateParseError(f"'{m.group(0)}' is not a real date") from exc
    return day


@_rule(r"(?:the\s+)?day\s+after\s+tomorrow")
def _day_after_tomorrow(m: re.Match[str], now: datetime) -> date:
    return now.date() + timedelta(days=2)


@_rule(r"today|tonight|this\s+(?:morning|afternoon|evening)|eod|end\s+of\s+(?:the\s+)?day")
def _today(m: re.Match[str], now: datetime) -> date:
    return now.date()


@_rule(r"tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow")
def _tomorrow(m: re.Match[str], now: datetime) -> date:
    return now.date() + timedelta(days=1)


@_rule(r"yesterday")
def _yesterday(m: re.Match[str], now: datetime) -> date:
    return now.date() - timedelta(days=1)


@_rule(rf"{_NUM}\s+{_UNIT}\s+from\s+(?:now|today)")
@_rule(rf"in\s+{_NUM}\s+{_UNIT}")
def _in_n_units(m: re.Match[str], now: datetime) -> date | datetime:
    amount, unit = _number(m["n"]), m["unit"].lower()
    if unit in ("minute", "min"):
        return now + timedelta(minutes=amount)
    if unit in ("hour", "hr"):
        return now + timedelta(hours=amount)
    if unit == "day":
        return now.date() + timedelta(days=amount)
    if unit in ("week", "wk"):
        return now.date() + timedelta(weeks=amount)
    if unit == "fortnight":
        return now.date() + timedelta(weeks=2 * amount)
    if unit == "month":
        return _add_months(now.date(), amount)
    return _add_months(now.date(), 12 * amount)


@_rule(r"in\s+half\s+an\s+hour|half\s+an\s+hour\s+from\s+now")
def _in_half_an_hour(m: re.Match[str], now: datetime) -> datetime:
    return now + timedelta(minutes=30)


@_rule(r"(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week|eow")
def _end_of_week(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), 4)


@_rule(r"(?:by\s+)?(?:the\s+)?end\s+of\s+next\s+week")
def _end_of_next_week(m: re.Match[str], now: datetime) -> date:
    return _next_week_monday(now.date()) + timedelta(days=4)


@_rule(r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom")
def _end_of_month(m: re.Match[str], now: datetime) -> date:
    today = now.date()
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


@_rule(r"next\s+week")
def _next_week(m: re.Match[str], now: datetime) -> date:
    return _next_week_monday(now.date())


@_rule(rf"(?:on\s+)?{_WD}\s+(?:of\s+)?next\s+week")
@_rule(rf"next\s+week(?:\s+on|,)?\s+{_WD}(?!\w)")
def _weekday_next_week(m: re.Match[str], now: datetime) -> date:
    return _next_week_monday(now.date()) + timedelta(days=WEEKDAYS[m["wd"].lower()])


@_rule(r"next\s+month")
def _next_month(m: re.Match[str], now: datetime) -> date:
    return _add_months(now.date().replace(day=1), 1)


@_rule(r"(?:(?:over|at|on|during)\s+)?(?:this\s+(?:coming\s+)?|the\s+|coming\s+)?weekend",
       _weekend_is_a_date)  # fmt: skip
def _weekend(m: re.Match[str], now: datetime) -> date:
    today = now.date()
    return today if today.weekday() == 6 else _this_weekend(today)


@_rule(r"next\s+weekend")
def _next_weekend(m: re.Match[str], now: datetime) -> date:
    return _this_weekend(now.date()) + timedelta(days=7)


@_rule(rf"next\s+{_WD}")
def _next_weekday(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), WEEKDAYS[m["wd"].lower()], strictly_after=True)


@_rule(rf"(?:this\s+(?:coming\s+)?|coming\s+|on\s+)?{_WD}(?!\w)")
def _weekday(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), WEEKDAYS[m["wd"].lower()])


@_rule(rf"{_WD_PREFIX}{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?(?!\d)")
def _month_then_day(m: re.Match[str], now: datetime) -> date:
    return _month_day(now, MONTHS[m["mon"].lower()], int(m["d"]), int(m["y"]) if m["y"] else None)


@_rule(
    rf"{_WD_PREFIX}(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}"
    r"(?:,?\s+(?P<y>\d{4}))?"
)
def _day_then_month(m: re.Match[str], now: datetime) -> date:
    return _month_day(now, MONTHS[m["mon"].lower()], int(m["d"]), int(m["y"]) if m["y"] else None)


@_rule(
    rf"(?:on\s+)?{_WD_PREFIX}(?:the\s+)?(?P<d>3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)"
    r"(?:\s+of\s+(?P<which>the|next)\s+month)?",
    _ordinal_is_a_date,
)
def _day_of_month(m: re.Match[str], now: datetime) -> date:
    """'the 20th': the next 20th on or after today; 'the 3rd of next month': next month's."""
    day, today = int(m["d"]), now.date()
    if (m["which"] or "").lower() == "next":
        first = _add_months(today.replace(day=1), 1)
        if day > calendar.monthrange(first.year, first.month)[1]:
            raise DateParseError(f"{calendar.month_name[first.month]} has no day {day}")
        return first.replace(day=day)
    first = today.replace(day=1)
    for months in range(13):  # every day of the month occurs within a few months
        month = _add_months(first, months)
        if day <= calendar.monthrange(month.year, month.month)[1]:
            candidate = month.replace(day=day)
            if candidate >= today:
                return candidate
    raise DateParseError(f"there is no day {day} in any month")  # pragma: no cover


@_rule(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}))?(?![\d/])")
def _slashed(m: re.Match[str], now: datetime) -> date:
    month, day = int(m["m"]), int(m["d"])
    if not 1 <= month <= 12:
        raise DateParseError(f"'{m.group(0)}' is not a month/day date")
    return _month_day(now, month, day, int(m["y"]) if m["y"] else None)


_TIME_RE = re.compile(r"(?<!\w)(?:" + _TIME + r")(?!\w)", re.IGNORECASE)
_TIME_ONLY_RE = re.compile(r"^\s*(?:" + _TIME + r")\s*$", re.IGNORECASE)
_TIME_AFTER_RE = re.compile(r"\s*,?\s*(?:" + _TIME + r")(?!\w)", re.IGNORECASE)
_TIME_BEFORE_RE = re.compile(r"(?<![\w:])(?:" + _TIME + r")\s*,?\s*(?:on\s+)?$", re.IGNORECASE)


_AMBIGUOUS = {"sat", "sun", "wed", "mon", "tue", "thu", "mar", "may", "jun", "jan", "aug"}


def _is_ambiguous_abbreviation(m: re.Match[str], text: str) -> bool:
    """'sat nav' or 'the sun' are not dates; only trust short forms after a date cue."""
    words = m.group(0).lower().split()
    if not any(word.strip(".") in _AMBIGUOUS for word in words) or any(
        ch.isdigit() for ch in m.group(0)
    ):
        return False
    if words[0] in ("on", "by", "next", "this", "coming"):
        return False
    return (
        re.search(r"(?:on|by|due|until|before|next|this)\s+$", text[: m.start()], re.IGNORECASE)
        is None
    )


def _is_cued(m: re.Match[str]) -> bool:
    return re.match(r"(?:at|by)\s|@", m.group(0).lstrip(" ,"), re.IGNORECASE) is not None


def _trusted_time(m: re.Match[str]) -> bool:
    """Inside a sentence "lunch" is a time only as "at lunch" ("pack lunch" is a task), and
    a bare hour only where a date could end ("at 5 to call mom", not "at 3 desks")."""
    if m.group("hb") is not None:
        return _FOLLOWS_A_TIME.match(m.string, m.end()) is not None
    return (m.group("part") or "").lower() != "lunch" or _is_cued(m)


def _match_day(
    text: str, now: datetime, anywhere: bool
) -> tuple[re.Match[str], date | datetime] | None:
    best: tuple[re.Match[str], date | datetime] | None = None
    for whole, inside, resolve, guard in _RULES:
        m: re.Match[str] | None
        if anywhere:
            m = next(
                (
                    c
                    for c in inside.finditer(text)
                    if not _is_ambiguous_abbreviation(c, text) and (guard is None or guard(c, text))
                ),
                None,
            )
        else:
            m = whole.fullmatch(text)
        if m and (
            best is None
            or m.start() < best[0].start()
            or (m.start() == best[0].start() and m.end() > best[0].end())
        ):
            best = (m, resolve(m, now))
    return best


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip().strip("'\"").strip()
    # "at" stays before a number: "at 5" is a time, "5" alone is not.
    return re.sub(r"^(?:(?:due|on|by|for)\s+|at\s+(?!\d))", "", text, flags=re.IGNORECASE).rstrip(
        ".!,"
    )


def _combine_times(times: list[re.Match[str]], context: str = "") -> time | None:
    """One time from the pieces found: a clock time wins, read in the light of day parts."""
    clocks = [t for t in times if _is_clock(t)]
    parts = [t for t in times if not _is_clock(t)]
    if clocks:
        return _time_of(clocks[0], _meridiem(" ".join([context, *(p.group(0) for p in parts)])))
    return _time_of(parts[0]) if parts else None


def _split_time(text: str) -> tuple[str, time | None]:
    """Separate the time ("tomorrow evening at 7", "7am on Friday") from the day part."""
    matches = list(_TIME_RE.finditer(text))
    clocks = [m for m in matches if _is_clock(m)]
    used = [m for m in matches if not _is_clock(m)] + clocks[:1]
    at = _combine_times(used)
    for m in sorted(used, key=lambda m: m.start(), reverse=True):
        text = text[: m.start()] + " " + text[m.end() :]
    day_text = re.sub(r"\s+", " ", text).strip(" ,")
    return re.sub(r"^(?:on|by|due|for|at)\s+", "", day_text, flags=re.IGNORECASE), at


def resolve_datetime(
    text: str | date | datetime, now: datetime, default_time: time = DEFAULT_TIME
) -> datetime:
    """Resolve a date/time expression to a naive datetime relative to ``now``."""
    if isinstance(text, datetime):
        return text.replace(tzinfo=None) if text.tzinfo else text
    if isinstance(text, date):
        return datetime.combine(text, default_time)
    raw = _clean(text)
    if not raw:
        raise DateParseError("the date is empty")
    try:  # full ISO forms, including offsets, straight from the standard library
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00"))
        if parsed.tzinfo:
            parsed = parsed.astimezone().replace(tzinfo=None)
        if len(raw) <= 10:  # a bare date
            return datetime.combine(parsed.date(), default_time)
        return parsed
    except ValueError:
        pass
    day_text, at = _split_time(raw)
    if day_text.lower() == "this":  # "this morning": the time-of-day word went to `at`
        day_text = "today"
    if not day_text:  # only a time: today, or tomorrow if it has passed
        if at is None:
            raise DateParseError(f"I couldn't understand the date '{text}'")
        candidate = datetime.combine(now.date(), at)
        return candidate if candidate >= now else candidate + timedelta(days=1)
    found = _match_day(day_text, now, anywhere=False)
    if found is None:
        raise DateParseError(f"I couldn't understand the date '{text}'")
    value = found[1]
    if isinstance(value, datetime):
        return value if at is None else datetime.combine(value.date(), at)
    if at is None and _TIME_ONLY_RE.search(found[0].group(0)) is None:
        part = re.search(r"morning|afternoon|evening|tonight", found[0].group(0), re.IGNORECASE)
        at = DAY_PARTS[part.group(0).lower()] if part else default_time
    return datetime.combine(value, at or default_time)


def resolve_date(text: str | date | datetime, now: datetime) -> date:
    """Resolve a date expression ("Friday", "in two days", "2026-03-15") to a date."""
    if isinstance(text, datetime):
        return text.date()
    if isinstance(text, date):
        return text
    return resolve_datetime(text, now).date()


def _times_after(text: str, pos: int) -> tuple[list[re.Match[str]], int]:
    """Times right after ``pos`` ("Friday evening at 7"): the matches and where they end."""
    times: list[re.Match[str]] = []
    while len(times) < 2 and (m := _TIME_AFTER_RE.match(text, pos)) and _trusted_time(m):
        times.append(m)
        pos = m.end()
    return times, pos


def find_when(text: str, now: datetime) -> When | None:
    """Find the first date expression in a sentence, with any time attached to it."""
    try:
        found = _match_day(text, now, anywhere=True)
    except DateParseError:
        return None
    if found is None:
        # A time alone ("at 5pm", "at lunch") means today, or tomorrow once it has passed.
        for first in _TIME_RE.finditer(text):
            if not _trusted_time(first):
                continue
            times, end = _times_after(text, first.end())
            try:
                alone = _combine_times([first, *times]) or DEFAULT_TIME
            except DateParseError:
                continue
            candidate = datetime.combine(now.date(), alone)
            if candidate < now:
                candidate += timedelta(days=1)
            return When(first.start(), end, candidate, True)
        return None
    m, value = found
    start, end = m.start(), m.end()
    if isinstance(value, datetime):
        return When(start, end, value, True)
    # Look for a time just after ("Friday at 3pm", "tomorrow evening at 7") or just before
    # ("at 3pm Friday", "7am on the 4th of January", "at lunch tomorrow").
    times, after_end = _times_after(text, end)
    before = _TIME_BEFORE_RE.search(text, 0, start)
    use_before = (
        before is not None
        and not any(_is_clock(t) for t in times)
        and (_is_clock(before) or (_is_cued(before) and _trusted_time(before)))
    )
    if before is not None and use_before:
        times.append(before)
    try:
        at = _combine_times(times, m.group(0))
    except DateParseError:
        at, times = None, []
    if at is not None:
        end = after_end if any(t.start() >= end for t in times) else end
        start = before.start() if before is not None and use_before else start
    else:
        part = re.search(r"morning|afternoon|evening|tonight", m.group(0), re.IGNORECASE)
        at = DAY_PARTS[part.group(0).lower()] if part else None
    return When(start, end, datetime.combine(value, at or DEFAULT_TIME), at is not None)


# "the evening before", "two days before", "a week ahead of", "the Friday before", "the
# morning of", "the morning it's due": a time set by a task's due date, not by today
_BEFORE_DUE_RE = re.compile(
    r"\b(?:(?P<n>an?|one|two|three|four|five|six|seven|\d{1,2})\s+(?P<unit>days?|weeks?)\s+"
    r"(?:before|ahead(?:\s+of)?|prior\s+to|beforehand|earlier)"
    r"|(?:the\s+)?(?P<part>evening|night|day|morning|afternoon|lunchtime)\s+before"
    r"|the\s+(?P<weekday>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\s+before"
    r"|(?P<same>(?:on\s+)?the\s+(?:morning|day)\s+(?:of\b|(?:that\s+)?it'?s\s+due|it\s+is\s+due)"
    r"|that\s+morning))",
    re.IGNORECASE,
)
# "an hour before", "half an hour beforehand", "20 minutes before": before a stated time
_SHORTLY_BEFORE_RE = re.compile(
    r"\b(?P<n>an?|one|two|three|half\s+an|\d{1,3})\s+(?P<unit>hours?|hrs?|minutes?|mins?)\s+"
    r"(?:before|beforehand|earlier|ahead)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BeforeDue:
    """A reminder time said relative to a task's due date, and where the text says so."""

    start: int
    end: int
    days: int
    weekday: int | None = None
    at: time | None = None  # the time of day the phrase itself names ("the evening before")


def find_before_due(text: str) -> BeforeDue | None:
    """The first "the evening before" / "two days before" / "the morning of" in ``text``."""
    m = _BEFORE_DUE_RE.search(text)
    if m is None:
        return None
    if m.group("n"):
        days = _number(m.group("n")) * (7 if m.group("unit").lower().startswith("week") else 1)
        return BeforeDue(m.start(), m.end(), days)
    if m.group("part"):
        return BeforeDue(m.start(), m.end(), 1, at=DAY_PARTS.get(m.group("part").lower()))
    if m.group("weekday"):
        return BeforeDue(m.start(), m.end(), 1, weekday=WEEKDAYS[m.group("weekday").lower()])
    return BeforeDue(m.start(), m.end(), 0, at=DAY_PARTS["morning"])


def before_due_at(anchor: BeforeDue, due: date, text: str, now: datetime) -> datetime:
    """When ``anchor`` falls for a task due on ``due``; a time stated beside it wins
    ("the day before at 6pm"), read in the light of its day part ("the evening before at 7")."""
    day = due - timedelta(days=anchor.days)
    if anchor.weekday is not None:  # "the Friday before": the last Friday before the due day
        day = due - timedelta(days=(due.weekday() - anchor.weekday - 1) % 7 + 1)
    rest = text[: anchor.start] + " " + text[anchor.end :]
    stated = find_when(rest, now)
    at = stated.value.time() if stated is not None and stated.has_time else None
    if at is not None and anchor.at is not None and anchor.at.hour >= 12 and at.hour < 12:
        at = at.replace(hour=at.hour + 12)  # "the evening before at 7" is 19:00
    return datetime.combine(day, at or anchor.at or DEFAULT_TIME)


def shortly_before(text: str) -> timedelta | None:
    """ "an hour before" / "half an hour beforehand": how long before a stated time."""
    m = _SHORTLY_BEFORE_RE.search(text)
    if m is None:
        return None
    raw = re.sub(r"\s+", " ", m.group("n").lower())
    if raw == "half an":
        return timedelta(minutes=30)
    amount = _number(raw)
    return (
        timedelta(hours=amount)
        if m.group("unit").lower().startswith("h")
        else timedelta(minutes=amount)
    )
