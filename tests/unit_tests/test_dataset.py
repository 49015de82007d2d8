"""The training-data generator: quotas, validity, determinism, lookups in two rounds."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import pytest

from taskagent.tools import TOOL_NAMES, validate_call
from training.data.generate import DataArgs, generate, stats


@pytest.fixture(scope="module")
def examples() -> list[dict[str, Any]]:
    return generate(DataArgs(n=640))


def test_quotas_and_coverage(examples: list[dict[str, Any]]) -> None:
    report = stats(examples)
    total = report["total"]
    assert total >= 600
    assert 0.60 <= report["single_tool"] / total <= 0.80
    assert 0.20 <= report["multi_tool"] / total <= 0.40
    assert 0.06 <= report["no_tool"] / total <= 0.10
    assert set(report["per_tool"]) == set(TOOL_NAMES)
    assert min(report["per_tool"].values()) >= 40
    assert set(report) == {"total", "single_tool", "multi_tool", "no_tool", "per_tool", "avg_turns"}


def test_every_call_validates(
    examples: list[dict[str, Any]],
) -> None:
    for example in examples:
        now = datetime.fromisoformat(example["now"])
        for message in example["messages"]:
            for call in message.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"])
                validate_call(call["function"]["name"], arguments, now)


def test_generation_is_reproducible() -> None:
    assert generate(DataArgs(n=60, seed=5)) == generate(DataArgs(n=60, seed=5))
    assert generate(DataArgs(n=60, seed=5)) != generate(DataArgs(n=60, seed=6))


def test_dates_are_copied_as_written_and_resolve_against_each_examples_now(
    examples: list[dict[str, Any]],
) -> None:
    from taskagent.dates import find_when, resolve_date

    checked = 0
    for example in examples:
        if example["family"] not in ("create_task.need_to", "create_task.imperative"):
            continue
        now = datetime.fromisoformat(example["now"])
        arguments = json.loads(example["messages"][2]["tool_calls"][0]["function"]["arguments"])
        # Find the date outside the title: "prepare slides for Monday" is a title, not a due date.
        text = example["messages"][1]["content"].replace(arguments["title"], "")
        when = find_when(text, now)
        assert when is not None
        # The model learns to copy the user's words; our resolver does the calendar.
        assert arguments["due_date"].lower() in example["messages"][1]["content"].lower()
        assert resolve_date(arguments["due_date"], now) == when.value.date()
        assert when.value.date() >= now.date() or "yesterday" in example["messages"][1]["content"]
        checked += 1
    assert checked >= 10


def test_chains_leave_the_dependent_id_to_execute_and_results_bind_it(
    examples: list[dict[str, Any]],
) -> None:
    chains = [e for e in examples if e["family"] == "chain.project_task"]
    assert chains
    for example in chains:
        calls = example["messages"][2]["tool_calls"]
        assert [c["function"]["name"] for c in calls] == ["create_project", "create_task"]
        assert "project_id" not in json.loads(calls[1]["function"]["arguments"])
        project = json.loads(example["messages"][3]["content"])["project"]
        task = json.loads(example["messages"][4]["content"])["task"]
        assert task["project_id"] == project["id"]


def test_ids_are_spelled_every_way_and_out_of_scope_gets_a_decline(
    examples: list[dict[str, Any]],
) -> None:
    texts = " ".join(e["messages"][1]["content"] for e in examples)
    assert "TASK-000" in texts and "#" in texts and "task " in texts
    for example in (e for e in examples if not e["tools"]):
        assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]
        assert "only help with tasks" in example["messages"][-1]["content"]


def test_a_lookup_is_two_rounds_and_the_write_uses_the_id_the_lookup_returned(
    examples: list[dict[str, Any]],
) -> None:
    from graph.prompts import CONTINUE_PROMPT

    lookups = [e for e in examples if e["family"].startswith("lookup.")]
    assert lookups
    for example in lookups:
        roles = [m["role"] for m in example["messages"]]
        assert roles[:5] == ["system", "user", "assistant", "tool", "user"]
        assert example["messages"][4]["content"] == CONTINUE_PROMPT
        first = example["messages"][2]["tool_calls"]
        assert [c["function"]["name"] for c in first] == ["list_tasks"]
        listed = json.loads(example["messages"][3]["content"])
        write = example["messages"][5]["tool_calls"][0]["function"]
        task_id = json.loads(write["arguments"])["task_id"]
        assert task_id in {task["id"] for task in listed["tasks"]}
