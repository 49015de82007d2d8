"""plan: ask the current tier for tool calls in OpenAI ``tool_calls`` format.

Model tiers (primary, fallback) get a short prompt: a one-line system message
with today's date, the last few messages, the current request, and, on later
rounds, the calls already made and their results. The emergency tier is the
rule-based planner, which emits the same message shape without any model.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage
from langchain_core.messages.tool import tool_call
from langgraph.runtime import Runtime

from graph import models
from graph.context import Context
from graph.grounding import created_ids, grounded_tools, looked_up, named_tasks, request_ids
from graph.known_tasks import due_dates, open_task_titles, project_names
from graph.prompts import CONTINUE_PROMPT, REPAIR_PROMPT, system_prompt
from graph.state import State, latest_user_text, requested_writes_left
from taskagent import rules
from taskagent.tools import READ_ONLY_TOOLS, openai_tools

NEEDS_A_TASK = frozenset({"update_task", "complete_task", "delete_task"})
_NAMES_A_PROJECT = re.compile(r"\bprojects?\b", re.IGNORECASE)


@dataclass(frozen=True)
class UserHints:
    """What the rules may know of the user's data: open task titles (a reminder's message
    names one), when they are due ("the evening before it's due") and project names."""

    open_tasks: dict[int, str] | None = None
    due_dates: dict[int, date] | None = None
    projects: dict[int, str] | None = None


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


def rule_based_message(
    state: State,
    context: Context,
    intent: str | None = None,
    hints: UserHints = UserHints(),
) -> AIMessage:
    """The emergency tier: the deterministic planner, shaped like a model's reply.

    After a lookup this turn, a task named by its title is matched against the lookup's
    results; ``intent`` reads the message as that one action (the classifier's reading);
    ``open_tasks`` links a reminder to the open task its message names, ``projects``
    resolves a project named by its name (``hints``).
    """
    result = rules.plan(
        latest_user_text(state),
        context.clock(),
        state.focus_task_id,
        intent=intent,
        known_tasks=looked_up(state.tool_results) or None,
        open_tasks=hints.open_tasks,
        due_dates=hints.due_dates,
        projects=hints.projects,
    )
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


def is_lookup(draft: AIMessage) -> bool:
    """The rules' way of asking "which task?": a bare list_tasks and a question."""
    return bool(draft.content) and [c["name"] for c in draft.tool_calls] == ["list_tasks"]


def tools_for(state: State, now: datetime | None = None) -> list[dict[str, Any]]:
    """The tools this round may call, grounded in the request (:mod:`graph.grounding`)."""
    request = latest_user_text(state)
    ids = request_ids(request) | created_ids(state.tool_results)
    if state.focus_task_id is not None:
        ids.add(state.focus_task_id)
    allowed: set[str] | None = None
    if state.scratch:  # after a lookup: only the writes still asked for, on the named task
        ids |= named_tasks(looked_up(state.tool_results), request)
        allowed = set(requested_writes_left(state)) or None
    elif state.intents or state.classifier_guess:
        # the rules' reading and the classifier's best guess: either may be the right one
        allowed = set(state.intents) | set(state.classifier_guess or [])
        if allowed & NEEDS_A_TASK and not ids:
            allowed.add("list_tasks")  # the request names its task by title: look it up
    return grounded_tools(openai_tools(), request, allowed, ids, now)


def agreed_rule_plan(
    state: State, context: Context, hints: UserHints = UserHints()
) -> tuple[AIMessage, str] | None:
    """The rule plan, and why, when the arbitration trusts it without asking the model.

    * the intent classifier picks exactly the tools the rules call: two independent
      readings that agree (a task named by title agrees on its write, then is looked up);
    * the rules read a whole chain (two or more calls, nothing to ask): on dev the model
      completes fewer chains than the rules (docs/model.md, the ablation);
    * the rules read an update, complete or delete on a task the request numbers;
    * the classifier is sure of one action where the patterns read none, or only the word
      "task" as "add a task" (an idiom): the rules fill that action's arguments.

    Only on the first round of a turn, and only when the rules tier is in the order (the
    model measured alone never takes this path).
    """
    if (
        context.arbitration not in ("agreement", "rules-first")
        or "emergency" not in context.tier_order()
        or state.classifier_guess is None
        or state.scratch
        or state.verify_error
    ):
        return None
    guess = set(state.classifier_guess)
    draft = rule_based_message(state, context, hints=hints)
    if draft.content in (rules.ASK_WHEN_TO_REMIND, rules.ASK_WHEN_DUE):
        # the time a reminder is set for is the user's to say: on dev the model's guess was a
        # reminder for the wrong time (dev7 m041), never a better answer than the question
        return draft, "the rules ask when to remind"
    names = {call["name"] for call in draft.tool_calls}
    if is_lookup(draft):  # by title: agree on the write, then look the task up
        names = set(state.intents)
    if names and names == guess and (not draft.content or is_lookup(draft)):
        return draft, "rules and classifier agree"
    if len(draft.tool_calls) >= 2 and not draft.content:
        return draft, "the rules read a chain"
    if (
        not draft.content
        and draft.tool_calls
        and all(
            call["name"] in NEEDS_A_TASK and call["args"].get("task_id") is not None
            for call in draft.tool_calls
        )
    ):
        # "reopen task 4", "I've kicked off TASK-0003": the patterns name the action and the
        # task; a model that reads it otherwise would change an existing task wrongly
        return draft, "the rules read an action on a numbered task"
    if context.arbitration == "rules-first" and draft.tool_calls and not draft.content:
        return draft, "the rules read a whole plan"
    names_a_write = bool(set(state.intents) & NEEDS_A_TASK)
    if context.arbitration == "rules-first" and is_lookup(draft) and names_a_write:
        # "push back 'Quarterly VAT filing' to the 30th": look it up, then the rules resolve
        # the title among the results; the model would be writing on a task it guessed
        return draft, "the rules look up the task named"
    sure = set(state.classifier_tools or [])
    reading = set(rules.detect_intents(latest_user_text(state)))
    # only where the patterns read nothing, or just the word "task" as "add a task"
    if len(sure) == 1 and reading != sure and reading <= {"create_task"}:
        draft = rule_based_message(state, context, next(iter(sure)), hints)
        names = {call["name"] for call in draft.tool_calls}
        if (names == sure and not draft.content) or is_lookup(draft):
            return draft, "the classifier's action, the rules' arguments"
    return None


def rules_may_plan(state: State, context: Context) -> bool:
    """Will the rules plan this first round, alone or through the arbitration? Only then are
    the user's task titles and project names worth a query."""
    if state.scratch:
        return False
    if state.tier == "emergency":
        return True
    return (
        not state.verify_error
        and state.classifier_guess is not None
        and context.arbitration in ("agreement", "rules-first")
        and "emergency" in context.tier_order()
    )


async def plan(state: State, runtime: Runtime[Context]) -> dict[str, Any]:
    """Get the next batch of tool calls from the current tier."""
    context = runtime.context or Context()
    # A repair re-asks within the same round; a new round spends one step.
    steps_left = state.steps_left - (0 if state.verify_error else 1)
    hints = UserHints()
    if rules_may_plan(state, context):
        if "create_reminder" in state.intents:  # a reminder may be about one, or its due date
            hints = UserHints(await open_task_titles(context.user), await due_dates(context.user))
        elif "complete_task" in state.intents:  # "Sky's cancelled" finishes one
            hints = UserHints(await open_task_titles(context.user))
        if "create_task" in state.intents or _NAMES_A_PROJECT.search(latest_user_text(state)):
            # "in the Q3 Planning project", "under the bathroom refit"
            hints = UserHints(hints.open_tasks, hints.due_dates, await project_names(context.user))
    if (
        state.tier != "emergency"
        and (agreed := agreed_rule_plan(state, context, hints)) is not None
    ):
        draft, reason = agreed
        return {
            "draft": draft,
            "tier": "emergency",
            "tier_log": [{"tier": "emergency", "outcome": "chosen", "reason": reason}],
            "steps_left": steps_left,
            "plan_error": None,
            "question": None,
        }
    if state.tier == "emergency":
        draft = rule_based_message(state, context, hints=hints)
        return {
            "draft": draft,
            "steps_left": steps_left,
            "plan_error": None,
            "question": draft.content or None,
        }
    gate = models.tier_gate(state.tier)
    if gate is not None:
        return {"draft": None, "plan_error": gate, "tier_failed": True, "steps_left": steps_left}
    first_round = not state.scratch
    try:
        # Building the router imports LiteLLM on first use: keep that off the event loop.
        chat_model = await asyncio.to_thread(models.load_chat_model, state.tier)
        model = chat_model.bind_tools(
            tools_for(state, context.clock()),
            tool_choice="required" if first_round and state.intents else "auto",
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
