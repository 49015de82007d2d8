"""Resolve the date and time expressions people type into ISO values.

Everything here is deterministic and relative to an explicit ``now``, so tests,
evals and the dataset generator can pin the clock. Two entry points:

* :func:`resolve_date` / :func:`resolve_datetime` turn a whole expression
  ("Friday", "tomorrow at 9am", "in two days", "2026-03-15") into a value;
* :func:`find_when` locates the first date expression inside a sentence, which the
  rule-based planner uses to pull a due date out of free text.

Conventions: a bare weekday means its next occurrence, today included ("Friday" on
a Friday is today); "next <weekday>" is the occurrence strictly after today; a
month-day already past this year rolls over to next year; a date without a time
defaults to 09:00 where a datetime is needed.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

__all__ = ["DateParseError", "When", "find_when", "resolve_date", "resolve_datetime"]


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
    "fifteen": 15, "twenty": 20, "thirty": 30, "couple of": 2, "few": 3,
}  # fmt: skip
DAY_PARTS = {
    "morning": time(9), "noon": time(12), "midday": time(12), "lunchtime": time(12),
    "afternoon": time(15), "evening": time(18), "tonight": time(20), "night": time(20),
    "midnight": time(0), "eod": time(17), "end of day": time(17), "end of the day": time(17),
}  # fmt: skip
DEFAULT_TIME = time(9)

_WD = r"(?P<wd>" + "|".join(sorted(WEEKDAYS, key=len, reverse=True)) + r")"
_MON = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"(?P<n>\d+|" + "|".join(sorted(NUMBER_WORDS, key=len, reverse=True)) + r")"
_UNIT = r"(?P<unit>minute|min|hour|hr|day|week|wk|month|year)s?"
_TIME = (
    r"(?:(?:at|@|by)\s+)?(?:(?P<hh>\d{1,2})(?::(?P<mm>\d{2}))?\s*(?P<ampm>a\.?m\.?|p\.?m\.?)"
    r"|(?P<hh24>[01]?\d|2[0-3]):(?P<mm24>[0-5]\d)"
    r"|(?:in\s+the\s+)?(?P<part>" + "|".join(sorted(DAY_PARTS, key=len, reverse=True)) + r"))"
)


@dataclass(frozen=True)
class When:
    """A date expression found in a text: its span, its value, and whether it had a time."""

    start: int
    end: int
    value: datetime
    has_time: bool


def _number(token: str) -> int:
    token = token.lower()
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


def _month_day(now: datetime, month: int, day: int, year: int | None) -> date:
    try:
        candidate = date(year or now.year, month, day)
    except ValueError as exc:
        raise DateParseError(f"{calendar.month_name[month]} {day} is not a real date") from exc
    if year is None and candidate < now.date():
        candidate = candidate.replace(year=now.year + 1)
    return candidate


def _time_of(m: re.Match[str]) -> time | None:
    groups = m.groupdict()
    if groups.get("hh"):
        hour, minute = int(groups["hh"]), int(groups.get("mm") or 0)
        if not 1 <= hour <= 12 or minute > 59:
            raise DateParseError(f"'{m.group(0).strip()}' is not a valid time")
        is_pm = groups["ampm"].lower().startswith("p")
        return time(hour % 12 + (12 if is_pm else 0), minute)
    if groups.get("hh24"):
        return time(int(groups["hh24"]), int(groups["mm24"]))
    if groups.get("part"):
        return DAY_PARTS[groups["part"].lower()]
    return None


# Each rule is (pattern, resolver). A resolver returns the day, or a full datetime when
# the expression carries its own time ("in 2 hours"). Order matters: longer, more
# specific forms come first so "next friday" is not read as "friday".
Resolver = Callable[[re.Match[str], datetime], date | datetime]
_RULES: list[tuple[re.Pattern[str], Resolver]] = []


def _rule(pattern: str) -> Callable[[Resolver], Resolver]:
    def register(func: Resolver) -> Resolver:
        _RULES.append((re.compile(pattern, re.IGNORECASE), func))
        return func

    return register


@_rule(
    r"(?P<y>\d{4})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?:[t\s](?P<H>\d{1,2}):(?P<M>\d{2})(?::\d{2}(?:\.\d+)?)?)?"
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
    if unit == "month":
        return _add_months(now.date(), amount)
    return _add_months(now.date(), 12 * amount)


@_rule(r"(?:by\s+)?(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?week|eow")
def _end_of_week(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), 4)


@_rule(r"(?:the\s+)?end\s+of\s+(?:the\s+|this\s+)?month|eom")
def _end_of_month(m: re.Match[str], now: datetime) -> date:
    today = now.date()
    return today.replace(day=calendar.monthrange(today.year, today.month)[1])


@_rule(r"next\s+week")
def _next_week(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), 0, strictly_after=True)


@_rule(r"next\s+month")
def _next_month(m: re.Match[str], now: datetime) -> date:
    return _add_months(now.date().replace(day=1), 1)


@_rule(rf"next\s+{_WD}")
def _next_weekday(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), WEEKDAYS[m["wd"].lower()], strictly_after=True)


@_rule(rf"(?:this\s+(?:coming\s+)?|coming\s+|on\s+)?{_WD}(?!\w)")
def _weekday(m: re.Match[str], now: datetime) -> date:
    return _weekday_on_or_after(now.date(), WEEKDAYS[m["wd"].lower()])


@_rule(rf"{_MON}\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{{4}}))?(?!\d)")
def _month_then_day(m: re.Match[str], now: datetime) -> date:
    return _month_day(now, MONTHS[m["mon"].lower()], int(m["d"]), int(m["y"]) if m["y"] else None)


@_rule(rf"(?:the\s+)?(?P<d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+(?P<y>\d{{4}}))?")
def _day_then_month(m: re.Match[str], now: datetime) -> date:
    return _month_day(now, MONTHS[m["mon"].lower()], int(m["d"]), int(m["y"]) if m["y"] else None)


@_rule(r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{4}))?(?![\d/])")
def _slashed(m: re.Match[str], now: datetime) -> date:
    month, day = int(m["m"]), int(m["d"])
    if not 1 <= month <= 12:
        raise DateParseError(f"'{m.group(0)}' is not a month/day date")
    return _month_day(now, month, day, int(m["y"]) if m["y"] else None)


_TIME_RE = re.compile(r"(?<!\w)" + _TIME + r"(?!\w)", re.IGNORECASE)
_TIME_ONLY_RE = re.compile(r"^\s*" + _TIME + r"\s*$", re.IGNORECASE)


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


def _match_day(
    text: str, now: datetime, anywhere: bool
) -> tuple[re.Match[str], date | datetime] | None:
    best: tuple[re.Match[str], date | datetime] | None = None
    for pattern, resolve in _RULES:
        if anywhere:
            wrapped = re.compile(r"(?<![\w-])(?:" + pattern.pattern + r")(?![\w-])", re.IGNORECASE)
            m = wrapped.search(text)
        else:
            m = pattern.fullmatch(text)
        if m and anywhere and _is_ambiguous_abbreviation(m, text):
            continue
        if m and (
            best is None
            or m.start() < best[0].start()
            or (m.start() == best[0].start() and m.end() > best[0].end())
        ):
            best = (m, resolve(m, now))
    return best


def _clean(text: str) -> str:
    text = re.sub(r"\s+", " ", str(text)).strip().strip("'\"").strip()
    return re.sub(r"^(?:due|on|by|for|at)\s+", "", text, flags=re.IGNORECASE).rstrip(".!,")


def _split_time(text: str) -> tuple[str, time | None]:
    """Separate a trailing or leading time ("tomorrow at 9am") from the day part."""
    m = _TIME_RE.search(text)
    if not m:
        return text, None
    day_text = (text[: m.start()] + " " + text[m.end() :]).strip(" ,")
    return re.sub(r"\s+", " ", day_text), _time_of(m)


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


def find_when(text: str, now: datetime) -> When | None:
    """Find the first date expression in a sentence, with any time attached to it."""
    try:
        found = _match_day(text, now, anywhere=True)
    except DateParseError:
        return None
    if found is None:
        m = _TIME_RE.search(text)
        if m is None or (m.group("part") is None and not (m.group("hh") or m.group("hh24"))):
            return None
        # A time alone ("at 5pm") means today, or tomorrow once it has passed.
        candidate = datetime.combine(now.date(), _time_of(m) or DEFAULT_TIME)
        if candidate < now:
            candidate += timedelta(days=1)
        return When(m.start(), m.end(), candidate, True)
    m, value = found
    start, end = m.start(), m.end()
    if isinstance(value, datetime):
        return When(start, end, value, True)
    # Look for a time just after ("Friday at 3pm") or just before ("at 3pm Friday").
    after = re.match(r"\s*,?\s*" + _TIME, text[end:], re.IGNORECASE)
    before = re.search(_TIME + r"\s*,?\s*$", text[:start], re.IGNORECASE)
    at: time | None = None
    if after and (after.group("hh") or after.group("hh24") or after.group("part")):
        at, end = _time_of(after), end + after.end()
    elif before and (before.group("hh") or before.group("hh24")):
        at, start = _time_of(before), before.start()
    else:
        part = re.search(r"morning|afternoon|evening|tonight", m.group(0), re.IGNORECASE)
        at = DAY_PARTS[part.group(0).lower()] if part else None
    return When(start, end, datetime.combine(value, at or DEFAULT_TIME), at is not None)
