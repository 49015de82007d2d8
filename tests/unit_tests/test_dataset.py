"""The training-data generator: quotas, validity, determinism, lookups in two rounds."""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

import pytest

from taskagent.tools import TOOL_NAMES, validate_call
from training.data.generate import DataArgs, generate, stats


@pytest.fixture(scope="module")
def examples() -> list[dict[str, Any]]:
    return generate(DataArgs())  # the default run, which is what train.jsonl holds


def test_quotas_and_coverage(examples: list[dict[str, Any]]) -> None:
    report = stats(examples)
    total = report["total"]
    assert total >= 600
    assert 0.60 <= report["single_tool"] / total <= 0.80
    assert 0.20 <= report["multi_tool"] / total <= 0.40
    assert 0.06 <= report["no_tool"] / total <= 0.10
    assert set(report["per_tool"]) == set(TOOL_NAMES)
    assert min(report["per_tool"].values()) >= 40
    assert {"total", "single_tool", "multi_tool", "no_tool", "per_tool", "avg_turns"} <= set(report)


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


# --- scale, diversity, optional arguments, chains and lookups ---------------------------------

# Optional arguments that must be stated in at least 30% of their tool's conversations.
REQUIRED_COVERAGE = {
    "create_task": ["priority", "due_date", "tags", "description", "project_id"],
    "list_tasks": ["status", "priority", "tags", "project_id"],
    "update_task": ["title", "status", "priority", "due_date"],
    "get_calendar": ["date", "days"],
    "create_reminder": ["message"],
}
WRITES = {"create_task", "update_task", "complete_task", "delete_task", "create_project",
          "create_reminder"}  # fmt: skip


def replies(example: dict[str, Any]) -> list[list[tuple[str, dict[str, Any]]]]:
    """The calls of each assistant reply, as the model writes them."""
    return [
        [(c["function"]["name"], json.loads(c["function"]["arguments"])) for c in m["tool_calls"]]
        for m in example["messages"]
        if m["role"] == "assistant" and m.get("tool_calls")
    ]


def names_task_by_id(text: str, task_id: int) -> bool:
    """Does the request name this task by its id (12, #12, task 12, TASK-0012, task twelve)?"""
    from training.data.phrases import NUMBER_WORDS

    digits = rf"(?:\btask\s*(?:no\.\s*|number\s+|#)?|#|\btask-0*){task_id}\b"
    word = NUMBER_WORDS.get(task_id)
    spelled = rf"\btask\s+(?:number\s+)?{word}\b" if word else None
    lowered = text.lower()
    return bool(re.search(digits, lowered) or (spelled and re.search(spelled, lowered)))


def test_the_default_run_is_large_and_covers_every_tool(examples: list[dict[str, Any]]) -> None:
    report = stats(examples)
    assert DataArgs().n >= 5000 and report["total"] == DataArgs().n
    assert set(report["per_tool"]) == set(TOOL_NAMES)
    assert min(report["per_tool"].values()) >= 300, report["per_tool"]
    assert 0.20 <= report["multi_tool"] / report["total"] <= 0.40
    assert 0.08 <= report["no_tool"] / report["total"] <= 0.12
    assert report["shares"]["multi_tool"] == round(report["multi_tool"] / report["total"], 3)
    assert sum(report["calls_per_tool"].values()) >= report["total"] - report["no_tool"]
    assert report["distinct_requests"] >= 0.85 * report["total"]
    assert report["lookups"] >= 150


def test_every_optional_argument_is_stated_in_at_least_30_percent(
    examples: list[dict[str, Any]],
) -> None:
    coverage = stats(examples)["coverage"]
    for tool, arguments in REQUIRED_COVERAGE.items():
        for argument in arguments:
            assert coverage[tool][argument] >= 0.30, (tool, argument, coverage[tool])


def test_a_task_named_by_id_gets_one_direct_call_never_a_lookup(
    examples: list[dict[str, Any]],
) -> None:
    direct = 0
    for example in examples:
        text = example["messages"][1]["content"]
        rounds = replies(example)
        for reply in rounds:
            # never "list, then write" inside one reply
            seen_list = False
            for name, arguments in reply:
                if name == "list_tasks":
                    seen_list = True
                elif seen_list and "task_id" in arguments:
                    raise AssertionError(f"list then write in one reply: {text!r}")
        if not rounds:
            continue
        is_lookup = [n for n, _ in rounds[0]] == ["list_tasks"] and len(rounds) > 1
        written = [a["task_id"] for r in rounds for n, a in r if n in WRITES and "task_id" in a]
        if is_lookup:
            assert example["family"].startswith("lookup."), example["family"]
            assert not any(names_task_by_id(text, task_id) for task_id in written), text
        else:
            for task_id in written:  # every id a direct call writes is the one the user gave
                assert names_task_by_id(text, task_id) or re.search(rf"\b{task_id}\b", text), text
                direct += 1
    assert direct >= 1000


def test_a_lookup_writes_what_was_asked_on_the_task_the_request_named(
    examples: list[dict[str, Any]],
) -> None:
    from training.data.templates import TITLE_HANDLES

    lookups = [e for e in examples if e["family"].startswith("lookup.")]
    assert {e["family"].split(".")[1] for e in lookups} == {
        "complete_task", "delete_task", "update_task", "create_reminder",
    }  # fmt: skip
    for example in lookups:
        text = example["messages"][1]["content"].lower()
        first, second = replies(example)
        assert first == [("list_tasks", {})]
        asked = example["family"].split(".")[1]
        assert [name for name, _ in second] == [asked] * len(second)
        listed = json.loads(example["messages"][3]["content"])["tasks"]
        named = {
            task["id"]
            for task in listed
            if task["title"].lower() in text or TITLE_HANDLES[task["title"]].lower() in text
        }
        assert {arguments["task_id"] for _, arguments in second} == named, text


