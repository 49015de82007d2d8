"""vLLM tool-call parser for TaskAgent's wire format (a compact JSON array of calls).

Loaded by vLLM itself: ``--tool-parser-plugin serving/vllm_tool_parser.py
--tool-call-parser taskagent``. ``tool_choice="required"`` needs no parser (vLLM
decodes the same ``[{"name", "parameters"}]`` array through structured outputs);
this parser serves ``tool_choice="auto"``, where the model may also answer in text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from vllm.entrypoints.generate.base.protocol import (
    DeltaMessage,
    ExtractedToolCallInformation,
    FunctionCall,
    ToolCall,
)
from vllm.renderers.chat_utils import make_tool_call_id
from vllm.tool_parsers.abstract_tool_parser import ToolParser, ToolParserManager


def _parse(text: str) -> list[dict[str, Any]] | None:
    text = text.strip()
    if not text.startswith(("[", "{")):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    items = value if isinstance(value, list) else [value]
    if not items or not all(isinstance(i, dict) and isinstance(i.get("name"), str) for i in items):
        return None
    return items


@ToolParserManager.register_module(["taskagent"])
class TaskAgentToolParser(ToolParser):
    def extract_tool_calls(self, model_output: str, request: Any) -> ExtractedToolCallInformation:
        items = _parse(model_output)
        if items is None:
            return ExtractedToolCallInformation(
                tools_called=False, tool_calls=[], content=model_output
            )
        calls = [
            ToolCall(
                id=make_tool_call_id(),
                type="function",
                function=FunctionCall(
                    name=item["name"],
                    arguments=json.dumps(
                        item.get("parameters", item.get("arguments", {})),
                        separators=(",", ":"),
                        ensure_ascii=False,
                    ),
                ),
            )
            for item in items
        ]
        return ExtractedToolCallInformation(tools_called=True, tool_calls=calls, content=None)

    def extract_tool_calls_streaming(
        self,
        previous_text: str,
        current_text: str,
        delta_text: str,
        previous_token_ids: Sequence[int],
        current_token_ids: Sequence[int],
        delta_token_ids: Sequence[int],
        request: Any,
    ) -> DeltaMessage | None:
        # Calls are short; text that is not a call streams through as content.
        if current_text.lstrip().startswith(("[", "{")):
            return None
        return DeltaMessage(content=delta_text)
