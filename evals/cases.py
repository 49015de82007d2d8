"""Eval cases: the JSONL format, running one case on a fresh store, and matching calls.

A case (one JSON object per line)::

    {"id": "a017", "category": "selection|arguments|chain|parallel|no_tool",
     "input": "Create an urgent task 'Submit tax return' due March 15",
     "now": "2026-03-02T09:00:00",
     "setup": [{"tool": "create_task", "arguments": {"title": "Review budget"}}],
     "expected_calls": [{"name": "create_task", "arguments": {"title": "Submit tax return"}}],
     "ordered": true}

Matching rules: expected arguments are a subset of the actual ones; strings match
case-insensitively after trimming whitespace, quotes and trailing punctuation; dates
and datetimes compare as values; lists as sets; ids as ints. Extra read-only calls
(list_tasks, get_calendar) made to resolve a reference are ignored unless expected.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from taskagent.settings import reset_settings
from taskagent.tools import READ_ONLY_TOOLS, parse_id

CASES_DIR = Path(__file__).resolve().parent / "cases"


@dataclass
class Case:
    id: str
    category: str
    input: str
    expected_calls: list[dict[str, Any]]
    now: str | None = None
    setup: list[dict[str, Any]] = field(default_factory=list)
    ordered: bool = True


def load_cases(path: Path) -> list[Case]:
    cases = []
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        known = {k: raw[k] for k in Case.__dataclass_fields__ if k in raw}
        try:
            cases.append(Case(**known))
        except TypeError as exc:
            raise ValueError(f"{path}:{number}: {exc}") from exc
    return cases


def _norm_text(value: str) -> str:
    return value.strip().strip("'\"“”‘’`").strip().rstrip(".!?,;:").strip().lower()


def _as_date(value: Any) -> date | datetime | None:
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        try:
            return (
                datetime.fromisoformat(value)
                if "T" in value or " " in value.strip()
                else date.fromisoformat(value)
            )
        except ValueError:
            return None
    return None


def values_match(key: str, expected: Any, actual: Any) -> bool:
    if key.endswith("_id") or key == "id":
        return parse_id(expected) == parse_id(actual)
    if isinstance(expected, list):
        return isinstance(actual, list) and {_norm_text(str(v)) for v in expected} == {
            _norm_text(str(v)) for v in actual
        }
    expected_date, actual_date = _as_date(expected), _as_date(actual)
    if expected_date is not None and actual_date is not None:
        if isinstance(expected_date, datetime) != isinstance(actual_date, datetime):
            # a date expected, a datetime given (or vice versa): compare the days
            return (
                expected_date.date() if isinstance(expected_date, datetime) else expected_date
            ) == (actual_date.date() if isinstance(actual_date, datetime) else actual_date)
        return expected_date == actual_date
    if isinstance(expected, str) and isinstance(actual, str):
        return _norm_text(expected) == _norm_text(actual)
    return bool(expected == actual)


def call_matches(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    if expected["name"] != actual["name"]:
        return False
    arguments = actual.get("arguments") or {}
    return all(
        key in arguments and values_match(key, value, arguments[key])
        for key, value in (expected.get("arguments") or {}).items()
    )


def relevant_calls(case: Case, actual: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Actual calls minus read-only lookups the case did not ask for."""
    expected_names = {call["name"] for call in case.expected_calls}
    return [c for c in actual if c["name"] not in READ_ONLY_TOOLS or c["name"] in expected_names]


def names_match(case: Case, actual: list[dict[str, Any]]) -> bool:
    """Tool selection: the called names equal the expected ones (sequence or multiset)."""
    got = [c["name"] for c in relevant_calls(case, actual)]
    want = [c["name"] for c in case.expected_calls]
    return got == want if case.ordered else sorted(got) == sorted(want)


def arguments_match(case: Case, actual: list[dict[str, Any]]) -> bool:
    """Every expected call is matched by a distinct actual call with the expected arguments."""
    remaining = list(relevant_calls(case, actual))
    for expected in case.expected_calls:
        found = next((c for c in remaining if call_matches(expected, c)), None)
        if found is None:
            return False
        if case.ordered:
            remaining = remaining[remaining.index(found) + 1 :]
        else:
            remaining.remove(found)
    return True


def has_expected_arguments(case: Case) -> bool:
    """Cases that argument accuracy scores: some expected call names an argument."""
    return any(call.get("arguments") for call in case.expected_calls)


def is_chain(case: Case) -> bool:
    return case.category in ("chain", "parallel")


