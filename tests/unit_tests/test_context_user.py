"""Finding 3: an explicitly passed user always wins over TASKAGENT_USER.

An account that happens to be called ``local`` (the field's old default) must act as
itself, not as whoever the server's environment names.
"""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.agent import Agent
from graph.builder import build_graph
from graph.context import Context
from taskagent.settings import reset_settings
from taskagent.store import default_store


@pytest.fixture(autouse=True)
def server_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKAGENT_USER", "operator")
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()


def test_an_explicit_user_named_local_is_not_replaced_from_the_environment() -> None:
    assert Context(user="local").user == "local"
    assert Context(user="alice").user == "alice"


def test_an_unset_user_still_comes_from_the_environment_then_defaults_to_local(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert Context().user == "operator"
    monkeypatch.delenv("TASKAGENT_USER")
    reset_settings()
    assert Context().user == "local"


async def test_a_turn_for_the_account_named_local_writes_as_local() -> None:
    agent = Agent(build_graph(checkpointer=InMemorySaver()))
    result = await agent.ask("add a task to call the bank", thread_id="t", user="local")
    assert result.tool_calls[0]["ok"]
    store = default_store()
    local, operator = store.ensure_user("local"), store.ensure_user("operator")
    assert store.get_task(local, result.tool_calls[0]["result"]["task"]["id"]) is not None
    assert store.get_task(operator, result.tool_calls[0]["result"]["task"]["id"]) is None
