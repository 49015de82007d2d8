"""fallback: the current tier failed; record why and move to the next one.

The order is primary → fallback (when configured) → emergency (the rule-based
planner, always available), so a turn always ends with an answer. The reason each
tier failed stays in ``tier_log`` for the CLI, the UI and the evals.
"""

from __future__ import annotations

from typing import Any

from langgraph.runtime import Runtime

from graph import models
from graph.context import Context
from graph.state import State


def next_tier(order: list[str], current: str) -> str:
    """The tier after ``current`` that is not cooling down; emergency is the floor."""
    later = order[order.index(current) + 1 :] if current in order else []
    for tier in later:
        if models.tier_gate(tier) is None:
            return tier
    return "emergency"


async def fallback(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Log the failure, trip the circuit breaker, and switch tiers."""
    context = runtime.context or Context()
    reason = state.plan_error or state.verify_error or "no usable answer"
    models.record_failure(state.tier)
    return {
        "tier": next_tier(context.tier_order(), state.tier),
        "tier_log": [{"tier": state.tier, "outcome": "failed", "reason": reason}],
        "draft": None,
        "plan_error": None,
        "verify_error": None,
        "repairs": 0,
        "tier_failed": False,
    }
