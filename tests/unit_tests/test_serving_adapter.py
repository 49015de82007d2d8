"""The OpenAI-compatible adapter around a text-only engine (a fake engine here; the real
llama.cpp engine is exercised in the integration tests)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient

from serving.grammar import call_schema, tool_call_grammar
from serving.openai_app import create_app
from serving.wire import parse_calls, to_chatml_messages
from taskagent.tools import openai_tools


class FakeEngine:
    model_name = "taskagent"

    def __init__(self, replies: list[str]):
        self.replies = replies
        self.requests: list[dict[str, Any]] = []

    def complete(self, request: dict[str, Any]) -> dict[str, Any]:
        self.requests.append(request)
        return {
            "choices": [{"message": {"content": self.replies.pop(0)}, "finish_reason": "stop"}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 7},
        }


def post(engine: FakeEngine, **body: Any) -> Any:
    client = TestClient(create_app(engine))
    return client.post("/v1/chat/completions", json={"model": "taskagent", **body})


def test_tool_calls_come_back_in_openai_format() -> None:
    engine = FakeEngine(
        ['[{"name":"create_task","arguments":{"title":"Budget","priority":"high"}}]']
    )
    response = post(
        engine,
        messages=[{"role": "user", "content": "add Budget"}],
        tools=openai_tools(),
        tool_choice="required",
    )
    choice = response.json()["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and choice["message"]["content"] is None
    call = choice["message"]["tool_calls"][0]
    assert call["type"] == "function" and call["function"]["name"] == "create_task"
    assert json.loads(call["function"]["arguments"]) == {"title": "Budget", "priority": "high"}
    request = engine.requests[0]
    assert request["grammar"].startswith("%llguidance")
    assert "Tools: create_task, list_tasks" in request["messages"][0]["content"]


def test_without_tools_the_reply_is_plain_text_and_unconstrained() -> None:
    engine = FakeEngine(["Hello!"])
    response = post(engine, messages=[{"role": "user", "content": "hi"}])
    assert response.json()["choices"][0]["message"] == {"role": "assistant", "content": "Hello!"}
    assert "grammar" not in engine.requests[0]


def test_history_with_tool_calls_and_results_becomes_chatml() -> None:
    messages = [
        {"role": "system", "content": "You are TaskAgent."},
        {"role": "user", "content": "add Budget"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "create_task", "arguments": '{"title": "Budget"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": '{"task": {"id": 1}}'},
    ]
    converted = to_chatml_messages(messages, openai_tools())
    assert [m["role"] for m in converted] == ["system", "user", "assistant", "user"]
    assert converted[2]["content"] == '[{"name":"create_task","parameters":{"title":"Budget"}}]'
    assert converted[3]["content"] == '<tool_response>{"task": {"id": 1}}</tool_response>'


def test_streaming_returns_sse_chunks() -> None:
    engine = FakeEngine(['[{"name":"list_tasks","parameters":{}}]'])
    response = post(
        engine, messages=[{"role": "user", "content": "tasks?"}], tools=openai_tools(), stream=True
    )
    lines = [line for line in response.text.splitlines() if line.startswith("data: ")]
    assert lines[-1] == "data: [DONE]"
    first = json.loads(lines[0][6:])
    assert first["object"] == "chat.completion.chunk"
    assert first["choices"][0]["delta"]["tool_calls"][0]["function"]["name"] == "list_tasks"


@pytest.mark.parametrize(
    "body", ["not json", json.dumps({"messages": []}), json.dumps({"model": "x"})]
)
def test_malformed_requests_get_a_400_with_an_openai_error(body: str) -> None:
    client = TestClient(create_app(FakeEngine([])))
    response = client.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code == 400 and "message" in response.json()["error"]


def test_engine_failure_is_a_500_not_a_crash() -> None:
    class Broken(FakeEngine):
        def complete(self, request: dict[str, Any]) -> dict[str, Any]:
            raise RuntimeError("out of memory")

    response = post(Broken([]), messages=[{"role": "user", "content": "hi"}])
    assert response.status_code == 500 and "out of memory" in response.json()["error"]["message"]


def test_models_and_health() -> None:
    client = TestClient(create_app(FakeEngine([])))
    assert client.get("/v1/models").json()["data"][0]["id"] == "taskagent"
    assert client.get("/health").json()["status"] == "ok"


def test_grammar_allows_only_the_requested_tools_compactly() -> None:
    schema = call_schema(openai_tools(), {"type": "function", "function": {"name": "delete_task"}})
    assert [v["properties"]["name"]["const"] for v in schema["items"]["anyOf"]] == ["delete_task"]
    grammar = tool_call_grammar(openai_tools(), "required")
    assert '"whitespace_flexible":false' in grammar and "prose" not in grammar
    assert "prose" in tool_call_grammar(openai_tools(), "auto")
    # strings are capped so a rambling model cannot run past max_tokens mid-string
    create = call_schema(openai_tools())["items"]["anyOf"][0]["properties"]["parameters"]
    assert create["properties"]["title"]["maxLength"] <= 80


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[{"name":"list_tasks","parameters":{}}]', [{"name": "list_tasks", "arguments": {}}]),
        ('{"name":"list_tasks","arguments":{}}', [{"name": "list_tasks", "arguments": {}}]),
        ("Sure, here you go", None),
        ('[{"name":"list_tasks","arguments":{', None),
        # cut off by max_tokens: the complete calls survive
        (
            '[{"name":"list_tasks","arguments":{}},{"name":"create_task","argu',
            [{"name": "list_tasks", "arguments": {}}],
        ),
        ("[]", None),
    ],
)
def test_parse_calls(text: str, expected: Any) -> None:
    assert parse_calls(text) == expected


def test_max_completion_tokens_is_the_engines_max_tokens() -> None:
    """langchain-openai sends the newer name; the engine must still be capped by it."""
    from serving.openai_app import build_request

    request, _ = build_request(
        {"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 7}
    )
    assert request["max_tokens"] == 7
