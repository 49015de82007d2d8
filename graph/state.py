"""The agent's state, declared once, with a reducer for every accumulating field.

``messages`` is the conversation and persists across turns (checkpointed per
thread). Everything else describes the current turn: classify resets those fields
with ``Overwrite`` at the start of every turn, so a resumed thread never mixes the
tool results of two turns.
"""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

from langchain_core.messages import AIMessage, AnyMessage
from langgraph.graph import add_messages

from taskagent.tools import READ_ONLY_TOOLS

Route = Literal["plan", "decline", "invalid"]


@dataclass
class InputState:
    """What a caller sends: new messages, appended to the conversation."""

    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)


@dataclass
class State(InputState):
    """The whole state of a thread."""

    # classify
    route: Route = "plan"
    notice: str | None = None  # a plain-words reason for decline/invalid
    intents: list[str] = field(default_factory=list)  # tools the request seems to need
    # the intent classifier's vote: the tool set it predicts (guess), and the same set
    # again only when it is confident enough for the guard to hold writes to it (tools)
    classifier_guess: list[str] | None = None
    classifier_tools: list[str] | None = None

    # model tiers
    tier: str = "primary"
    tier_log: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    model_calls: Annotated[int, operator.add] = 0

    # plan / verify
    draft: AIMessage | None = None  # the latest raw planner output
    plan_error: str | None = None  # why the current tier failed to plan
    verify_error: str | None = None  # why the draft's calls were rejected
    repairs: int = 0
    steps_left: int = 0  # plan rounds still allowed this turn (chains)
    tier_failed: bool = False  # the current tier gave up: route to fallback
    question: str | None = None  # what the rule planner needs to ask
    json_checks: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)

    # execute
    pending_calls: list[dict[str, Any]] = field(default_factory=list)
    tool_results: Annotated[list[dict[str, Any]], operator.add] = field(default_factory=list)
    scratch: Annotated[list[AnyMessage], operator.add] = field(default_factory=list)

    # memory across turns: the task "it" refers to
    focus_task_id: int | None = None


def latest_user_text(state: State) -> str:
    """The text of the most recent human message in the thread."""
    for message in reversed(state.messages):
        if message.type == "human":
            content = message.content
            if isinstance(content, list):  # multimodal parts: keep the text ones
                content = " ".join(
                    p.get("text", "") if isinstance(p, dict) else str(p) for p in content
                )
            return str(content)
    return ""


def requested_writes_left(state: State) -> list[str]:
    """Write actions the request asked for that no successful call has done yet.

    ``intents`` lists one entry per clause, so "complete task 1 and task 2" asks for two
    ``complete_task`` calls: each successful call uses up one entry.
    """
    left = [intent for intent in state.intents if intent not in READ_ONLY_TOOLS]
    for result in state.tool_results:
        if result.get("ok") and result["name"] in left:
            left.remove(result["name"])
    return left
