"""classify: is this message a task request at all?

Starts every turn: resets the per-turn state, rejects empty or oversized input,
declines out-of-scope requests without touching a tool, and picks the first model
tier that may be tried. Deterministic and fast (no model call), so a weather
question costs microseconds, not a model round trip.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from graph.context import Context
from graph.models import tier_gate
from graph.state import State, latest_user_text
from taskagent.rules import detect_intents, is_in_scope

DECLINE = (
    "Sorry, I can only help with tasks, projects, reminders and your calendar. "
    "Try something like “Add a task to call the bank tomorrow”."
)


def first_available_tier(context: Context) -> tuple[str, list[dict[str, Any]]]:
    """The first tier in the configured order that may be tried, and why others were skipped."""
    skipped: list[dict[str, Any]] = []
    for tier in context.tier_order():
        reason = tier_gate(tier)
        if reason is None:
            return tier, skipped
        skipped.append({"tier": tier, "outcome": "skipped", "reason": reason})
    return "emergency", skipped


async def classify(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Reset the turn, validate the message and decide whether to plan."""
    context = runtime.context or Context()
    text = latest_user_text(state).strip()
    tier, skipped = first_available_tier(context)
    update: dict[str, Any] = {
        "tier": tier,
        "tier_log": Overwrite(skipped),
        "json_checks": Overwrite([]),
        "tool_results": Overwrite([]),
        "scratch": Overwrite([]),
        "model_calls": Overwrite(0),
        "pending_calls": [],
        "draft": None,
        "plan_error": None,
        "verify_error": None,
        "question": None,
        "notice": None,
        "repairs": 0,
        "steps_left": context.max_plan_steps,
        "tier_failed": False,
        "intents": [],
    }
    if not text:
        return update | {"route": "invalid", "notice": "Your message was empty. What should I do?"}
    if len(text) > context.max_message_chars:
        return update | {
            "route": "invalid",
            "notice": (
                f"That message is {len(text):,} characters long; the limit is "
                f"{context.max_message_chars:,}. Please send a shorter request; "
                "nothing was changed."
            ),
        }
    if not is_in_scope(text, has_focus_task=state.focus_task_id is not None):
        return update | {"route": "decline", "notice": DECLINE}
    return update | {"route": "plan", "intents": detect_intents(text)}
