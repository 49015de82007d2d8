"""Model tiers over real HTTP through ChatOpenAI: down, slow, garbage, bad JSON."""

from __future__ import annotations

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.agent import Agent
from graph.builder import build_graph
from taskagent.settings import database_url, reset_settings
from taskagent.store import store_for
from tests.conftest import NOW
from tests.integration_tests.conftest import free_port
from tests.integration_tests.scripted_server import ScriptedServer, tool_reply

HEADLINE = "Create a high-priority task to review the Q4 budget due Friday"
GOOD = tool_reply(
    ("create_task", {"title": "Review the Q4 budget", "priority": "high", "due_date": "2026-11-20"})
)


@pytest.fixture
def agent() -> Agent:
    return Agent(build_graph(checkpointer=InMemorySaver()))


def use_tiers(
    monkeypatch: pytest.MonkeyPatch, primary: str, fallback: str | None, timeout: float = 2
) -> None:
    monkeypatch.setenv("TASKAGENT_PRIMARY_MODEL", "openai/scripted")
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", primary)
    monkeypatch.setenv("TASKAGENT_PRIMARY_TIMEOUT", str(timeout))
    monkeypatch.setenv("TASKAGENT_ROUTER_NUM_RETRIES", "0")
    monkeypatch.setenv("TASKAGENT_ARBITRATION", "off")  # the tiers under test always plan
    if fallback:
        monkeypatch.setenv("TASKAGENT_FALLBACK_MODEL", "openai/scripted-fallback")
        monkeypatch.setenv("TASKAGENT_FALLBACK_API_BASE", fallback)
        monkeypatch.setenv("TASKAGENT_FALLBACK_API_KEY", "sk-test")
        reset_settings()


def stored_titles() -> list[str]:
    store = store_for(database_url())
    with store.session() as session:
        from sqlalchemy import select

        from taskagent.db import Task

        return list(session.scalars(select(Task.title)))


async def test_primary_answers_over_http(agent: Agent, monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer() as primary:
        primary.replies = [GOOD]
        use_tiers(monkeypatch, primary.base_url, None)
        result = await agent.ask(HEADLINE, thread_id="a", now=NOW)
        request = primary.requests[0]
    assert result.tier == "primary" and result.tier_log == []
    assert result.tool_calls[0]["arguments"]["due_date"] == "2026-11-20"
    assert stored_titles() == ["Review the Q4 budget"]
    # grounded decoding: only the request's tools, its title offered as a copied span
    assert request["tool_choice"] == "required"
    [tool] = request["tools"]
    assert tool["function"]["name"] == "create_task"
    assert "review the Q4 budget" in tool["function"]["parameters"]["properties"]["title"]["enum"]
    assert request["messages"][0]["role"] == "system"


@pytest.mark.parametrize("mode", ["down", "slow", "garbage", "error", "bad-json"])
async def test_a_failing_primary_falls_through_to_the_fallback(
    agent: Agent, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    with ScriptedServer(mode="ok") as fallback, ScriptedServer(mode=mode, delay=4) as primary:
        fallback.replies = [GOOD]
        primary.replies = [tool_reply(("create_task", '{"title": "Review'))] * 2
        url = f"http://127.0.0.1:{free_port()}/v1" if mode == "down" else primary.base_url
        use_tiers(monkeypatch, url, fallback.base_url, timeout=1)
        result = await agent.ask(HEADLINE, thread_id=mode, now=NOW)
    assert result.tier == "fallback", result.tier_log
    assert result.tier_log[0]["tier"] == "primary" and result.tier_log[0]["outcome"] == "failed"
    assert stored_titles() == ["Review the Q4 budget"]
    if mode == "slow":
        assert result.tier_log[0]["reason"] == "timed out"
    if mode == "down":
        assert "unreachable" in result.tier_log[0]["reason"]


async def test_both_models_down_still_answers_from_the_rule_planner(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_tiers(
        monkeypatch, f"http://127.0.0.1:{free_port()}/v1", f"http://127.0.0.1:{free_port()}/v1"
    )
    result = await agent.ask(HEADLINE, thread_id="b", now=NOW)
    assert result.tier == "emergency"
    assert [entry["tier"] for entry in result.tier_log] == ["primary", "fallback"]
    assert stored_titles() == ["Review the Q4 budget"]


async def test_a_tier_that_keeps_failing_is_cooled_down(
    agent: Agent, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_tiers(monkeypatch, f"http://127.0.0.1:{free_port()}/v1", None)
    monkeypatch.setenv("TASKAGENT_ROUTER_ALLOWED_FAILS", "2")
    reset_settings()
    for _turn in range(2):
        await agent.ask("show my tasks", thread_id="c", now=NOW)
    third = await agent.ask("show my tasks", thread_id="c", now=NOW)
    assert third.tier == "emergency" and third.model_calls == 0
    assert (
        third.tier_log[0]["outcome"] == "skipped" and "cooling down" in third.tier_log[0]["reason"]
    )
