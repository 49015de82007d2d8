"""Phrasings the small model copies from users into ``due_date``/``remind_at`` arguments.

Every ``now`` is pinned; the calendar facts the expectations rely on: 2026-02-20 is a
Friday, 2026-01-31 a Saturday, 2026-04-30 and 2026-12-31 Thursdays, 2026 is not a leap
year and 2028 is.
"""

from datetime import date, datetime, timedelta

import pytest

from taskagent.dates import (
    DateParseError,
    before_due_at,
    find_before_due,
    find_when,
    resolve_date,
    resolve_datetime,
    shortly_before,
)
from taskagent.rules import plan

FRI = datetime(2026, 2, 20, 10, 0)  # Friday
SAT = datetime(2026, 2, 21, 10, 0)
SUN = datetime(2026, 2, 22, 10, 0)
MON = datetime(2026, 2, 23, 10, 0)
WED = datetime(2026, 2, 25, 10, 0)
JAN_END = datetime(2026, 1, 31, 10, 0)  # Saturday, month end
APR_END = datetime(2026, 4, 30, 10, 0)  # Thursday, month end
YEAR_END = datetime(2026, 12, 31, 15, 0)  # Thursday, year end
LEAP = datetime(2028, 2, 10, 10, 0)


def _dt(y: int, m: int, d: int, hh: int = 9, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A time, then "on", then the date.
        ("7am on the 4th of January", _dt(2027, 1, 4, 7)),
        ("at 7am on the 4th of January", _dt(2027, 1, 4, 7)),
        ("the 4th of January at 7am", _dt(2027, 1, 4, 7)),
        ("7:30pm on Friday", _dt(2026, 2, 20, 19, 30)),
        ("9am, Jan 4", _dt(2027, 1, 4, 9)),
        # A weekday before a full date is decoration; the date wins (the 24th is a Tuesday).
        ("Wed, 2026-02-24", _dt(2026, 2, 24)),
        ("Wednesday 2026-02-24", _dt(2026, 2, 24)),
        ("Wednesday, 2026-02-24 14:30", _dt(2026, 2, 24, 14, 30)),
        ("wed 2026-02-24 at 3pm", _dt(2026, 2, 24, 15)),
        ("Wed Feb 25", _dt(2026, 2, 25)),
        ("Wednesday, 25 February", _dt(2026, 2, 25)),
        # Lunch is noon.
        ("lunch", _dt(2026, 2, 20, 12)),
        ("at lunch", _dt(2026, 2, 20, 12)),
        ("at lunch tomorrow", _dt(2026, 2, 21, 12)),
        ("tomorrow at lunch", _dt(2026, 2, 21, 12)),
        ("Monday at lunchtime", _dt(2026, 2, 23, 12)),
        # Fortnights, couples and a few.
        ("in a fortnight", _dt(2026, 3, 6)),
        ("a fortnight from now", _dt(2026, 3, 6)),
        ("in two fortnights", _dt(2026, 3, 20)),
        ("in a couple of days", _dt(2026, 2, 22)),
        ("in a couple days", _dt(2026, 2, 22)),
        ("in couple of days", _dt(2026, 2, 22)),
        ("in a few days", _dt(2026, 2, 23)),
        ("in a few weeks", _dt(2026, 3, 13)),
        ("in a couple of hours", _dt(2026, 2, 20, 12)),
        ("in half an hour", _dt(2026, 2, 20, 10, 30)),
        # Next week is the week starting Monday 2026-02-23.
        ("Wednesday next week", _dt(2026, 2, 25)),
        ("on Wednesday next week", _dt(2026, 2, 25)),
        ("next week Wednesday", _dt(2026, 2, 25)),
        ("next week on Friday", _dt(2026, 2, 27)),
        ("Sunday next week", _dt(2026, 3, 1)),
        ("end of next week", _dt(2026, 2, 27)),
        ("by the end of next week", _dt(2026, 2, 27)),
        ("Wednesday next week at 3pm", _dt(2026, 2, 25, 15)),
        # An hour without am/pm: 7-11 morning, 12 noon, 1-6 afternoon; 24-hour from 13.
        ("tomorrow at 9", _dt(2026, 2, 21, 9)),
        ("Friday at 3", _dt(2026, 2, 20, 15)),
        ("Monday at 7", _dt(2026, 2, 23, 7)),
        ("Monday at 11", _dt(2026, 2, 23, 11)),
        ("Monday at 12", _dt(2026, 2, 23, 12)),
        ("Monday at 1", _dt(2026, 2, 23, 13)),
        ("Monday at 6", _dt(2026, 2, 23, 18)),
        ("Monday at 17", _dt(2026, 2, 23, 17)),
        ("Monday at 5:30", _dt(2026, 2, 23, 17, 30)),
        ("Friday 3:30", _dt(2026, 2, 20, 15, 30)),
        ("Monday at 05:30", _dt(2026, 2, 23, 5, 30)),  # a leading zero is the 24-hour clock
        ("3 o'clock", _dt(2026, 2, 20, 15)),
        ("tomorrow at 10 o'clock", _dt(2026, 2, 21, 10)),
        ("at 11", _dt(2026, 2, 20, 11)),
        ("at 5", _dt(2026, 2, 20, 17)),
        ("at 7", _dt(2026, 2, 21, 7)),  # 07:00 has passed: tomorrow
        # A day part settles the half of the day.
        ("tonight at 8", _dt(2026, 2, 20, 20)),
        ("tomorrow evening at 7", _dt(2026, 2, 21, 19)),
        ("tomorrow night at 11", _dt(2026, 2, 21, 23)),
        ("tomorrow morning at 6", _dt(2026, 2, 21, 6)),
        ("tomorrow afternoon at 2", _dt(2026, 2, 21, 14)),
        ("this evening at 6:30", _dt(2026, 2, 20, 18, 30)),
        # Day part plus an explicit clock time, which used to be rejected.
        ("tonight at 8pm", _dt(2026, 2, 20, 20)),
        ("tomorrow morning at 10am", _dt(2026, 2, 21, 10)),
        # Still working.
        ("this morning", _dt(2026, 2, 20, 9)),
        ("this afternoon", _dt(2026, 2, 20, 15)),
        ("tomorrow evening", _dt(2026, 2, 21, 18)),
        ("at noon tomorrow", _dt(2026, 2, 21, 12)),
        ("at 17:00", _dt(2026, 2, 20, 17)),
        ("at 9:30", _dt(2026, 2, 21, 9, 30)),
    ],
)
def test_resolve_datetime_phrasings(text: str, expected: datetime) -> None:
    assert resolve_datetime(text, FRI) == expected


