"""The vLLM chat template renders exactly what llama.cpp sees through serving.wire,
so one fine-tuned model gets the same prompt behind either engine."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment

from serving.wire import render_chatml, to_chatml_messages
from taskagent.tools import openai_tools

TEMPLATE = Path(__file__).resolve().parents[2] / "serving" / "templates" / "taskagent_chatml.jinja"


def render_template(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> str:
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    # transformers' tojson accepts separators; mirror it for the sandbox
    env.filters["tojson"] = lambda value, separators=None: json.dumps(
        value, separators=separators, ensure_ascii=False
    )
    return env.from_string(TEMPLATE.read_text()).render(
        messages=messages, tools=tools, add_generation_prompt=True
    )


CONVERSATIONS = [
    [
        {"role": "system", "content": "You are TaskAgent. Today is Wednesday 2026-11-18 10:00."},
        {"role": "user", "content": "Create a project Q1 and add a Budget task"},
    ],
    [{"role": "user", "content": "show my tasks"}],
    [
        {"role": "system", "content": "You are TaskAgent."},
        {"role": "user", "content": "Create a project Q1 and add a Budget task"},
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "a",
                    "type": "function",
                    "function": {"name": "create_project", "arguments": {"name": "Q1"}},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "a", "content": '{"project": {"id": 1}}'},
        {"role": "user", "content": "Make the remaining tool calls."},
    ],
]


@pytest.mark.parametrize("messages", CONVERSATIONS)
@pytest.mark.parametrize("with_tools", [True, False])
def test_vllm_template_matches_the_llamacpp_prompt(
    messages: list[dict[str, Any]], with_tools: bool
) -> None:
    tools = openai_tools() if with_tools else None
    expected = render_chatml(to_chatml_messages(messages, tools))
    assert render_template(messages, tools) == expected
