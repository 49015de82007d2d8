"""The MCP server's security review: conversation ids, strict confirm, message and error limits.

The server runs in-process on the real graph (in-memory checkpointer, rule tier only), and
each user is a server acting as that stdio user, the way ``taskagent mcp`` does.
"""

from __future__ import annotations

import json
from typing import Any

import mcp.types as types
import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.agent import Agent
from graph.builder import build_graph
from graph.context import Context
from taskagent.settings import reset_settings
from taskagent.store import default_store
from ui.mcp_server import TaskAgentMCP

# The classify node's limit: the longest message the agent accepts.
MAX_MESSAGE_CHARS = Context().max_message_chars


class SpyAgent:
    """A real agent that remembers which threads it was asked to use."""

    def __init__(self, agent: Agent):
        self.agent = agent
        self.threads: list[str] = []

    async def ask(self, message: str, *, thread_id: str, user: str) -> Any:
        self.threads.append(thread_id)
        return await self.agent.ask(message, thread_id=thread_id, user=user)

    async def resume(self, answer: Any, *, thread_id: str, user: str) -> Any:
        self.threads.append(thread_id)
        return await self.agent.resume(answer, thread_id=thread_id, user=user)

    async def pending_confirmation(self, thread_id: str) -> Any:
        return await self.agent.pending_confirmation(thread_id)


@pytest.fixture(autouse=True)
def rules_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TASKAGENT_TIERS", "emergency")
    reset_settings()


@pytest.fixture
def agent() -> SpyAgent:
    return SpyAgent(Agent(build_graph(checkpointer=InMemorySaver())))


def server(user: str, agent: SpyAgent) -> TaskAgentMCP:
    """An MCP server acting as ``user`` that shares one agent (and checkpointer) with others."""
    app = TaskAgentMCP(stdio_user=user)
    app.agent = agent
    app.store = default_store()
    return app


def payload(result: types.CallToolResult) -> Any:
    text = result.content[0].text  # type: ignore[union-attr]
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


# --- finding 1: conversation ids -------------------------------------------------------------


async def test_mcp_conversation_ids_cannot_collide_across_users(agent: SpyAgent) -> None:
    bob_smith, bob = server("bob-smith", agent), server("bob", agent)
    await bob_smith._call_tool(
        "ask_agent", {"message": "add a task to plan the secret merger", "thread_id": "work"}
    )
    await bob._call_tool("ask_agent", {"message": "show my tasks", "thread_id": "smith-work"})
    theirs, mine = agent.threads
    assert theirs != mine, "bob + 'smith-work' must not be bob-smith + 'work'"
    state = await agent.agent.graph.aget_state({"configurable": {"thread_id": mine}})
    assert "secret merger" not in json.dumps([str(m.content) for m in state.values["messages"]])


async def test_the_same_thread_name_is_a_different_conversation_for_each_user(
    agent: SpyAgent,
) -> None:
    for user in ("alice", "mallory"):
        await server(user, agent)._call_tool("ask_agent", {"message": "hi", "thread_id": "t"})
    assert len(set(agent.threads)) == 2
    assert all(thread.startswith("mcp-") for thread in agent.threads)


@pytest.mark.parametrize("thread_id", ["x" * 65, "a/b", "t\n", "", 7, ["t"]])
async def test_a_malformed_thread_id_is_refused_without_running_the_agent(
    agent: SpyAgent, thread_id: Any
) -> None:
    if thread_id == "":  # empty means "start a new conversation", which is fine
        result = await server("alice", agent)._call_tool(
            "ask_agent", {"message": "hi", "thread_id": thread_id}
        )
        assert not result.isError
        return
    result = await server("alice", agent)._call_tool(
        "ask_agent", {"message": "hi", "thread_id": thread_id}
    )
    assert result.isError and "thread_id" in payload(result)
    assert agent.threads == []


# --- finding 2: confirm is parsed strictly ---------------------------------------------------