def test_lunch_after_noon_is_tomorrow() -> None:
    assert resolve_datetime("lunch", datetime(2026, 2, 20, 13, 0)) == _dt(2026, 2, 21, 12)
    assert resolve_datetime("at lunch", datetime(2026, 12, 31, 12, 1)) == _dt(2027, 1, 1, 12)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("the 20th", FRI, date(2026, 2, 20)),  # today counts
        ("20th", FRI, date(2026, 2, 20)),
        ("on the 3rd", FRI, date(2026, 3, 3)),
        ("the 19th", FRI, date(2026, 3, 19)),  # past this month: next month
        ("the 28th", FRI, date(2026, 2, 28)),
        ("the 29th", FRI, date(2026, 3, 29)),  # February 2026 has no 29th
        ("the 31st", FRI, date(2026, 3, 31)),
        ("the 30th", JAN_END, date(2026, 3, 30)),  # skips February
        ("the 31st", JAN_END, date(2026, 1, 31)),  # month end: today
        ("the 1st", JAN_END, date(2026, 2, 1)),
        ("the 1st", YEAR_END, date(2027, 1, 1)),  # year end
        ("the 31st", YEAR_END, date(2026, 12, 31)),
        ("the 2nd", YEAR_END, date(2027, 1, 2)),
        ("the 29th", LEAP, date(2028, 2, 29)),
        ("the 30th", LEAP, date(2028, 3, 30)),
        ("the 20th of the month", FRI, date(2026, 2, 20)),
        ("the 3rd of next month", FRI, date(2026, 3, 3)),
        ("the 3rd of next month", YEAR_END, date(2027, 1, 3)),
        ("the 31st of next month", FRI, date(2026, 3, 31)),
        ("Wednesday the 25th", FRI, date(2026, 2, 25)),
        ("by the 15th", FRI, date(2026, 3, 15)),
    ],
)
def test_day_of_month_alone(text: str, now: datetime, expected: date) -> None:
    assert resolve_date(text, now) == expected


