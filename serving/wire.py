"""The wire format between our planner prompt and our model: one definition, used by
the llama.cpp adapter at serving time and by the dataset generator at training time.

A model reply that calls tools is a compact JSON array, nothing else:

    [{"name":"create_task","parameters":{"title":"Budget","priority":"high"}}]

The ``parameters`` key is the one vLLM's ``tool_choice="required"`` decoding uses,
so one fine-tuned model works behind both engines.

On the way in, OpenAI messages become plain ChatML turns: the tool list is one line
appended to the system message, an assistant's earlier ``tool_calls`` become that
same JSON array, and tool results become a user turn wrapped in ``<tool_response>``.
Short prompts matter: every prompt token costs about 3 ms on two CPU cores.
"""

from __future__ import annotations

import json
from typing import Any

# What SmolLM2's own template inserts when a conversation has no system message.
DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
TOOL_LINE = "Tools: {names}. Reply with a JSON array of tool calls."


def dumps(value: Any) -> str:
    """Compact JSON, exactly as the model is trained to write it."""
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def tool_names(tools: list[dict[str, Any]]) -> list[str]:
    return [
        tool["function"]["name"] for tool in tools if tool.get("type", "function") == "function"
    ]


def calls_to_text(tool_calls: list[dict[str, Any]]) -> str:
    """OpenAI ``tool_calls`` → the JSON array the model writes."""
    items = []
    for call in tool_calls:
        function = call.get("function", call)
        arguments = function.get("arguments") or {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments or "{}")
            except json.JSONDecodeError:
                arguments = {}
        items.append({"name": function.get("name", ""), "parameters": arguments})
    return dumps(items)


def _text(content: Any) -> str:
    if isinstance(content, list):  # content parts: keep the text ones
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return "" if content is None else str(content)


def to_chatml_messages(
    messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None
) -> list[dict[str, str]]:
    """OpenAI chat messages (with tools) → system/user/assistant messages for ChatML."""
    out: list[dict[str, str]] = []
    for message in messages:
        role = message.get("role")
        if role in ("system", "developer"):
            out.append({"role": "system", "content": _text(message.get("content"))})
        elif role == "assistant" and message.get("tool_calls"):
            out.append({"role": "assistant", "content": calls_to_text(message["tool_calls"])})
        elif role == "tool":
            out.append(
                {
                    "role": "user",
                    "content": f"<tool_response>{_text(message.get('content'))}</tool_response>",
                }
            )
        else:
            out.append({"role": role or "user", "content": _text(message.get("content"))})
    if tools:
        line = TOOL_LINE.format(names=", ".join(tool_names(tools)))
        if out and out[0]["role"] == "system":
            out[0] = {"role": "system", "content": f"{out[0]['content']}\n{line}"}
        else:
            out.insert(0, {"role": "system", "content": line})
    return out


def _complete_items(text: str) -> list[Any]:
    """The items of a JSON array cut off by max_tokens that were written in full."""
    decoder = json.JSONDecoder()
    items, index = [], 1
    while index < len(text):
        while index < len(text) and text[index] in " ,\n":
            index += 1
        try:
            item, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError:
            break
        items.append(item)
    return items


def parse_calls(text: str) -> list[dict[str, Any]] | None:
    """The model's JSON array (or single object) → [{"name", "arguments"}], or None.

    Decoding is grammar-constrained, so a reply that does not parse was cut off by
    ``max_tokens``; the calls it completed before that are kept.
    """
    text = text.strip()
    if not text.startswith(("[", "{")):
        return None
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = _complete_items(text) if text.startswith("[") else None
        if not value:
            return None
    items = value if isinstance(value, list) else [value]
    calls = []
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            return None
        arguments = item.get("parameters", item.get("arguments", {}))
        calls.append(
            {"name": item["name"], "arguments": arguments if isinstance(arguments, dict) else {}}
        )
    return calls or None


def render_chatml(messages: list[dict[str, str]], add_generation_prompt: bool = True) -> str:
    """The prompt text llama.cpp builds from the embedded GGUF's ChatML template.

    The training data generator uses it, and a test holds the vLLM template to it,
    so the model sees the same text in training and behind either engine.
    """
    text = ""
    if not messages or messages[0]["role"] != "system":
        text += f"<|im_start|>system\n{DEFAULT_SYSTEM}<|im_end|>\n"
    for message in messages:
        text += f"<|im_start|>{message['role']}\n{message['content']}<|im_end|>\n"
    if add_generation_prompt:
        text += "<|im_start|>assistant\n"
    return text


def tool_result_text(result: Any) -> str:
    """A tool result as the model sees it: compact JSON without timestamps or nulls."""

    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {
                k: strip(v)
                for k, v in value.items()
                if v is not None and v != [] and k not in ("created_at", "updated_at")
            }
        if isinstance(value, list):
            return [strip(v) for v in value]
        return value

    return dumps(strip(result))
