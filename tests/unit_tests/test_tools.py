"""The eight tools: one definition drives schema, validation and execution."""

from datetime import date, datetime

import pytest

from taskagent.errors import ToolArgumentError, ToolError
from taskagent.settings import database_url
from taskagent.store import TaskStore, store_for
from taskagent.tools import (
    TOOL_NAMES,
    TOOLS,
    call_tool,
    openai_tools,
    parse_id,
    run_tool,
    validate_call,
)

NOW = datetime(2026, 11, 18, 10, 0)


@pytest.fixture
def store() -> TaskStore:
    return store_for(database_url())


def run(store: TaskStore, user: int, tool: str, **args: object) -> dict:
    return run_tool(store, user, tool, validate_call(tool, args, NOW), NOW)


def test_there_are_exactly_the_eight_specified_tools() -> None:
    assert set(TOOL_NAMES) == {
        "create_task",
        "list_tasks",
        "update_task",
        "complete_task",
        "delete_task",
        "create_project",
        "get_calendar",
        "create_reminder",
    }


def test_openai_schemas_are_compact_and_strict() -> None:
    schemas = {s["function"]["name"]: s["function"]["parameters"] for s in openai_tools()}
    create = schemas["create_task"]
    assert create["required"] == ["title"]
    assert create["properties"]["priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert create["properties"]["priority"]["default"] == "normal"
    assert create["additionalProperties"] is False
    assert schemas["update_task"]["required"] == ["task_id"]
    assert schemas["create_reminder"]["required"] == ["remind_at"]
    assert schemas["list_tasks"]["properties"]["status"]["enum"] == [
        "pending",
        "in_progress",
        "completed",
    ]
    # An update must change something: the schema says so, for clients and for the grammar.
    assert {"required": ["priority"]} in schemas["update_task"]["anyOf"]
    assert len(schemas["update_task"]["anyOf"]) == 5
    # no pydantic noise: titles and nullable anyOf cost prompt tokens and confuse small models
    text = str({name: s for name, s in schemas.items() if name != "update_task"})
    assert "anyOf" not in text and "'title': 'Title'" not in text
    assert "anyOf" not in str(schemas["update_task"]["properties"])


@pytest.mark.parametrize("raw", [12, "12", "#12", "task 12", "TASK-0012", "Task #12", 12.0])
def test_id_spellings_all_mean_twelve(raw: object) -> None:
    assert parse_id(raw) == 12
    assert validate_call("complete_task", {"task_id": raw}, NOW).task_id == 12  # type: ignore[attr-defined]


def test_validation_normalises_dates_enums_tags_and_quotes() -> None:
    args = validate_call(
        "create_task",
        '{"title": "\'Review budget\'", "priority": "High", "due_date": "Friday", '
        '"tags": "Finance, #q4"}',
        NOW,
    )
    assert args.model_dump() == {
        "title": "Review budget",
        "priority": "high",
        "due_date": date(2026, 11, 20),
        "description": None,
        "tags": ["finance", "q4"],
        "project_id": None,
    }
    assert (
        validate_call("update_task", {"task_id": 1, "status": "in progress"}, NOW).status
        == "in_progress"
    )  # type: ignore[attr-defined]
    assert validate_call("list_tasks", {"priority": "medium"}, NOW).priority == "normal"  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("name", "args", "message"),
    [
        ("create_task", {}, "title is required"),
        ("create_task", {"title": ""}, "title must not be empty"),
        ("create_task", {"title": "x", "priority": "super"}, "priority must be one of"),
        ("create_task", {"title": "x", "due_date": "someday"}, "couldn't understand the date"),
        ("create_task", {"title": "x", "owner": "bob"}, "owner is not an argument"),
        ("update_task", {"task_id": 3}, "at least one field"),
        ("update_task", {"task_id": "abc", "title": "x"}, "task_id"),
        ("complete_task", {"task_id": -4}, "task_id"),
        ("get_calendar", {"days": 99}, "days"),
        ("create_reminder", {"message": "x"}, "remind_at is required"),
        ("launch_rockets", {}, "is not a tool"),
        ("complete_task", "{not json", "not valid JSON"),
    ],
)
def test_bad_arguments_get_one_plain_sentence(name: str, args: object, message: str) -> None:
    with pytest.raises(ToolArgumentError) as error:
        validate_call(name, args, NOW)
    assert message in str(error.value)