def test_day_of_month_keeps_its_time() -> None:
    assert resolve_datetime("the 15th at 3pm", FRI) == _dt(2026, 3, 15, 15)
    assert resolve_datetime("9am on the 1st", YEAR_END) == _dt(2027, 1, 1, 9)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("this weekend", FRI, date(2026, 2, 21)),
        ("next weekend", FRI, date(2026, 2, 28)),
        ("the weekend", FRI, date(2026, 2, 21)),
        ("weekend", FRI, date(2026, 2, 21)),
        ("over the weekend", FRI, date(2026, 2, 21)),
        ("this coming weekend", FRI, date(2026, 2, 21)),
        ("this weekend", SAT, date(2026, 2, 21)),  # Saturday: today
        ("next weekend", SAT, date(2026, 2, 28)),
        ("this weekend", SUN, date(2026, 2, 22)),  # Sunday: today
        ("next weekend", SUN, date(2026, 2, 28)),  # the Saturday after this weekend's
        ("this weekend", MON, date(2026, 2, 28)),
        ("next weekend", MON, date(2026, 3, 7)),
        ("this weekend", JAN_END, date(2026, 1, 31)),
        ("next weekend", JAN_END, date(2026, 2, 7)),
        ("this weekend", APR_END, date(2026, 5, 2)),  # month end
        ("next weekend", APR_END, date(2026, 5, 9)),
        ("this weekend", YEAR_END, date(2027, 1, 2)),  # year end
        ("next weekend", YEAR_END, date(2027, 1, 9)),
    ],
)
def test_weekends(text: str, now: datetime, expected: date) -> None:
    assert resolve_date(text, now) == expected


def test_weekend_takes_a_time() -> None:
    assert resolve_datetime("this weekend at 10am", FRI) == _dt(2026, 2, 21, 10)


@pytest.mark.parametrize(
    ("text", "now", "expected"),
    [
        ("Wednesday next week", WED, date(2026, 3, 4)),  # today is Wednesday
        ("next Wednesday", WED, date(2026, 3, 4)),  # the same day, by the existing rule
        ("Monday next week", MON, date(2026, 3, 2)),
        ("end of next week", MON, date(2026, 3, 6)),
        ("Wednesday next week", SUN, date(2026, 2, 25)),  # Sunday: next week starts tomorrow
        ("next week Monday", SUN, date(2026, 2, 23)),
        ("end of next week", SUN, date(2026, 2, 27)),
        ("end of next week", FRI, date(2026, 2, 27)),  # Friday: a week from today
        ("Wednesday next week", YEAR_END, date(2027, 1, 6)),
        ("end of next week", YEAR_END, date(2027, 1, 8)),
        ("Friday next week", APR_END, date(2026, 5, 8)),
        ("in a fortnight", YEAR_END, date(2027, 1, 14)),
        ("in a few days", JAN_END, date(2026, 2, 3)),
        ("in a couple of days", YEAR_END, date(2027, 1, 2)),
        ("tomorrow at 9", YEAR_END, date(2027, 1, 1)),
    ],
)
def test_relative_edges(text: str, now: datetime, expected: date) -> None:
    assert resolve_date(text, now) == expected


def test_tomorrow_at_an_hour_over_new_year() -> None:
    assert resolve_datetime("tomorrow at 9", YEAR_END) == _dt(2027, 1, 1, 9)
    assert resolve_datetime("at 3", YEAR_END) == _dt(2026, 12, 31, 15)  # now exactly: today
    assert resolve_datetime("at 2", YEAR_END) == _dt(2027, 1, 1, 14)  # passed: tomorrow


@pytest.mark.parametrize(
    "text",
    [
        "the 32nd",
        "the 0th",
        "at 24",
        "Friday at 13pm",
        "25:00 tomorrow",
        "tomorrow 9",  # a bare number without "at" is not a time
    ],
)
def test_new_forms_still_reject_nonsense(text: str) -> None:
    with pytest.raises(DateParseError):
        resolve_datetime(text, FRI)


def test_a_day_of_next_month_that_does_not_exist_is_an_error() -> None:
    with pytest.raises(DateParseError, match="February"):
        resolve_date("the 31st of next month", datetime(2026, 1, 15, 10, 0))