def chain_complete(case: Case, actual: list[dict[str, Any]]) -> bool:
    """Every expected call ran successfully, in a valid order, with the expected (bound)
    arguments: later ids equal to what the earlier calls created."""
    if not arguments_match(case, actual):
        return False
    remaining = list(relevant_calls(case, actual))
    for expected in case.expected_calls:
        found = next(c for c in remaining if call_matches(expected, c))
        if not found.get("ok", True):
            return False
        remaining.remove(found)
    return True


def _same_target(expected: dict[str, Any], actual: dict[str, Any]) -> bool:
    """The write acts on the task the case expects, where the case names one. (A task
    created in the wrong project is an argument error, not a write on the wrong task.)"""
    wanted = expected.get("arguments") or {}
    got = actual.get("arguments") or {}
    return "task_id" not in wanted or values_match("task_id", wanted["task_id"], got.get("task_id"))


def unrequested_writes(case: Case, actual: list[dict[str, Any]]) -> int:
    """Writes that ran although the case does not ask for them: a write tool it does not
    expect, one more than it expects, or the expected tool on another task or project.
    The worst error an agent can make: a wrong answer can be retried, a completed or
    deleted task is the user's loss."""
    remaining = [c for c in case.expected_calls if c["name"] not in READ_ONLY_TOOLS]
    count = 0
    for call in actual:
        if call["name"] in READ_ONLY_TOOLS or not call.get("ok", True):
            continue
        match = next(
            (e for e in remaining if e["name"] == call["name"] and _same_target(e, call)), None
        )
        if match is None:
            count += 1
        else:
            remaining.remove(match)
    return count


def score_case(case: Case, calls: list[dict[str, Any]]) -> dict[str, bool | None]:
    """The per-case verdicts; ``None`` where a metric does not apply to the case."""
    return {
        "tool_selection": names_match(case, calls),
        "argument_accuracy": arguments_match(case, calls) if has_expected_arguments(case) else None,
        "chain_completion": chain_complete(case, calls) if is_chain(case) else None,
    }


async def run_case(case: Case, tiers: str | None = None) -> dict[str, Any]:
    """Run one case on a fresh store and in-memory checkpoints; return what happened."""
    from langgraph.checkpoint.memory import InMemorySaver

    from graph.agent import Agent
    from graph.builder import build_graph
    from taskagent.db import make_engine
    from taskagent.store import TaskStore
    from taskagent.tools import run_tool, validate_call

    previous = os.environ.get("TASKAGENT_DATA_DIR")
    with tempfile.TemporaryDirectory(prefix=f"case-{case.id}-") as workdir:
        os.environ["TASKAGENT_DATA_DIR"] = workdir
        reset_settings()  # the agent's store reads the data directory from the settings
        try:
            store = TaskStore(make_engine(f"sqlite:///{workdir}/taskagent.db"))
            now = datetime.fromisoformat(case.now) if case.now else datetime.now()
            user = store.ensure_user("eval")
            for step in case.setup:
                run_tool(
                    store,
                    user,
                    step["tool"],
                    validate_call(step["tool"], step.get("arguments", {}), now),
                    now,
                )
            store.engine.dispose()
            agent = Agent(build_graph(checkpointer=InMemorySaver()))
            result = await agent.ask(
                case.input, thread_id=case.id, user="eval", now=case.now, tiers=tiers
            )
            if result.confirmation_required:  # evals measure the plan, so confirm
                result = await agent.resume(
                    True, thread_id=case.id, user="eval", now=case.now, tiers=tiers
                )
        finally:
            if previous is None:
                os.environ.pop("TASKAGENT_DATA_DIR", None)
            else:
                os.environ["TASKAGENT_DATA_DIR"] = previous
            reset_settings()
    calls = result.tool_calls
    verdicts = score_case(case, calls)
    return {
        "id": case.id,
        "category": case.category,
        **verdicts,
        "passed": all(v is not False for v in verdicts.values()),
        "unrequested_writes": unrequested_writes(case, calls),
        "json_checks": [bool(check.get("valid")) for check in result.json_checks],
        "json_errors": [c.get("error") for c in result.json_checks if not c.get("valid")],
        "model_calls": result.model_calls,
        "tier": result.tier,
        "tier_log": result.tier_log,
        "latency_ms": result.latency_ms,
        "calls": calls,
        "response": result.response,
    }


@dataclass
class SystemRun:
    """One system's outcomes on the suite."""

    name: str
    outcomes: list[dict[str, Any]]
    seconds: float