async def pending_delete(agent: SpyAgent) -> tuple[TaskAgentMCP, int, int]:
    alice = server("alice", agent)
    created = payload(await alice._call_tool("create_task", {"title": "Keep me"}))
    task_id = created["task"]["id"]
    pending = payload(
        await alice._call_tool(
            "ask_agent", {"message": f"delete task {task_id}", "thread_id": "t1"}
        )
    )
    assert pending["confirmation_required"] is not None
    user_id = default_store().ensure_user("alice")
    return alice, task_id, user_id


@pytest.mark.parametrize("answer", ["false", "False", "0", "no", False])
async def test_confirm_false_in_any_spelling_cancels_the_delete(
    agent: SpyAgent, answer: Any
) -> None:
    alice, task_id, user_id = await pending_delete(agent)
    result = await alice._call_tool(
        "ask_agent", {"message": "", "thread_id": "t1", "confirm": answer}
    )
    assert not result.isError
    assert default_store().get_task(user_id, task_id) is not None, f"confirm={answer!r} deleted"


@pytest.mark.parametrize("answer", ["maybe", "", 1, 0, None, ["true"], {"confirm": True}])
async def test_a_confirm_that_is_not_a_boolean_is_an_error_and_deletes_nothing(
    agent: SpyAgent, answer: Any
) -> None:
    alice, task_id, user_id = await pending_delete(agent)
    result = await alice._call_tool(
        "ask_agent", {"message": "", "thread_id": "t1", "confirm": answer}
    )
    assert result.isError and "confirm must be true or false" in payload(result)
    assert default_store().get_task(user_id, task_id) is not None
    assert await agent.pending_confirmation(agent.threads[-1]) is not None  # still waiting


@pytest.mark.parametrize("answer", [True, "true", "1", "yes"])
async def test_confirm_true_in_any_spelling_deletes(agent: SpyAgent, answer: Any) -> None:
    alice, task_id, user_id = await pending_delete(agent)
    result = await alice._call_tool(
        "ask_agent", {"message": "", "thread_id": "t1", "confirm": answer}
    )
    assert payload(result)["response"].startswith("Deleted task")
    assert default_store().get_task(user_id, task_id) is None


async def test_delete_task_tool_refuses_a_string_false(agent: SpyAgent) -> None:
    alice = server("alice", agent)
    task_id = payload(await alice._call_tool("create_task", {"title": "Keep me"}))["task"]["id"]
    for answer in ("false", "maybe", 1):
        result = await alice._call_tool("delete_task", {"task_id": task_id, "confirm": answer})
        assert result.isError
    assert default_store().get_task(default_store().ensure_user("alice"), task_id) is not None


# --- finding 5: ask_agent messages are capped like REST's ------------------------------------


async def test_ask_agent_refuses_an_oversized_message_before_the_agent_sees_it(
    agent: SpyAgent,
) -> None:
    result = await server("alice", agent)._call_tool(
        "ask_agent", {"message": "x" * (MAX_MESSAGE_CHARS + 1), "thread_id": "big"}
    )
    assert result.isError and f"{MAX_MESSAGE_CHARS:,}" in payload(result)
    assert agent.threads == []


async def test_ask_agent_refuses_a_message_that_is_not_text(agent: SpyAgent) -> None:
    result = await server("alice", agent)._call_tool("ask_agent", {"message": {"x": 1}})
    assert result.isError and agent.threads == []


# --- finding 6: no raw exception text reaches an MCP client ---------------------------------


async def test_an_unexpected_tool_failure_is_reported_without_its_exception_text(
    agent: SpyAgent, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    import ui.mcp_server as mcp_server

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("connection to postgresql://admin:hunter2@db failed")

    monkeypatch.setattr(mcp_server, "call_tool", broken)
    result = await server("alice", agent)._call_tool("create_task", {"title": "x"})
    assert result.isError and "hunter2" not in json.dumps(payload(result))
    assert "hunter2" in caplog.text  # the details go to the server log
