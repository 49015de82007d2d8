"""The training-data generator: quotas, validity, determinism, no held-out families."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pytest

from taskagent.tools import TOOL_NAMES, validate_call
from training.data.generate import DataArgs, generate, stats
from training.data.templates import HELD_OUT


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


def test_every_call_validates_and_no_held_out_family_is_used(
    examples: list[dict[str, Any]],
) -> None:
    for example in examples:
        assert example["family"] not in HELD_OUT
        now = datetime.fromisoformat(example["now"])
        for message in example["messages"]:
            for call in message.get("tool_calls") or []:
                arguments = json.loads(call["function"]["arguments"])
                validate_call(call["function"]["name"], arguments, now)


def test_generation_is_reproducible() -> None:
    assert generate(DataArgs(n=60, seed=5)) == generate(DataArgs(n=60, seed=5))
    assert generate(DataArgs(n=60, seed=5)) != generate(DataArgs(n=60, seed=6))


def test_relative_dates_are_resolved_against_each_examples_now(
    examples: list[dict[str, Any]],
) -> None:
    from taskagent.dates import find_when

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
        assert date.fromisoformat(arguments["due_date"]) == when.value.date()
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
