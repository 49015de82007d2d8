"""Constrained decoding for tool calls: a grammar that only admits valid calls.

llama.cpp (through llguidance) takes a Lark grammar whose ``%json`` rule embeds a
JSON schema. We build one from the tools in the request: an array of 1-3 calls,
each ``{"name": <one tool>, "parameters": <that tool's schema>}``, with no free
whitespace, so every reply parses by construction and ends in the fewest tokens.
"""

from __future__ import annotations

import json
from typing import Any

COMPACT = {"whitespace_flexible": False, "item_separator": ",", "key_separator": ":"}
MAX_CALLS = 3
# Strings a model writes into a call are short; a cap stops a rambling model from
# running into max_tokens mid-string, which would leave the JSON unterminated.
MAX_STRING = 80


def _clamp_strings(schema: Any) -> Any:
    if isinstance(schema, dict):
        clamped = {key: _clamp_strings(value) for key, value in schema.items()}
        if clamped.get("type") == "string" and "enum" not in clamped and "format" not in clamped:
            clamped["maxLength"] = min(int(clamped.get("maxLength", MAX_STRING)), MAX_STRING)
        if clamped.get("type") == "array" and "items" in clamped:
            clamped.setdefault("maxItems", 10)
        return clamped
    if isinstance(schema, list):
        return [_clamp_strings(item) for item in schema]
    return schema


def call_schema(tools: list[dict[str, Any]], tool_choice: Any = "required") -> dict[str, Any]:
    """JSON schema for the reply: an array of calls to the allowed tools."""
    allowed = [tool["function"] for tool in tools if tool.get("type", "function") == "function"]
    if isinstance(tool_choice, dict):  # {"type": "function", "function": {"name": ...}}
        wanted = tool_choice.get("function", {}).get("name")
        allowed = [f for f in allowed if f["name"] == wanted] or allowed
    variants = [
        {
            "type": "object",
            "properties": {
                "name": {"const": function["name"]},
                "parameters": _clamp_strings(
                    function.get("parameters") or {"type": "object", "properties": {}}
                ),
            },
            "required": ["name", "parameters"],
            "additionalProperties": False,
        }
        for function in allowed
    ]
    return {"type": "array", "minItems": 1, "maxItems": MAX_CALLS, "items": {"anyOf": variants}}


def tool_call_grammar(tools: list[dict[str, Any]], tool_choice: Any = "required") -> str:
    """A Lark/llguidance grammar that admits only valid, compact tool calls.

    With ``tool_choice="auto"`` the model may instead write plain text, which must
    not start with ``[`` or ``{`` (so it cannot be mistaken for a broken call).
    """
    schema = call_schema(tools, tool_choice) | {"x-guidance": COMPACT}
    calls = "%json " + json.dumps(schema, separators=(",", ":"))
    if tool_choice == "auto":
        return (
            "%llguidance {}\nstart: calls | prose\ncalls: "
            + calls
            + "\nprose: /[^\\[{\\s][^\\x00]*/\n"
        )
    return "%llguidance {}\nstart: " + calls + "\n"