def test_chains_bind_ids_within_one_reply_as_verify_does(examples: list[dict[str, Any]]) -> None:
    from nodes.verify import id_bindings

    lengths: dict[str, set[int]] = {"bound": set(), "then_list": set(), "writes": set()}
    parallel_reads = 0
    for example in examples:
        messages = example["messages"]
        for index, message in enumerate(messages):
            if message["role"] != "assistant" or not message.get("tool_calls"):
                continue
            reply = [
                (c["function"]["name"], json.loads(c["function"]["arguments"]))
                for c in message["tool_calls"]
            ]
            results = [
                json.loads(m["content"]) for m in messages[index + 1 : index + 1 + len(reply)]
            ]
            names = [name for name, _ in reply]
            binds = False
            for position, (name, arguments) in enumerate(reply):
                for field, source in id_bindings(name, arguments, names[:position]).items():
                    binds = True
                    created = results[source]["project" if field == "project_id" else "task"]
                    if name == "create_task":
                        assert results[position]["task"]["project_id"] == created["id"]
                    elif name == "create_reminder":
                        assert results[position]["reminder"]["task_id"] == created["id"]
            if binds:
                lengths["bound"].add(len(reply))
            writes = [n for n in names if n in WRITES]
            if writes and names[-1] == "list_tasks" and len(names) >= 2:
                lengths["then_list"].add(len(reply))
            ids = [a["task_id"] for n, a in reply if n in WRITES and "task_id" in a]
            if len(ids) >= 2 and len(set(ids)) == len(ids):
                lengths["writes"].add(len(reply))
            if len(reply) >= 2 and all(n in ("list_tasks", "get_calendar") for n in names):
                parallel_reads += 1
    assert {2, 3} <= lengths["bound"]  # two- and three-call chains with bound ids
    assert 2 in lengths["then_list"]  # "... then show me what's left"
    assert {2, 3} <= lengths["writes"]  # two (or three) writes on different ids
    assert parallel_reads >= 100


def test_the_committed_data_is_what_the_default_command_writes(
    examples: list[dict[str, Any]],
) -> None:
    from pathlib import Path

    from training.data.generate import DATA_DIR, digest

    recorded = (Path(DATA_DIR) / "dataset.sha256").read_text().strip()
    assert digest(examples, DataArgs()) == recorded
    assert generate(DataArgs(n=300, seed=5)) == generate(DataArgs(n=300, seed=5))


def test_phrase_banks_are_large_and_names_hold_no_dates() -> None:
    from taskagent.dates import find_when
    from training.data import phrases
    from training.data.templates import TITLE_HANDLES

    frames = {
        "create_task": sum(map(len, phrases.CREATE_TASK_FRAMES.values())),
        "list_tasks": len(phrases.LIST_TASKS_FRAMES) + len(phrases.LIST_TASKS_FIXED),
        "update_task": len(phrases.UPDATE_PRIORITY_FRAMES) + len(phrases.UPDATE_PRIORITY_FIXED)
        + len(phrases.UPDATE_DUE_FRAMES) + len(phrases.UPDATE_TITLE_FRAMES)
        + len(phrases.UPDATE_STATUS_FRAMES) + len(phrases.UPDATE_DESCRIPTION_FRAMES),
        "complete_task": sum(map(len, phrases.COMPLETE_TASK_FRAMES.values())),
        "delete_task": sum(map(len, phrases.DELETE_TASK_FRAMES.values())),
        "create_project": sum(map(len, phrases.CREATE_PROJECT_FRAMES.values())),
        "get_calendar": sum(map(len, phrases.CALENDAR_FRAMES.values()))
        + len(phrases.CALENDAR_FIXED),
        "create_reminder": sum(map(len, phrases.REMINDER_FRAMES.values())),
    }  # fmt: skip
    assert set(frames) == set(TOOL_NAMES)
    assert min(frames.values()) >= 150, frames
    assert len(TITLE_HANDLES) >= 300 and len(set(phrases.PROJECTS)) >= 60
    now = datetime(2026, 3, 6, 10, 30)
    names = [
        *TITLE_HANDLES, *TITLE_HANDLES.values(), *phrases.PROJECTS, *phrases.TAGS,
        *phrases.DESCRIPTIONS, *phrases.PROJECT_DESCRIPTIONS, *phrases.REMINDER_MESSAGES,
    ]  # fmt: skip
    assert [name for name in names if find_when(f"add a task to {name}", now)] == []


def test_stated_arguments_are_copied_from_the_request(examples: list[dict[str, Any]]) -> None:
    """Titles, names, notes, messages, tags and dates appear in the message word for word,
    so a grammar that admits only spans of the message admits the answer."""
    copied = ("title", "name", "description", "message", "due_date", "due_before", "date",
              "remind_at")  # fmt: skip
    for example in examples:
        text = example["messages"][1]["content"]
        for reply in replies(example):
            for _name, arguments in reply:
                for key in copied:
                    if isinstance(arguments.get(key), str):
                        assert arguments[key] in text, (key, arguments[key], text)
                for tag in arguments.get("tags") or []:
                    assert re.search(rf"(?<![#\w]){re.escape(tag)}\b", text), (tag, text)
