"""classify: is this message a task request at all, and which tools does it need?

Starts every turn: resets the per-turn state, rejects empty or oversized input,
declines out-of-scope requests without touching a tool, and picks the first model
tier that may be tried. Two readings decide, neither of them a generative model: the
rules' patterns and, where it is installed, the learned intent classifier
(:mod:`graph.intents`, a sentence embedding and a linear head, a few milliseconds).
When the classifier is confident, its tool set is the request's intents, which the
planner arbitrates with and verify holds every write to.
"""

from __future__ import annotations

import asyncio
import re
from typing import Any

from langgraph.runtime import Runtime
from langgraph.types import Overwrite

from graph.context import Context
from graph.intents import IntentPrediction, load_classifier
from graph.known_tasks import all_task_titles, open_task_titles, project_names
from graph.models import tier_gate
from graph.state import State, latest_user_text
from taskagent.rules import (
    asks_about_own_task,
    asks_about_the_agent,
    detect_intents,
    files_into_a_project,
    holds_off,
    is_in_scope,
    is_undecided,
    quotes_a_title,
    said_done,
)

EXPLICIT_CREATE = re.compile(
    r"\b(?:add|create|make|new|put|jot\s+down|log)\b(?:\s+(?:me|a|an|new|another|one))*\s+"
    r"(?:task|to-?do|item)\b",
    re.IGNORECASE,
)

NEW_THINGS = frozenset({"create_task", "create_project", "create_reminder"})

DECLINE = (
    "Sorry, I can only help with tasks, projects, reminders and your calendar. "
    "Try something like “Add a task to call the bank tomorrow”."
)
LEFT_ALONE = "All right, I've left it as it is."
UNDECIDED = (
    "It sounds like you haven't decided yet, so I've left everything as it is. "
    "When you're sure, tell me, for example “complete task 5”."
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
        "classifier_guess": None,
        "classifier_tools": None,
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
    if is_undecided(text):  # a write now would be one nobody asked for
        return update | {"route": "decline", "notice": UNDECIDED}
    intents = detect_intents(text)
    if not intents and holds_off(text):
        # "dont delete #2!!": the classifier hears "delete", but the user said no (while
        # "don't delete task 2, just mark it done" still asks for something)
        return update | {"route": "decline", "notice": LEFT_ALONE}
    guess = await _classifier_guess(text)
    confident = guess is not None and guess.confidence >= context.classifier_confidence
    # A sure classifier overrules the patterns only where they read nothing, or just the word
    # "task" as "add a task"; an explicit "add a task to call the bank" stays a create even
    # when the classifier (p 0.82) hears "call it ..." as a rename.
    overrules = not intents or (
        set(intents) <= {"create_task"} and not EXPLICIT_CREATE.search(text)
    )
    agrees = guess is not None and set(intents) == set(guess.tools)
    vote = guess if confident and (overrules or agrees) else None
    in_scope = is_in_scope(text, has_focus_task=state.focus_task_id is not None)
    if not in_scope and not asks_about_the_agent(text):
        # no domain word: does it name one of the user's own tasks (finished ones too)?
        titles = await all_task_titles(context.user)
        in_scope = bool(titles) and asks_about_own_task(text, titles)
        if not intents and said_done(text, await open_task_titles(context.user)) is not None:
            intents, in_scope = ["complete_task"], True  # "PRS licence renewed 👍"
    if (
        not intents
        and quotes_a_title(text)
        and files_into_a_project(text, await project_names(context.user))
    ):  # "'Ask the PTA for raffle prizes' is a charity week job": a task in that project
        intents, in_scope = ["create_task"], True
    if vote is not None and not intents and (vote.tools or in_scope):
        # the classifier reads idioms the patterns miss ("scrap the whole portuguese thing"),
        # but alone it adds nothing new: a create would take the whole message as its title
        # ("thanks, that's perfect" had become a task)
        in_scope = bool(vote.tools) and (in_scope or not vote.tools & NEW_THINGS)
    if asks_about_the_agent(text):
        in_scope = False  # "is it possible to share a project?" is a question for us
    elif intents and guess is not None and (agrees or (confident and guess.tools)):
        # "pls add: buy stamps" names no domain word, but two readings hear a task request
        in_scope = True
    if not in_scope:
        return update | {"route": "decline", "notice": DECLINE}
    if vote is not None:
        intents = merge_intents(intents, vote.tools)
    return update | {
        "route": "plan",
        "intents": intents,
        "classifier_guess": None if guess is None else sorted(guess.tools),
        "classifier_tools": None if vote is None else sorted(vote.tools),
    }


async def _classifier_guess(text: str) -> IntentPrediction | None:
    """The classifier's prediction when it is installed, else None."""
    classifier = await asyncio.to_thread(load_classifier)
    if classifier is None:
        return None
    return await asyncio.to_thread(classifier.predict, text)


def merge_intents(rule_intents: list[str], classifier_tools: frozenset[str]) -> list[str]:
    """The classifier's tools, in the rules' order and with their counts where they agree.

    "complete task 1 and task 2" is one clause but two completes: the rules' count stays.
    """
    merged = [intent for intent in rule_intents if intent in classifier_tools]
    merged += sorted(t for t in classifier_tools if t not in merged)
    return merged
