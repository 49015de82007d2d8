"""plan: ask the current tier for tool calls in OpenAI ``tool_calls`` format.

Model tiers (primary, fallback) get a short prompt: a one-line system message
with today's date, the last few messages, the current request, and, on later
rounds, the calls already made and their results. The emergency tier is the
rule-based planner, which emits the same message shape without any model.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.tool import tool_call
from langgraph.runtime import Runtime

from graph import models
from graph.context import Context
from graph.prompts import CONTINUE_PROMPT, REPAIR_PROMPT, system_prompt
from graph.state import State, latest_user_text
from taskagent import rules
from taskagent.tools import READ_ONLY_TOOLS, openai_tools


def build_prompt(state: State, context: Context) -> list[BaseMessage]:
    """System line + recent history + this request (+ progress so far, + repair hint)."""
    history = [m for m in state.messages if m.type in ("human", "ai")]
    recent = history[-(context.history_messages + 1) :]
    prompt: list[BaseMessage] = [SystemMessage(system_prompt(context.clock())), *recent]
    if state.scratch:
        prompt += [*state.scratch, HumanMessage(CONTINUE_PROMPT)]
    if state.verify_error:
        prompt.append(HumanMessage(REPAIR_PROMPT.format(error=state.verify_error)))
    return prompt


def rule_based_message(state: State, context: Context) -> AIMessage:
    """The emergency tier: the deterministic planner, shaped like a model's reply."""
    result = rules.plan(latest_user_text(state), context.clock(), state.focus_task_id)
    # Taking over mid-chain: do not repeat what an earlier tier already did this turn.
    done = {
        r["name"] for r in state.tool_results if r.get("ok") and r["name"] not in READ_ONLY_TOOLS
    }
    calls = [
        tool_call(name=call.name, args=call.arguments, id=f"rule_{uuid.uuid4().hex[:10]}")
        for call in result.calls
        if call.name not in done
    ]
    return AIMessage(
        content=result.question or "", tool_calls=calls, response_metadata={"tier": "emergency"}
    )


def agreed_rule_plan(state: State, context: Context) -> AIMessage | None:
    """The rule plan, when the intent classifier picks exactly the tools it calls.

    Two independent readings that agree are right far more often than either alone
    (docs/model.md, the ablation), and the agreement costs no model call. Only on the
    first round of a turn, and only when the rules tier is in the order at all (the
    model measured alone never takes this path).
    """
    if (
        context.arbitration != "agreement"
        or "emergency" not in context.tier_order()
        or state.classifier_tools is None
        or state.scratch
        or state.verify_error
    ):
        return None
    draft = rule_based_message(state, context)
    names = {call["name"] for call in draft.tool_calls}
    if draft.content or not names or names != set(state.classifier_tools):
        return None
    return draft


async def plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Get the next batch of tool calls from the current tier."""
    context = runtime.context or Context()
    # A repair re-asks within the same round; a new round spends one step.
    steps_left = state.steps_left - (0 if state.verify_error else 1)
    if state.tier != "emergency" and (agreed := agreed_rule_plan(state, context)) is not None:
        return {
            "draft": agreed,
            "tier": "emergency",
            "tier_log": [
                {"tier": "emergency", "outcome": "chosen", "reason": "rules and classifier agree"}
            ],
            "steps_left": steps_left,
            "plan_error": None,
            "question": None,
        }
    if state.tier == "emergency":
        draft = rule_based_message(state, context)
        return {
            "draft": draft,
            "steps_left": steps_left,
            "plan_error": None,
            "question": draft.content or None,
        }
    reason = models.tier_gate(state.tier)
    if reason is not None:
        return {"draft": None, "plan_error": reason, "tier_failed": True, "steps_left": steps_left}
    first_round = not state.scratch
    try:
        # Building the router imports LiteLLM on first use: keep that off the event loop.
        chat_model = await asyncio.to_thread(models.load_chat_model, state.tier)
        model = chat_model.bind_tools(
            openai_tools(), tool_choice="required" if first_round and state.intents else "auto"
        )
        draft = await model.ainvoke(build_prompt(state, context))
    except Exception as exc:  # down, slow, garbage: all are reasons to fall back
        reason = str(exc) if isinstance(exc, models.TierError) else models.describe_failure(exc)
        return {
            "draft": None,
            "plan_error": reason,
            "tier_failed": True,
            "steps_left": steps_left,
            "model_calls": 1,
        }
    if not isinstance(draft, AIMessage):
        draft = AIMessage(content=str(getattr(draft, "content", draft)))
    models.record_success(state.tier)
    return {"draft": draft, "plan_error": None, "steps_left": steps_left, "model_calls": 1}
