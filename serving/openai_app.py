"""An OpenAI-compatible chat server in front of an engine that only does text.

llama.cpp serves our model, but its native tool-call handling does not engage for
our template, so this adapter does the tool part itself: it renders tools into the
short prompt of :mod:`serving.wire`, constrains decoding with the grammar from
:mod:`serving.grammar`, and turns the model's JSON array back into OpenAI
``tool_calls``. The OpenAI SDK, LangChain ``bind_tools``, LiteLLM and the OpenAI
Agents SDK all work against it unchanged.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any, Protocol

import anyio
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse

from serving.grammar import tool_call_grammar
from serving.wire import dumps, parse_calls, to_chatml_messages

PASS_THROUGH = ("temperature", "top_p", "max_tokens", "stop", "seed", "response_format", "n_probs")


class Engine(Protocol):
    """Anything that completes a chat request dict with a chat.completion dict."""

    model_name: str

    def complete(self, request: dict[str, Any]) -> dict[str, Any]: ...


def _error(status: int, message: str, kind: str = "invalid_request_error") -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind}}, status_code=status)


def _tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {"id": f"call_{uuid.uuid4().hex[:12]}", "type": "function",
         "function": {"name": call["name"], "arguments": dumps(call["arguments"])}}
        for call in calls
    ]  # fmt: skip


def build_request(body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The engine request for an OpenAI body, and whether tool calls are expected."""
    tools = body.get("tools") or []
    tool_choice = body.get("tool_choice", "auto" if tools else "none")
    wants_tools = bool(tools) and tool_choice != "none"
    request: dict[str, Any] = {
        "messages": to_chatml_messages(body["messages"], tools if wants_tools else None),
        "temperature": 0,
        "max_tokens": 256,
    }
    request |= {key: body[key] for key in PASS_THROUGH if key in body}
    if "max_completion_tokens" in body:  # the newer name (langchain-openai sends it)
        request["max_tokens"] = body["max_completion_tokens"]
    if wants_tools:
        request["grammar"] = tool_call_grammar(tools, tool_choice)
        request.pop("response_format", None)
    return request, wants_tools


def to_openai(result: dict[str, Any], model: str, wants_tools: bool) -> dict[str, Any]:
    """The engine's completion → an OpenAI chat.completion, with tool calls parsed out."""
    choice = (result.get("choices") or [{}])[0]
    content = (choice.get("message") or {}).get("content") or ""
    finish = choice.get("finish_reason") or "stop"
    message: dict[str, Any] = {"role": "assistant", "content": content}
    calls = parse_calls(content) if wants_tools else None
    if calls:
        message = {"role": "assistant", "content": None, "tool_calls": _tool_calls(calls)}
        finish = "tool_calls"
    return {
        "id": result.get("id") or f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish}],
        "usage": result.get("usage") or {},
    }


async def _as_stream(completion: dict[str, Any]) -> AsyncIterator[bytes]:
    """One completed reply as an OpenAI SSE stream (role, content or calls, finish)."""
    choice = completion["choices"][0]
    base = {key: completion[key] for key in ("id", "created", "model")} | {
        "object": "chat.completion.chunk"
    }
    delta: dict[str, Any] = {"role": "assistant"}
    if choice["message"].get("tool_calls"):
        delta["tool_calls"] = [
            call | {"index": i} for i, call in enumerate(choice["message"]["tool_calls"])
        ]
    else:
        delta["content"] = choice["message"]["content"]
    for chunk in (
        {"choices": [{"index": 0, "delta": delta, "finish_reason": None}]},
        {"choices": [{"index": 0, "delta": {}, "finish_reason": choice["finish_reason"]}]},
    ):
        yield f"data: {json.dumps(base | chunk)}\n\n".encode()
    yield b"data: [DONE]\n\n"


def create_app(engine: Engine) -> FastAPI:
    app = FastAPI(title="TaskAgent model server", docs_url=None, redoc_url=None)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok", "model": engine.model_name}

    @app.get("/v1/models")
    async def list_models() -> dict[str, Any]:
        return {
            "object": "list",
            "data": [{"id": engine.model_name, "object": "model", "owned_by": "taskagent"}],
        }

    @app.post("/v1/chat/completions", response_model=None)
    async def chat_completions(request: Request) -> Any:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return _error(400, "The request body is not valid JSON.")
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("messages"), list)
            or not body["messages"]
        ):
            return _error(400, "'messages' must be a non-empty list.")
        try:
            engine_request, wants_tools = build_request(body)
        except (KeyError, TypeError, AttributeError) as exc:
            return _error(400, f"Malformed request: {exc}")
        try:
            result = await anyio.to_thread.run_sync(engine.complete, engine_request)
        except Exception as exc:  # the engine's own failure, reported the OpenAI way
            return _error(500, f"The model engine failed: {exc}", "server_error")
        if "error" in result and "choices" not in result:
            message = (
                result["error"].get("message", "engine error")
                if isinstance(result["error"], dict)
                else str(result["error"])
            )
            return _error(400, message)
        completion = to_openai(result, engine.model_name, wants_tools)
        if body.get("stream"):
            return StreamingResponse(_as_stream(completion), media_type="text/event-stream")
        return completion

    return app