def test_every_tool_runs_against_a_real_sqlite_database(store: TaskStore) -> None:
    user = store.ensure_user("alice")
    project = run(store, user, "create_project", name="Q1 Goals")["project"]
    task = run(
        store,
        user,
        "create_task",
        title="Budget",
        priority="high",
        due_date="Friday",
        project_id=project["id"],
        tags=["finance"],
    )["task"]
    assert task == task | {
        "title": "Budget",
        "priority": "high",
        "due_date": "2026-11-20",
        "project_id": project["id"],
        "status": "pending",
        "tags": ["finance"],
    }
    assert run(store, user, "list_tasks", project_id=project["id"])["count"] == 1
    assert run(store, user, "list_tasks", tags=["finance"])["count"] == 1
    assert run(store, user, "list_tasks", due_before="2026-11-19")["count"] == 0
    updated = run(store, user, "update_task", task_id=task["id"], status="in_progress")
    assert updated["changed"] == ["status"] and updated["task"]["status"] == "in_progress"
    assert run(store, user, "complete_task", task_id=task["id"])["task"]["status"] == "completed"
    assert run(store, user, "list_tasks")["count"] == 0  # open tasks only by default
    assert run(store, user, "list_tasks", status="completed")["count"] == 1
    store.add_event(user, "Standup", datetime(2026, 11, 18, 9, 30))
    other = run(store, user, "create_task", title="Ship", due_date="today")["task"]
    calendar = run(store, user, "get_calendar")
    assert [e["title"] for e in calendar["events"]] == ["Standup"]
    assert [t["id"] for t in calendar["tasks_due"]] == [other["id"]]
    reminder = run(store, user, "create_reminder", task_id=other["id"], remind_at="tomorrow at 9am")
    assert reminder["reminder"] == {
        "id": 1,
        "task_id": other["id"],
        "remind_at": "2026-11-19T09:00",
        "message": "Ship",
    }
    assert run(store, user, "delete_task", task_id=other["id"])["deleted"]["title"] == "Ship"
    assert store.get_task(user, other["id"]) is None


def test_create_project_twice_reuses_the_first(store: TaskStore) -> None:
    user = store.ensure_user("alice")
    first = run(store, user, "create_project", name="Home")
    second = run(store, user, "create_project", name="Home")
    assert second["already_existed"] and second["project"]["id"] == first["project"]["id"]


@pytest.mark.parametrize("tool", ["update_task", "complete_task", "delete_task"])
def test_another_users_task_looks_exactly_like_a_missing_one(store: TaskStore, tool: str) -> None:
    alice, bob = store.ensure_user("alice"), store.ensure_user("bob")
    task = run(store, alice, "create_task", title="Private")["task"]
    before = store.count_rows()
    extra = {"title": "hijacked"} if tool == "update_task" else {}
    with pytest.raises(ToolError) as foreign:
        run(store, bob, tool, task_id=task["id"], **extra)
    with pytest.raises(ToolError) as missing:
        run(store, bob, tool, task_id=999, **extra)
    assert str(foreign.value) == f"Task {task['id']} was not found."
    assert str(missing.value) == "Task 999 was not found."
    assert store.count_rows() == before
    assert store.get_task(alice, task["id"])["title"] == "Private"  # type: ignore[index]
    assert run(store, bob, "list_tasks")["count"] == 0


def test_reminder_in_the_past_is_refused_and_nothing_is_written(store: TaskStore) -> None:
    user = store.ensure_user("alice")
    before = store.count_rows()
    with pytest.raises(ToolError, match="already passed"):
        run(store, user, "create_reminder", remind_at="2026-11-01T09:00")
    assert store.count_rows() == before


def test_unknown_project_is_refused_before_creating_the_task(store: TaskStore) -> None:
    user = store.ensure_user("alice")
    with pytest.raises(ToolError, match="Project 42 was not found"):
        run(store, user, "create_task", title="x", project_id=42)
    assert store.count_rows()["tasks"] == 0


def test_destructive_and_read_only_flags() -> None:
    assert [n for n, s in TOOLS.items() if s.destructive] == ["delete_task"]
    assert sorted(n for n, s in TOOLS.items() if s.read_only) == ["get_calendar", "list_tasks"]


def test_call_tool_validates_before_it_resolves_the_user(store: TaskStore) -> None:
    """The one path every interface uses: bad input creates no account and writes nothing."""
    before = store.count_rows()
    with pytest.raises(ToolArgumentError):
        call_tool(store, "newcomer", "create_task", {"title": "x", "priority": "sky-high"}, NOW)
    with pytest.raises(ToolArgumentError):
        call_tool(store, "newcomer", "drop_table", {}, NOW)
    assert store.count_rows() == before
    made = call_tool(
        store, "newcomer", "create_task", {"title": "Budget", "due_date": "Friday"}, NOW
    )
    assert made["task"]["due_date"] == "2026-11-20"
    user_id = store.ensure_user("newcomer")
    listed = call_tool(store, user_id, "list_tasks", {}, NOW)
    assert [t["title"] for t in listed["tasks"]] == ["Budget"]


def test_due_dates_are_the_open_dated_tasks_of_that_user_only(store: TaskStore) -> None:
    alice, bob = store.ensure_user("alice"), store.ensure_user("bob")
    dated = run(store, alice, "create_task", title="Enter the regatta", due_date="2027-03-12")
    run(store, alice, "create_task", title="Undated")
    done = run(store, alice, "create_task", title="Finished", due_date="2027-03-01")
    run(store, alice, "complete_task", task_id=done["task"]["id"])
    run(store, bob, "create_task", title="Bob's", due_date="2027-03-02")
    assert store.due_dates("alice") == {dated["task"]["id"]: date(2027, 3, 12)}
    assert store.due_dates("nobody") == {}