@pytest.mark.parametrize(
    ("sentence", "span", "expected", "has_time"),
    [
        (
            "remind me at 7am on the 4th of January to renew the domain",
            "at 7am on the 4th of January",
            _dt(2027, 1, 4, 7),
            True,
        ),
        ("remind me tomorrow at lunch to eat", "tomorrow at lunch", _dt(2026, 2, 21, 12), True),
        ("remind me at lunch tomorrow to eat", "at lunch tomorrow", _dt(2026, 2, 21, 12), True),
        ("remind me at lunch to call mom", "at lunch", _dt(2026, 2, 20, 12), True),
        ("pay rent on the 1st", "on the 1st", _dt(2026, 3, 1), False),
        ("add a task to pay rent due the 20th", "the 20th", _dt(2026, 2, 20), False),
        ("remind me on the 3rd to pay rent", "on the 3rd", _dt(2026, 3, 3), False),
        ("clean the garage this weekend", "this weekend", _dt(2026, 2, 21), False),
        ("book flights for next weekend", "next weekend", _dt(2026, 2, 28), False),
        ("submit the report Wednesday next week", "Wednesday next week", _dt(2026, 2, 25), False),
        ("file taxes by end of next week", "by end of next week", _dt(2026, 2, 27), False),
        ("renew passport in a fortnight", "in a fortnight", _dt(2026, 3, 6), False),
        ("follow up in a couple of days", "in a couple of days", _dt(2026, 2, 22), False),
        ("remind me tomorrow at 9 to call mom", "tomorrow at 9", _dt(2026, 2, 21, 9), True),
        ("remind me Friday at 3", "Friday at 3", _dt(2026, 2, 20, 15), True),
        ("remind me at 5 tomorrow", "at 5 tomorrow", _dt(2026, 2, 21, 17), True),
        ("remind me tonight at 8 to lock up", "tonight at 8", _dt(2026, 2, 20, 20), True),
        ("remind me to call mom at 5", "at 5", _dt(2026, 2, 20, 17), True),
        ("ping me Wed, 2026-02-24 at 10am", "Wed, 2026-02-24 at 10am", _dt(2026, 2, 24, 10), True),
        ("fix the sat nav on Sunday", "on Sunday", _dt(2026, 2, 22), False),
        ("team lunch tomorrow", "tomorrow", _dt(2026, 2, 21), False),  # bare "lunch" is a meal
        ("remind me Friday at 13pm", "Friday", _dt(2026, 2, 20), False),  # bad time, no crash
    ],
)
def test_find_when_new_phrasings(
    sentence: str, span: str, expected: datetime, has_time: bool
) -> None:
    found = find_when(sentence, FRI)
    assert found is not None
    assert sentence[found.start : found.end] == span
    assert found.value == expected
    assert found.has_time is has_time


@pytest.mark.parametrize(
    "sentence",
    [
        "plan my 20th birthday party",
        "fix the light on the 3rd floor",
        "review the 2nd draft",
        "add a task to celebrate our 10th anniversary",
        "book the weekend trip",
        "pack lunch for the kids",
        "order lunch",
        "prepare 5 slides at 3 desks",
        "reduce the budget by 5",
    ],
)
def test_find_when_ignores_new_lookalikes(sentence: str) -> None:
    assert find_when(sentence, FRI) is None


def test_the_rule_planner_uses_the_new_spans() -> None:
    reminder = plan("Remind me at 7am on the 4th of January to cancel the free trial", FRI)
    assert [(c.name, c.arguments) for c in reminder.calls] == [
        ("create_reminder", {"remind_at": "2027-01-04T07:00", "message": "cancel the free trial"})
    ]
    task = plan("Add a task to clean the garage this weekend", FRI)
    assert [(c.name, c.arguments) for c in task.calls] == [
        ("create_task", {"title": "Clean the garage", "due_date": "2026-02-21"})
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Give me a shout the evening before the entry is due.", datetime(2027, 3, 11, 18)),
        ("remind me the evening before at 7", datetime(2027, 3, 11, 19)),
        ("remind me about the forms the day before at 6pm", datetime(2027, 3, 11, 18)),
        ("Remind me two days before the glossary is due.", datetime(2027, 3, 10, 9)),
        ("Warn me a week ahead of the renewal deadline.", datetime(2027, 3, 5, 9)),
        ("Remind me about the minibus the Friday before, at lunchtime.", datetime(2027, 3, 5, 12)),
        ("On the morning of the paint deadline, remind me at 8.", datetime(2027, 3, 12, 8)),
        ("9pm the night before the licence deadline", datetime(2027, 3, 11, 21)),
        ("nudge me on the morning it's due", datetime(2027, 3, 12, 9)),
    ],
)
def test_a_time_before_the_due_date_counts_back_from_it(text: str, expected: datetime) -> None:
    now = datetime(2027, 3, 1, 19)
    anchor = find_before_due(text)
    assert anchor is not None
    assert before_due_at(anchor, date(2027, 3, 12), text, now) == expected  # a Friday


def test_a_time_without_a_due_date_anchor_is_not_one() -> None:
    assert find_before_due("remind me tomorrow evening") is None
    assert find_before_due("remind me before I forget") is None


@pytest.mark.parametrize(
    ("text", "minutes"),
    [("remind me an hour before", 60), ("half an hour beforehand", 30), ("20 minutes before", 20)],
)
def test_shortly_before_a_stated_time(text: str, minutes: int) -> None:
    assert shortly_before(text) == timedelta(minutes=minutes)
