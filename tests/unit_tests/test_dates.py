from datetime import date, datetime

import pytest

from taskagent.dates import DateParseError, find_when, resolve_date, resolve_datetime

NOW = datetime(2026, 11, 18, 10, 0)  # Wednesday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Friday", date(2026, 11, 20)),
        ("fri", date(2026, 11, 20)),
        ("Wednesday", date(2026, 11, 18)),  # today is its own "Wednesday"
        ("next Wednesday", date(2026, 11, 25)),
        ("next Monday", date(2026, 11, 23)),
        ("tomorrow", date(2026, 11, 19)),
        ("today", date(2026, 11, 18)),
        ("in two days", date(2026, 11, 20)),
        ("in 3 weeks", date(2026, 12, 9)),
        ("a week from now", date(2026, 11, 25)),
        ("the day after tomorrow", date(2026, 11, 20)),
        ("end of week", date(2026, 11, 20)),
        ("end of the month", date(2026, 11, 30)),
        ("next week", date(2026, 11, 23)),
        ("next month", date(2026, 12, 1)),
        ("2026-03-15", date(2026, 3, 15)),
        ("March 15", date(2027, 3, 15)),  # already past this year: next year
        ("Dec 1st", date(2026, 12, 1)),
        ("15th of March 2028", date(2028, 3, 15)),
        ("12/3", date(2026, 12, 3)),
        ("due Friday", date(2026, 11, 20)),
    ],
)
def test_resolve_date(text: str, expected: date) -> None:
    assert resolve_date(text, NOW) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("tomorrow at 9am", datetime(2026, 11, 19, 9, 0)),
        ("Friday 3:30pm", datetime(2026, 11, 20, 15, 30)),
        ("at 17:00", datetime(2026, 11, 18, 17, 0)),
        ("at 8am", datetime(2026, 11, 19, 8, 0)),  # already past today: tomorrow
        ("tonight", datetime(2026, 11, 18, 20, 0)),
        ("in 2 hours", datetime(2026, 11, 18, 12, 0)),
        ("2026-12-01T14:30", datetime(2026, 12, 1, 14, 30)),
        ("tomorrow", datetime(2026, 11, 19, 9, 0)),  # no time: 09:00
    ],
)
def test_resolve_datetime(text: str, expected: datetime) -> None:
    assert resolve_datetime(text, NOW) == expected


@pytest.mark.parametrize("text", ["someday", "", "Feb 30", "13/45", "25:00 tomorrow", "blue"])
def test_unparseable_dates_raise_plain_errors(text: str) -> None:
    with pytest.raises(DateParseError) as error:
        resolve_date(text, NOW)
    assert "Traceback" not in str(error.value)


def test_find_when_locates_the_expression_in_a_sentence() -> None:
    sentence = "Create a high-priority task to review the Q4 budget due Friday"
    found = find_when(sentence, NOW)
    assert found is not None
    assert sentence[found.start : found.end] == "Friday"
    assert found.value.date() == date(2026, 11, 20)
    assert not found.has_time


def test_find_when_attaches_a_following_time() -> None:
    found = find_when("remind me tomorrow at 9am to call mom", NOW)
    assert found is not None and found.has_time
    assert found.value == datetime(2026, 11, 19, 9, 0)


@pytest.mark.parametrize(
    "sentence", ["fix the sat nav", "may I see my tasks", "add a task to water plants"]
)
def test_find_when_ignores_words_that_only_look_like_dates(sentence: str) -> None:
    assert find_when(sentence, NOW) is None
