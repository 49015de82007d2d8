"""Each node on its own, run through ``graph.nodes[...]`` with a Runtime context."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langgraph._internal._constants import CONFIG_KEY_RUNTIME
from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from graph import models
from graph.builder import graph
from graph.context import Context
from graph.state import State
from nodes.respond import describe_result
from taskagent.store import default_store
from taskagent.tools import run_tool, validate_call
from tests.conftest import NOW
from tests.fakes import ScriptedChatModel, bad_json, calls


async def run_node(name: str, state: State, **context: Any) -> dict[str, Any]:
    runtime = Runtime(context=Context(now=NOW, **context))
    return await graph.nodes[name].ainvoke(state, {"configurable": {CONFIG_KEY_RUNTIME: runtime}})


def plain(value: Any) -> Any:
    return value.value if isinstance(value, Overwrite) else value


def human(text: str, **fields: Any) -> State:
    return State(messages=[HumanMessage(text)], **fields)


# --- classify -------------------------------------------------------------------------


async def test_classify_declines_out_of_scope_requests() -> None:
    out = await run_node("classify", human("What's the weather in Paris?"))
    assert out["route"] == "decline" and "tasks" in out["notice"]


async def test_classify_hears_a_request_that_names_one_of_your_tasks() -> None:
    """No domain word: the user's own task titles (read-only) bring it into scope."""
    text = "Did I pay the window cleaner yet?"
    assert (await run_node("classify", human(text), user="ana"))["route"] == "decline"
    store = default_store()
    store.ensure_user("bo")
    before = store.count_rows()
    now = datetime.fromisoformat(NOW)
    task = validate_call("create_task", {"title": "Pay the window cleaner"}, now)
    run_tool(store, store.ensure_user("ana"), "create_task", task, now)
    assert (await run_node("classify", human(text), user="ana"))["route"] == "plan"
    # someone else's task does not count, and looking creates no account
    assert (await run_node("classify", human(text), user="bo"))["route"] == "decline"
    assert (await run_node("classify", human(text), user="cy"))["route"] == "decline"
    assert store.count_rows()["users"] == before["users"] + 1


async def test_classify_hears_a_question_about_a_task_already_finished() -> None:
    """A question about a task that may be done ("have I cancelled the gym yet?") is in scope."""
    text = "Have I cancelled the gym yet, or is that still hanging over me?"
    store = default_store()
    now = datetime.fromisoformat(NOW)
    task = validate_call("create_task", {"title": "Cancel the gym membership"}, now)
    made = run_tool(store, store.ensure_user("dee"), "create_task", task, now)
    done = validate_call("complete_task", {"task_id": made["task"]["id"]}, now)
    run_tool(store, store.ensure_user("dee"), "complete_task", done, now)
    out = await run_node("classify", human(text), user="dee")
    assert out["route"] == "plan" and out["intents"] == ["list_tasks"]


async def test_classify_routes_task_requests_to_plan_with_their_intents() -> None:
    out = await run_node("classify", human("Create a project Q1 and add a task for budgeting"))
    assert out["route"] == "plan"
    assert out["intents"] == ["create_project", "create_task"]
    assert out["tier"] == "primary" and out["steps_left"] == 3


@pytest.mark.parametrize(
    ("text", "phrase"), [("   ", "empty"), ("x" * 20_000, "20,000 characters")]
)
async def test_classify_rejects_empty_and_huge_messages(text: str, phrase: str) -> None:
    out = await run_node("classify", human(text))
    assert out["route"] == "invalid" and phrase in out["notice"]


async def test_classify_resets_the_previous_turn() -> None:
    previous = human(
        "show my tasks",
        tool_results=[{"name": "list_tasks", "ok": True}],
        json_checks=[{"valid": True}],
        repairs=1,
    )
    out = await run_node("classify", previous)
    assert (
        plain(out["tool_results"]) == [] and plain(out["json_checks"]) == [] and out["repairs"] == 0
    )


