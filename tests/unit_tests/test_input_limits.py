"""Finding 5: dates and tags are length-checked before any parsing runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest

import taskagent.schemas as schemas
from taskagent.tools import ToolArgumentError, validate_call

NOW = datetime(2026, 11, 18, 10, 0)


@pytest.fixture
def parser_calls(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every call into the date parsers (they must not see oversized input)."""
    seen: list[str] = []
    real_date, real_datetime = schemas.resolve_date, schemas.resolve_datetime

    def spy_date(value: Any, now: datetime) -> Any:
        seen.append("date")
        return real_date(value, now)

    def spy_datetime(value: Any, now: datetime) -> Any:
        seen.append("datetime")
        return real_datetime(value, now)

    monkeypatch.setattr(schemas, "resolve_date", spy_date)
    monkeypatch.setattr(schemas, "resolve_datetime", spy_datetime)
    return seen


@pytest.mark.parametrize(
    ("tool", "arguments", "field"),
    [
        ("create_task", {"title": "x", "due_date": "next friday " * 10_000}, "due_date"),
        ("update_task", {"task_id": 1, "due_date": "9" * 100_000}, "due_date"),
        ("list_tasks", {"due_before": "tomorrow " * 5_000}, "due_before"),
        ("get_calendar", {"date": "x" * 200}, "date"),
        ("create_reminder", {"remind_at": "tomorrow at 9am " * 5_000}, "remind_at"),
    ],
)
def test_an_oversized_date_is_refused_before_it_is_parsed(
    parser_calls: list[str], tool: str, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(ToolArgumentError, match=f"{field} is too long"):
        validate_call(tool, arguments, NOW)
    assert parser_calls == []


def test_ordinary_dates_still_parse(parser_calls: list[str]) -> None:
    args = validate_call("create_task", {"title": "x", "due_date": "Friday"}, NOW)
    assert str(args.due_date) == "2026-11-20" and parser_calls == ["date"]  # type: ignore[attr-defined]


class CountingTag:
    """A tag whose text is counted when it is read."""

    reads = 0

    def __str__(self) -> str:
        CountingTag.reads += 1
        return "tag"


def test_an_oversized_tag_list_is_refused_before_any_tag_is_read() -> None:
    CountingTag.reads = 0
    with pytest.raises(ToolArgumentError, match="tags"):
        validate_call("create_task", {"title": "x", "tags": [CountingTag()] * 100_000}, NOW)
    assert CountingTag.reads == 0


def test_an_oversized_tag_string_is_refused_as_too_long() -> None:
    with pytest.raises(ToolArgumentError, match="tags is too long"):
        validate_call("create_task", {"title": "x", "tags": "a," * 50_000}, NOW)


def test_ordinary_tags_still_parse() -> None:
    args = validate_call("create_task", {"title": "x", "tags": "#Work, home; work"}, NOW)
    assert args.tags == ["work", "home"]  # type: ignore[attr-defined]
