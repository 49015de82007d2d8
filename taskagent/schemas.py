"""The tools' argument models and the normalisers behind them: the domain's vocabulary.

One pydantic model per tool. Validation normalises what people and models write: relative
dates against the run's clock (passed as ``context={"now": now}``), id spellings ("#12",
"TASK-0012", "task 12"), enum synonyms ("asap" -> urgent), tags as a list or a string.
The store runs on these models and :mod:`taskagent.tools` registers them; neither imports
the other for them.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    model_validator,
)

from taskagent.dates import DateParseError, resolve_date, resolve_datetime

_PRIORITY_SYNONYMS = {
    "medium": "normal", "med": "normal", "regular": "normal", "default": "normal",
    "critical": "urgent", "asap": "urgent", "highest": "urgent", "top": "urgent",
    "important": "high", "hi": "high", "lowest": "low", "minor": "low",
}  # fmt: skip
_STATUS_SYNONYMS = {
    "todo": "pending", "to do": "pending", "open": "pending", "not started": "pending",
    "new": "pending", "in progress": "in_progress", "in-progress": "in_progress",
    "inprogress": "in_progress", "started": "in_progress", "doing": "in_progress",
    "active": "in_progress", "done": "completed", "complete": "completed",
    "finished": "completed", "closed": "completed",
}  # fmt: skip


# --- normalisers --------------------------------------------------------------------

_ID_RE = re.compile(r"^\s*(?:task|project|reminder)?\s*[-#:]?\s*(?:task-)?#?0*(\d{1,9})\s*$", re.I)


def parse_id(value: Any) -> Any:
    """'12', '#12', 'task 12' and 'TASK-0012' all mean 12."""
    if isinstance(value, bool):
        return value  # let pydantic reject it
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str):
        m = _ID_RE.match(value)
        if m:
            return int(m.group(1))
    return value


def _now_from(info: ValidationInfo) -> datetime:
    context = info.context or {}
    now = context.get("now")
    return now if isinstance(now, datetime) else datetime.now()


# Length limits checked before any parsing, so oversized input costs nothing to refuse.
MAX_DATE_CHARS = 64  # "2026-11-20T09:30", "next Friday at 9am": far shorter
MAX_TAGS = 10
MAX_TAG_CHARS = 40
MAX_RAW_TAGS = 2 * MAX_TAGS  # before duplicates and empty entries are dropped
MAX_RAW_TAG_TEXT = MAX_RAW_TAGS * (MAX_TAG_CHARS + 2)  # "a, b; c" as one string


def _short_enough(value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        raise ValueError(f"is too long ({len(value):,} characters; the limit is {limit})")


def _to_date(value: Any, info: ValidationInfo) -> Any:
    if value is None or isinstance(value, date):
        return value
    _short_enough(value, MAX_DATE_CHARS)
    try:
        return resolve_date(value, _now_from(info))
    except DateParseError as exc:
        raise ValueError(str(exc)) from exc


def _to_datetime(value: Any, info: ValidationInfo) -> Any:
    if value is None or isinstance(value, datetime):
        return value
    _short_enough(value, MAX_DATE_CHARS)
    try:
        return resolve_datetime(value, _now_from(info))
    except DateParseError as exc:
        raise ValueError(str(exc)) from exc


def _enum(synonyms: dict[str, str]) -> Callable[[Any], Any]:
    def normalise(value: Any) -> Any:
        if isinstance(value, str):
            key = value.strip().lower().replace("_", " ").replace("-", " ").strip()
            key = key.removesuffix(" priority").strip()
            return synonyms.get(key, key.replace(" ", "_"))
        return value

    return normalise


def _tags(value: Any) -> Any:
    _short_enough(value, MAX_RAW_TAG_TEXT)
    if isinstance(value, list | tuple) and len(value) > MAX_RAW_TAGS:
        raise ValueError(f"has {len(value):,} entries; the limit is {MAX_TAGS} tags")
    if isinstance(value, str):
        value = [part for part in re.split(r"[,;]", value)]
    if isinstance(value, list):
        cleaned = [str(tag).strip().lstrip("#").strip().lower() for tag in value]
        return list(dict.fromkeys(tag for tag in cleaned if tag))
    return value


def _text(value: Any) -> Any:
    if isinstance(value, str):
        value = re.sub(r"\s+", " ", value).strip()
        # Models like to wrap titles in quotes; the quotes are not part of the title.
        pairs = {"'": "'", '"': '"', "`": "`", "“": "”", "‘": "’", "”": "”"}
        if len(value) >= 2 and pairs.get(value[0]) == value[-1]:
            value = value[1:-1].strip()
    return value


Id = Annotated[int, BeforeValidator(parse_id), Field(ge=1, le=999_999_999)]
DueDate = Annotated[date, BeforeValidator(_to_date)]
# Dates may be written as the user said them: our resolver, not the model, does calendar
# arithmetic, which a 135M model gets wrong.
DATE_HELP = "YYYY-MM-DD, or the user's words (Friday, tomorrow, next week)"
WHEN_HELP = "YYYY-MM-DDTHH:MM, or the user's words (tomorrow 9am, in 2 hours)"
When = Annotated[datetime, BeforeValidator(_to_datetime)]
Priority = Annotated[
    Literal["low", "normal", "high", "urgent"], BeforeValidator(_enum(_PRIORITY_SYNONYMS))
]
Status = Annotated[
    Literal["pending", "in_progress", "completed"], BeforeValidator(_enum(_STATUS_SYNONYMS))
]
Tags = Annotated[
    list[Annotated[str, Field(max_length=MAX_TAG_CHARS)]],
    BeforeValidator(_tags),
    Field(max_length=MAX_TAGS),
]
Title = Annotated[str, BeforeValidator(_text), Field(min_length=1, max_length=200)]
Text = Annotated[str, BeforeValidator(_text), Field(max_length=2000)]


class ToolArgs(BaseModel):
    """Base of every argument model: unknown keys are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- the eight argument models -------------------------------------------------------