async def test_classify_skips_a_cooling_tier(monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(3):
        models.record_failure("primary")
    out = await run_node("classify", human("show my tasks"), tiers="primary,emergency")
    assert out["tier"] == "emergency"
    assert plain(out["tier_log"])[0]["tier"] == "primary"
    assert "cooling down" in plain(out["tier_log"])[0]["reason"]


# --- plan -----------------------------------------------------------------------------


async def test_plan_asks_the_tier_with_a_short_prompt_and_required_tools(
    fake_models: dict[str, ScriptedChatModel],
) -> None:
    fake_models["primary"].responses = [calls(("list_tasks", {}))]
    out = await run_node("plan", human("show my tasks", intents=["list_tasks"], steps_left=3))
    assert out["draft"].tool_calls[0]["name"] == "list_tasks"
    assert out["model_calls"] == 1 and out["steps_left"] == 2
    prompt = fake_models["primary"].prompts[0]
    assert prompt[0].type == "system" and "Wednesday 2026-11-18" in prompt[0].content
    assert len(prompt[0].content) < 200
    assert fake_models["primary"].bound[0]["tool_choice"] == "required"
    # grounded decoding: only the tools the request's intents name
    bound = fake_models["primary"].bound[0]["tools"]
    assert [tool["function"]["name"] for tool in bound] == ["list_tasks"]


async def test_plan_records_a_tier_failure(fake_models: dict[str, ScriptedChatModel]) -> None:
    fake_models["primary"].responses = [models.TierError("timed out")]
    out = await run_node("plan", human("show my tasks", steps_left=3))
    assert out["tier_failed"] and out["plan_error"] == "timed out"


async def test_plan_feeds_the_validation_error_back_for_a_repair(
    fake_models: dict[str, ScriptedChatModel],
) -> None:
    fake_models["primary"].responses = [calls(("list_tasks", {}))]
    await run_node(
        "plan", human("show my tasks", verify_error="priority must be one of ...", steps_left=2)
    )
    assert "priority must be one of" in fake_models["primary"].prompts[0][-1].content


async def test_plan_on_the_emergency_tier_needs_no_model() -> None:
    out = await run_node("plan", human("delete task 4", tier="emergency", steps_left=3))
    assert out["draft"].tool_calls[0]["name"] == "delete_task"
    assert out["draft"].tool_calls[0]["args"] == {"task_id": 4}
    assert "model_calls" not in out


async def test_plan_links_a_reminder_to_the_users_task_it_names() -> None:
    store = default_store()
    now = datetime.fromisoformat(NOW)
    for user, title in (("ana", "Book the vet for Luna"), ("bo", "Pay the vet")):
        task = validate_call("create_task", {"title": title}, now)
        run_tool(store, store.ensure_user(user), "create_task", task, now)
    text = "remind me tomorrow at 8am to book the vet for Luna"
    state = human(text, tier="emergency", steps_left=3, intents=["create_reminder"])
    out = await run_node("plan", state, user="ana")
    assert out["draft"].tool_calls[0]["args"]["task_id"] == 1
    # another user's task of that name is not theirs to link
    out = await run_node("plan", state, user="bo")
    assert "task_id" not in out["draft"].tool_calls[0]["args"]


async def test_plan_finds_the_users_project_by_name() -> None:
    store = default_store()
    now = datetime.fromisoformat(NOW)
    for user, name in (("bo", "Garden Makeover"), ("ana", "Garden Makeover")):
        project = validate_call("create_project", {"name": name}, now)
        run_tool(store, store.ensure_user(user), "create_project", project, now)
    text = "show me everything in the Garden Makeover project"
    state = human(text, tier="emergency", steps_left=3, intents=["list_tasks"])
    out = await run_node("plan", state, user="ana")
    assert out["draft"].tool_calls[0]["args"] == {"project_id": 2}  # ana's, not bo's (1)
    out = await run_node("plan", state, user="cy")
    assert out["draft"].tool_calls[0]["args"] == {}


# --- verify ---------------------------------------------------------------------------


async def test_verify_normalises_valid_calls() -> None:
    draft = calls(("create_task", {"title": "Budget", "priority": "HIGH", "due_date": "Friday"}))
    text = "add a high priority Budget task due Friday"
    out = await run_node("verify", human(text, draft=draft, intents=["create_task"]))
    assert out["pending_calls"][0]["arguments"] == {
        "title": "Budget",
        "priority": "high",
        "due_date": "2026-11-20",
    }
    assert out["json_checks"] == [{"tier": "primary", "tool": "create_task", "valid": True}]


async def test_verify_counts_malformed_json_and_asks_for_one_repair() -> None:
    out = await run_node("verify", human("x", draft=bad_json("create_task", '{"title": "Budget"')))
    assert out["pending_calls"] == [] and out["repairs"] == 1 and not out["tier_failed"]
    assert out["json_checks"][0]["valid"] is False


async def test_verify_gives_up_after_the_repair() -> None:
    draft = calls(("create_task", {"title": "x", "priority": "super"}))
    out = await run_node("verify", human("x", draft=draft, repairs=1))
    assert out["tier_failed"] and "priority must be one of" in out["verify_error"]


async def test_verify_treats_prose_for_a_task_request_as_a_failed_call() -> None:
    draft = AIMessage(content="Sure! Budgets are important.")
    out = await run_node("verify", human("x", draft=draft, intents=["create_task"]))
    assert out["json_checks"][0]["valid"] is False and out["verify_error"]


async def test_verify_reads_a_call_written_into_the_text() -> None:
    draft = AIMessage(
        content='<tool_call>{"name": "complete_task", "arguments": {"task_id": "#7"}}</tool_call>'
    )
    out = await run_node("verify", human("task 7 is done", intents=["complete_task"], draft=draft))
    assert out["pending_calls"][0]["name"] == "complete_task"
    assert out["pending_calls"][0]["arguments"] == {"task_id": 7}


async def test_verify_refuses_a_model_write_when_nothing_was_asked_for() -> None:
    """Classify heard no action (intents []): whatever the model proposes may only look."""
    draft = calls(("create_task", {"title": "My tasks are piling up"}))
    out = await run_node("verify", human("my tasks are piling up", draft=draft, intents=[]))
    assert out["pending_calls"] == [] and "not ask for anything" in out["verify_error"]
    draft = calls(("list_tasks", {}))
    out = await run_node("verify", human("my tasks are piling up", draft=draft, intents=[]))
    assert [c["name"] for c in out["pending_calls"]] == ["list_tasks"]


async def test_verify_marks_ids_to_bind_from_earlier_calls() -> None:
    draft = calls(("create_project", {"name": "Q1"}), ("create_task", {"title": "Budget"}))
    text = "Create a project Q1 and add a Budget task"
    intents = ["create_project", "create_task"]
    out = await run_node("verify", human(text, draft=draft, intents=intents))
    assert out["pending_calls"][1]["bind"] == {"project_id": 0}


async def test_verify_binds_a_numbered_reference_to_that_earlier_create() -> None:
    # "... then remind me about the paint one": the first task, not the last one made
    draft = calls(
        ("create_task", {"title": "Buy paint"}),
        ("create_task", {"title": "Buy brushes"}),
        ("create_reminder", {"remind_at": "2026-11-19T17:00", "task_id": "$1"}),
    )
    out = await run_node(
        "verify",
        human(
            "create task 'Buy paint', create task 'Buy brushes', then"
            " remind me about the paint one",
            draft=draft,
            intents=["create_task", "create_task", "create_reminder"],
        ),
    )
    assert out["pending_calls"][2]["bind"] == {"task_id": 0}


async def test_verify_lets_a_new_task_beside_an_action_on_a_numbered_one() -> None:
    draft = calls(("delete_task", {"task_id": 2}), ("create_task", {"title": "Book flights"}))
    text = "Delete task 2 and add 'Book flights' instead"
    out = await run_node("verify", human(text, draft=draft, intents=["delete_task", "create_task"]))
    assert [c["name"] for c in out["pending_calls"]] == ["delete_task", "create_task"]
    # but "task 2 is done" read as "add a task" stays refused
    draft = calls(("create_task", {"title": "Task 2 is done"}))
    out = await run_node("verify", human("task 2 is done", draft=draft, intents=["create_task"]))
    assert out["pending_calls"] == [] and "existing task" in out["verify_error"]


@pytest.mark.parametrize(
    ("text", "intents", "call", "problem"),
    [
        (
            "delete task 4",
            ["delete_task"],
            ("delete_task", {"task_id": 123456789}),
            "does not appear",
        ),
        (
            "add a task to buy milk",
            ["create_task"],
            ("create_task", {"title": "create_task"}),
            "must come from",
        ),
        (
            "add a task to buy milk",
            ["create_task"],
            ("delete_task", {"task_id": 1}),
            "does not appear",
        ),
        (
            "mark task 3 done",
            ["complete_task"],
            ("delete_task", {"task_id": 3}),
            "asks for complete_task",
        ),
        (
            "show my tasks",
            ["list_tasks"],
            ("create_task", {"title": "my tasks"}),
            "only asks to look",
        ),
    ],
)
async def test_verify_rejects_model_calls_not_grounded_in_the_request(
    text: str, intents: list[str], call: tuple[str, dict], problem: str
) -> None:
    out = await run_node("verify", human(text, intents=intents, draft=calls(call)))
    assert out["pending_calls"] == [] and problem in out["verify_error"]
    # schema-valid, so it does not count against JSON validity
    assert out["json_checks"][0]["valid"] is True and out["json_checks"][0]["grounded"] is False


async def test_verify_accepts_ids_from_the_focus_task_and_earlier_results() -> None:
    out = await run_node(
        "verify",
        human(
            "make it urgent",
            focus_task_id=9,
            intents=["update_task"],
            draft=calls(("update_task", {"task_id": 9, "priority": "urgent"})),
        ),
    )
    assert out["pending_calls"][0]["arguments"] == {"task_id": 9, "priority": "urgent"}


async def test_verify_does_not_count_the_rule_planner_as_model_output() -> None:
    out = await run_node("verify", human("x", tier="emergency", draft=calls(("list_tasks", {}))))
    assert out["json_checks"] == [] and out["pending_calls"]


# --- execute --------------------------------------------------------------------------


async def test_execute_runs_calls_and_binds_earlier_results() -> None:
    pending = [
        {"id": "a", "name": "create_project", "arguments": {"name": "Q1"}, "bind": {}},
        {
            "id": "b",
            "name": "create_task",
            "arguments": {"title": "Budget"},
            "bind": {"project_id": 0},
        },
    ]
    out = await run_node("execute", human("x", pending_calls=pending))
    project, task = out["tool_results"]
    assert project["ok"] and task["ok"]
    assert task["result"]["task"]["project_id"] == project["result"]["project"]["id"]
    assert out["focus_task_id"] == task["result"]["task"]["id"]
    assert [m.type for m in out["scratch"]] == ["ai", "tool", "tool"]


async def test_execute_reports_tool_errors_in_plain_words() -> None:
    pending = [{"id": "a", "name": "complete_task", "arguments": {"task_id": 99}, "bind": {}}]
    out = await run_node("execute", human("x", pending_calls=pending))
    assert out["tool_results"][0] == out["tool_results"][0] | {
        "ok": False,
        "error": "Task 99 was not found.",
    }


# --- fallback & respond ---------------------------------------------------------------


async def test_fallback_moves_down_a_tier_and_logs_why(
    fake_models: dict[str, ScriptedChatModel],
) -> None:
    out = await run_node("fallback", human("x", tier="primary", plan_error="timed out"))
    assert out["tier"] == "fallback"
    assert out["tier_log"] == [{"tier": "primary", "outcome": "failed", "reason": "timed out"}]
    out = await run_node("fallback", human("x", tier="fallback", verify_error="bad"))
    assert out["tier"] == "emergency"


async def test_fallback_skips_an_unconfigured_fallback_tier() -> None:
    out = await run_node("fallback", human("x", tier="primary", plan_error="down"))
    assert out["tier"] == "emergency"


async def test_respond_uses_templates_for_tool_results() -> None:
    result = {
        "name": "create_task",
        "ok": True,
        "arguments": {},
        "result": {
            "task": {
                "id": 3,
                "title": "Review",
                "priority": "high",
                "due_date": "2026-11-20",
                "status": "pending",
                "project_id": None,
            }
        },
    }
    out = await run_node("respond", human("x", tool_results=[result]))
    assert out["messages"][0].content == "Created task #3 “Review” (high priority, due Fri 20 Nov)."


async def test_respond_reads_the_year_from_the_runs_clock_not_the_machines() -> None:
    task = {"id": 1, "title": "Plan", "due_date": "2027-01-08", "status": "pending"}
    result = {"name": "create_task", "ok": True, "arguments": {}, "result": {"task": task}}
    state = human("x", tool_results=[result])
    runtime = Runtime(context=Context(now="2027-01-05T09:00"))
    out = await graph.nodes["respond"].ainvoke(
        state, {"configurable": {CONFIG_KEY_RUNTIME: runtime}}
    )
    assert out["messages"][0].content == "Created task #1 “Plan” (due Fri 8 Jan)."


async def test_respond_uses_the_model_text_only_when_no_tool_ran() -> None:
    out = await run_node("respond", human("x", draft=AIMessage(content="You have nothing due.")))
    assert out["messages"][0].content == "You have nothing due."
    out = await run_node("respond", human("x", draft=AIMessage(content='{"broken": ')))
    assert "couldn't work out" in out["messages"][0].content


def test_describe_a_cancelled_delete() -> None:
    assert (
        describe_result({"name": "delete_task", "ok": False, "cancelled": True})
        == "Okay, I didn't delete anything."
    )


async def test_verify_runs_a_call_repeated_within_one_reply_once() -> None:
    call = ("create_task", {"title": "buy milk"})
    out = await run_node(
        "verify",
        human("add a task to buy milk", intents=["create_task"], draft=calls(call, call, call)),
    )
    assert len(out["pending_calls"]) == 1


@pytest.mark.parametrize(
    "text",
    [
        "Should I mark task 5 as done? I've done most of it",
        "I was thinking about deleting task 2 but let's keep it for now",
    ],
)
async def test_classify_changes_nothing_while_the_user_is_deciding(text: str) -> None:
    out = await run_node("classify", human(text))
    assert out["route"] == "decline" and "haven't decided" in out["notice"]
