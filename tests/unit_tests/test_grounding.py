"""Grounded decoding: the per-request tool schemas admit only what the request says."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import HumanMessage

from graph.grounding import grounded_tools, named_tasks, spans
from graph.state import State
from nodes.plan import tools_for
from taskagent.tools import openai_tools


def by_name(tools: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {tool["function"]["name"]: tool["function"]["parameters"] for tool in tools}


def test_spans_are_the_word_runs_of_the_message_trimmed() -> None:
    found = spans("Add 'Buy milk' for Friday, please!")
    assert {"Buy milk", "Friday", "for Friday", "Add 'Buy milk"} <= set(found)
    assert "please!" not in found and "please" in found
    assert all(span == span.strip() for span in found)


def test_free_text_fields_are_copied_spans_and_ids_come_from_the_request() -> None:
    request = "create an urgent task to renew the passport due Friday, tag it travel"
    tools = by_name(grounded_tools(openai_tools(), request, {"create_task"}, set()))
    assert list(tools) == ["create_task"]
    properties = tools["create_task"]["properties"]
    assert "renew the passport" in properties["title"]["enum"]
    assert "Friday" in properties["due_date"]["enum"]
    assert "travel" in properties["tags"]["items"]["enum"]
    assert properties["priority"]["enum"] == ["low", "normal", "high", "urgent"]
    assert "project_id" not in properties  # no project id anywhere in the request
    assert "renew the car" not in properties["title"]["enum"]


def test_a_write_without_a_candidate_id_is_dropped_until_a_lookup() -> None:
    tools = by_name(grounded_tools(openai_tools(), "finish the budget task", None, set()))
    assert "complete_task" not in tools and "list_tasks" in tools
    tools = by_name(grounded_tools(openai_tools(), "finish task 7", None, {7}))
    assert tools["complete_task"]["properties"]["task_id"]["enum"] == [7]


def test_the_plan_offers_only_the_intents_tools_plus_a_lookup_when_needed() -> None:
    direct = State(messages=[HumanMessage("complete task 3")], intents=["complete_task"])
    assert [t["function"]["name"] for t in tools_for(direct)] == ["complete_task"]
    by_title = State(messages=[HumanMessage("tick off the budget one")], intents=["complete_task"])
    assert [t["function"]["name"] for t in tools_for(by_title)] == ["list_tasks"]


def test_after_a_lookup_only_the_named_task_and_the_asked_write_remain() -> None:
    lookup = {
        "name": "list_tasks",
        "ok": True,
        "result": {
            "tasks": [{"id": 1, "title": "Water the ferns"}, {"id": 2, "title": "Pay the gas bill"}]
        },
    }
    state = State(
        messages=[HumanMessage("the gas bill is paid, tick it off")],
        intents=["complete_task"],
        tool_results=[lookup],
        scratch=[HumanMessage("(results)")],
    )
    tools = by_name(tools_for(state))
    assert list(tools) == ["complete_task"]
    assert tools["complete_task"]["properties"]["task_id"]["enum"] == [2]
    assert (
        named_tasks({1: "Water the ferns", 2: "Pay the gas bill"}, "start a new project") == set()
    )


def test_a_date_field_offers_only_phrases_the_resolver_reads() -> None:
    from datetime import datetime

    request = "remind me what I'm supposed to be working on tomorrow at 9am"
    tools = by_name(
        grounded_tools(openai_tools(), request, {"create_reminder"}, set(), datetime(2026, 11, 18))
    )
    offered = tools["create_reminder"]["properties"]["remind_at"]["enum"]
    assert "tomorrow at 9am" in offered
    assert "I'm supposed to be working on" not in offered
    no_date = by_name(
        grounded_tools(openai_tools(), "remind me about the bins", {"create_reminder"}, set())
    )
    assert "create_reminder" not in no_date  # its time is required and there is none


def test_dates_are_grounded_even_when_every_tool_is_offered() -> None:
    """Free text stays open beyond three tools, a date never: the model had put the word
    'done' in ``due_before`` and, on repair, the words of the repair prompt."""
    from datetime import datetime

    now = datetime(2026, 11, 18)
    tools = by_name(grounded_tools(openai_tools(), "show what's done", None, set(), now))
    assert "due_before" not in tools["list_tasks"]["properties"]
    dated = by_name(grounded_tools(openai_tools(), "show what's due by Friday", None, set(), now))
    assert set(dated["list_tasks"]["properties"]["due_before"]["enum"]) == {
        "due by Friday",
        "by Friday",
        "Friday",
    }
    assert "enum" not in dated["create_task"]["properties"]["title"]  # text stays open


def test_the_fallback_lookup_is_grounded_too() -> None:
    """When no allowed write can be called yet, the lookup offered instead is grounded: it had
    been the raw schema, and the model filled ``due_before`` with 'done'."""
    tools = by_name(grounded_tools(openai_tools(), "show completed tasks", {"update_task"}, set()))
    assert list(tools) == ["list_tasks"]
    assert "due_before" not in tools["list_tasks"]["properties"]