class CreateTaskArgs(ToolArgs):
    title: Title = Field(description="Short task title")
    priority: Priority = "normal"
    due_date: DueDate | None = Field(None, description=DATE_HELP)
    description: Text | None = None
    tags: Tags | None = None
    project_id: Id | None = None


class ListTasksArgs(ToolArgs):
    status: Status | None = None
    priority: Priority | None = None
    due_before: DueDate | None = Field(None, description=DATE_HELP)
    tags: Tags | None = None
    project_id: Id | None = None


class UpdateTaskArgs(ToolArgs):
    # The schema says what the validator below enforces, so clients (and constrained
    # decoding) know an update must change something.
    at_least_one_of: ClassVar[tuple[str, ...]] = (
        "title", "priority", "status", "due_date", "description"
    )  # fmt: skip

    task_id: Id
    title: Title | None = None
    priority: Priority | None = None
    status: Status | None = None
    due_date: DueDate | None = Field(None, description=DATE_HELP)
    description: Text | None = None

    @model_validator(mode="after")
    def _has_a_change(self) -> UpdateTaskArgs:
        if not self.model_fields_set - {"task_id"}:
            raise ValueError("update_task needs at least one field to change")
        return self


class TaskIdArgs(ToolArgs):
    task_id: Id


class CreateProjectArgs(ToolArgs):
    name: Title = Field(description="Project name")
    description: Text | None = None


class GetCalendarArgs(ToolArgs):
    date: DueDate | None = Field(None, description=DATE_HELP + ", default today")
    days: int = Field(1, ge=1, le=31)


class CreateReminderArgs(ToolArgs):
    task_id: Id | None = None
    remind_at: When = Field(description=WHEN_HELP)
    message: Text | None = None
