"""Finding 8 (unit level): idempotency keys make a re-run write return the first result.

The crash itself (SIGKILL between commit and checkpoint) is tested with real processes in
``tests/integration_tests/test_crash_recovery.py``; these pin the store's semantics.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.agent import Agent
from graph.builder import build_graph
from taskagent.errors import ToolError
from taskagent.settings import reset_settings
from taskagent.store import default_store
from taskagent.tools import run_tool, validate_call

NOW = datetime(2026, 11, 18, 10, 0)


def create(title: str, key: str | None, user: str = "alice") -> dict[str, object]:
    store = default_store()
    args = validate_call("create_task", {"title": title}, NOW)
    return run_tool(store, store.ensure_user(user), "create_task", args, NOW, key)


def test_the_same_key_writes_once_and_returns_the_first_result() -> None:
    first = create("Call the bank", "thread|execute:abc|0")
    again = create("Call the bank", "thread|execute:abc|0")
    assert again == first
    assert default_store().count_rows()["tasks"] == 1


def test_a_different_key_user_or_argument_is_a_different_write() -> None:
    create("Call the bank", "k|0")
    create("Call the bank", "k|1")  # the next call of the same step
    create("Call the bank", "k|0", user="bob")  # someone else's call
    create("Call the mum", "k|0")  # not the same call at all
    create("Call the bank", None)  # no key: no idempotency
    assert default_store().count_rows()["tasks"] == 5


def test_a_failed_write_records_nothing_and_can_be_retried() -> None:
    store = default_store()
    user_id = store.ensure_user("alice")
    args = validate_call("complete_task", {"task_id": 1}, NOW)
    with pytest.raises(ToolError):
        run_tool(store, user_id, "complete_task", args, NOW, "k|0")
    create("Now it exists", None)
    assert run_tool(store, user_id, "complete_task", args, NOW, "k|0")["task"]["id"] == 1


async def test_repeating_a_request_in_a_new_turn_still_writes_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()
    agent = Agent(build_graph(checkpointer=InMemorySaver()))
    for _ in range(2):
        result = await agent.ask("add a task to call the bank", thread_id="t", user="alice")
        assert result.tool_calls[0]["ok"]
    assert default_store().count_rows()["tasks"] == 2
