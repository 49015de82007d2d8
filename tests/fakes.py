"""Test doubles for the code around the model: a scripted chat model with bind_tools."""

from __future__ import annotations

import json
import uuid
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.messages.tool import invalid_tool_call, tool_call
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field


class ScriptedChatModel(BaseChatModel):
    """Replies with queued AIMessages (or raises queued exceptions), recording prompts."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    responses: list[Any] = Field(default_factory=list)
    prompts: list[list[BaseMessage]] = Field(default_factory=list)
    bound: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def bind_tools(self, tools: Any, *, tool_choice: Any = None, **kwargs: Any) -> Any:
        self.bound.append({"tools": list(tools), "tool_choice": tool_choice})
        return self

    def _generate(
        self, messages: list[BaseMessage], stop: Any = None, run_manager: Any = None, **kwargs: Any
    ) -> ChatResult:
        self.prompts.append(list(messages))
        if not self.responses:
            raise AssertionError("the scripted model was called more often than scripted")
        item = self.responses.pop(0)
        if isinstance(item, BaseException):
            raise item
        return ChatResult(generations=[ChatGeneration(message=item)])


def calls(*specs: tuple[str, dict[str, Any]]) -> AIMessage:
    """An AIMessage proposing the given (name, arguments) tool calls."""
    return AIMessage(
        content="",
        tool_calls=[
            tool_call(name=name, args=args, id=f"call_{uuid.uuid4().hex[:8]}")
            for name, args in specs
        ],
    )


def bad_json(name: str, raw: str) -> AIMessage:
    """An AIMessage whose single tool call has unparseable arguments."""
    try:
        json.loads(raw)
        raise ValueError("raw must not be valid JSON")
    except json.JSONDecodeError as exc:
        error = str(exc)
    return AIMessage(
        content="",
        invalid_tool_calls=[invalid_tool_call(name=name, args=raw, id="call_bad", error=error)],
    )
