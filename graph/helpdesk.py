"""The task helpdesk: a triage node hands one task to one specialist.

    triage → scheduler | breakdown | blocker → END

Triage is deterministic (keyword scoring over the request, with "breakdown" as the
safe default), so routing is instant and testable. Each specialist writes its
answer on the same model tiers as the agent (primary, then fallback) and falls
back to a deterministic template, so help always arrives. Used by the REST API's
``/tasks/{id}/help`` and ``/tasks/{id}/schedule``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Annotated, Any, Literal

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph, add_messages
from langgraph.runtime import Runtime

from graph import models
from graph.context import Context

Specialist = Literal["scheduler", "breakdown", "blocker"]
SPECIALISTS: dict[str, dict[str, str]] = {
    "scheduler": {
        "name": "Scheduler",
        "description": "Finds time for a task: when to do it, deadlines, reminders.",
    },
    "breakdown": {
        "name": "Breakdown",
        "description": "Splits a task into small, concrete next steps.",
    },
    "blocker": {
        "name": "Blocker",
        "description": "Gets you unstuck: likely causes, what to try, whom to ask.",
    },
}
_SIGNALS: dict[str, str] = {
    "scheduler": r"\b(?:when|schedul\w*|time|calendar|deadline|due|slot|week|today|tomorrow|"
    r"plan\s+my|fit|remind\w*|priorit\w*|hours?|morning|afternoon)\b",
    "breakdown": r"\b(?:steps?|break\w*\s*down|split|subtasks?|how\s+(?:do|should|to)|start\w*|"
    r"plan|outline|checklist|organi[sz]e|smaller)\b",
    "blocker": r"\b(?:stuck|block\w*|can'?t|cannot|problem|issue|fail\w*|error|waiting|unblock|"
    r"struggl\w*|don'?t\s+know|procrastinat\w*|overwhelm\w*)\b",
}


@dataclass
class HelpState:
    task: dict[str, Any] = field(default_factory=dict)
    query: str = ""
    specialist: str = ""
    tier: str = ""
    messages: Annotated[list[AnyMessage], add_messages] = field(default_factory=list)


def pick_specialist(query: str) -> Specialist:
    """The specialist whose signals the request hits most; breakdown when unsure."""
    scores = {
        name: len(re.findall(pattern, query, re.IGNORECASE)) for name, pattern in _SIGNALS.items()
    }
    best = max(scores, key=lambda name: scores[name])
    return best if scores[best] > 0 else "breakdown"  # type: ignore[return-value]


async def triage(state: HelpState, runtime: Runtime[Context]) -> dict[str, Any]:
    """Choose one specialist for the request (kept if the caller already chose one)."""
    return {"specialist": state.specialist or pick_specialist(state.query)}


def route_to_specialist(state: HelpState) -> Specialist:
    return state.specialist if state.specialist in SPECIALISTS else "breakdown"  # type: ignore[return-value]


def _task_line(task: dict[str, Any]) -> str:
    parts = [f"“{task.get('title', 'this task')}”"]
    if task.get("priority") and task["priority"] != "normal":
        parts.append(f"{task['priority']} priority")
    if task.get("due_date"):
        parts.append(f"due {task['due_date']}")
    if task.get("description"):
        parts.append(task["description"][:200])
    return ", ".join(parts)


def template_answer(specialist: str, task: dict[str, Any], today: date) -> str:
    """The deterministic answer used when no model tier answers."""
    title = task.get("title", "this task")
    if specialist == "scheduler":
        due = task.get("due_date")
        when = f"before it is due on {due}" if due else "in your next free morning"
        return (
            f"Block a focused 45-minute slot for “{title}” {when}. Put the hardest part first, "
            f"and set a reminder the day before so it does not slip."
        )
    if specialist == "blocker":
        return (
            f"To get “{title}” moving: write down exactly where it stopped, list what you are "
            f"waiting on, and pick the smallest next action you can do in 10 minutes. If someone "
            f"else holds the missing piece, ask them today."
        )
    return (
        f"Break “{title}” into steps: 1) define what done looks like; 2) gather what you need; "
        f"3) do a rough first pass; 4) review and finish; 5) mark it complete."
    )


def _make_specialist(name: str):  # type: ignore[no-untyped-def]
    async def specialist(state: HelpState, runtime: Runtime[Context]) -> dict[str, Any]:
        context = runtime.context or Context()
        spec = SPECIALISTS[name]
        prompt = [
            SystemMessage(
                f"You are the {spec['name']} specialist of TaskAgent. {spec['description']} "
                "Answer in at most four short lines."
            ),
            HumanMessage(f"Task: {_task_line(state.task)}\nRequest: {state.query}"),
        ]
        for tier in context.tier_order():
            if tier == "emergency" or models.tier_gate(tier) is not None:
                continue
            try:
                reply = await models.load_chat_model(tier).ainvoke(prompt)
            except Exception:
                models.record_failure(tier)
                continue
            text = str(reply.content).strip()
            if text:
                models.record_success(tier)
                return {"messages": [AIMessage(content=text[:1200])], "tier": tier}
        return {
            "messages": [
                AIMessage(content=template_answer(name, state.task, context.clock().date()))
            ],
            "tier": "emergency",
        }

    specialist.__name__ = name
    return specialist


builder = StateGraph(HelpState, context_schema=Context)
builder.add_node(triage)
for _name in SPECIALISTS:
    builder.add_node(_name, _make_specialist(_name))
    builder.add_edge(_name, END)
builder.add_edge(START, "triage")
builder.add_conditional_edges("triage", route_to_specialist)

helpdesk = builder.compile(name="helpdesk")
