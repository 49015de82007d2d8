"""Run an eval suite: every case through the real graph on a fresh store, then score it.

The model endpoint is the primary tier's (the managed embedded server unless
``base_url`` names another OpenAI-compatible one). ``tier`` picks what answers:
``primary`` is the model alone (no fallback, so its own quality is measured),
``emergency`` the rule planner alone, and ``None`` the agent as configured
(primary, then fallback, then rules). The server is warmed with one request
before anything is timed, and the circuit breaker is reset between cases so one
slow case cannot push the next ones onto another tier.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evals.baseline_agent import run_baseline
from evals.cases import CASES_DIR, Case, SystemRun, load_cases, run_case
from taskagent.settings import TIER_ORDER, get_settings, primary_endpoint, reset_settings

DEV_CASES = CASES_DIR / "dev.jsonl"
TIER_CHOICES = {"primary": "primary", "emergency": "emergency"}


@dataclass
class EvalOptions:
    cases: Path = DEV_CASES
    tier: str | None = None  # primary | emergency | None (the configured chain)
    base_url: str | None = None
    model: str | None = None
    limit: int | None = None
    baseline: bool = True  # also run LangGraph's prebuilt agent on the same endpoint
    progress: bool = field(default_factory=lambda: sys.stderr.isatty())


def use_endpoint(base_url: str | None, model: str | None) -> None:
    """Point the primary tier at another OpenAI-compatible endpoint (never managed)."""
    if base_url:
        os.environ["TASKAGENT_PRIMARY_API_BASE"] = base_url
        os.environ["TASKAGENT_PRIMARY_MANAGED"] = "false"
    if model:
        os.environ["TASKAGENT_PRIMARY_MODEL"] = model if "/" in model else f"openai/{model}"
    reset_settings()


def ensure_model_server() -> None:
    from serving.manager import ensure_server

    tier = get_settings().tiers["primary"]
    if tier.managed and not ensure_server(tier.api_base, wait_s=120):
        raise RuntimeError(f"the primary model server at {tier.api_base} did not come up")


def _bar(total: int, label: str, enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, desc=label, unit="case", disable=not enabled, file=sys.stderr)


async def run_graph(
    cases: list[Case], tiers: str | None, progress: bool, label: str = "taskagent"
) -> SystemRun:
    from graph import models

    started = time.perf_counter()
    outcomes = []
    with _bar(len(cases), label, progress) as bar:
        for case in cases:
            models.reset_circuit()
            outcome = await run_case(case, tiers=tiers)
            if tiers == "primary" and outcome["tier"] != "primary":
                outcome = model_gave_up(outcome)
            outcomes.append(outcome)
            bar.update(1)
    return SystemRun(label, outcomes, time.perf_counter() - started)


def model_gave_up(outcome: dict[str, Any]) -> dict[str, Any]:
    """Measuring the model alone: a turn the rule planner had to finish is the model's miss,
    whatever the rules then did (the calls stay in the record, the verdicts do not count them)."""
    verdicts = {
        key: (False if outcome.get(key) is not None else None)
        for key in ("tool_selection", "argument_accuracy", "chain_completion")
    }
    return outcome | verdicts | {"passed": False, "rescued_by": outcome["tier"]}


async def warm_up(tiers: str | None) -> None:
    """One untimed turn, so the first case does not pay model load or imports."""
    if tiers == "emergency":
        return
    # The arbitration lets the rules answer "show my tasks" alone, which would leave the model
    # cold: warm the model tiers by themselves (dev d032 timed out as the first case).
    model_tiers = [t for t in (tiers or ",".join(TIER_ORDER)).split(",") if t != "emergency"]
    await run_case(
        Case(id="warmup", category="selection", input="show my tasks", expected_calls=[]),
        ",".join(model_tiers),
    )


async def run_suite(
    options: EvalOptions, on_progress: Callable[[str], None] | None = None
) -> dict[str, Any]:
    """Run the suite (and the baseline agent); returns the report dict."""
    from evals.metrics import aggregate, to_test_case
    from evals.ragas_check import tool_call_accuracy

    use_endpoint(options.base_url, options.model)
    cases = (
        load_cases(options.cases)[: options.limit] if options.limit else load_cases(options.cases)
    )
    tiers = TIER_CHOICES.get(options.tier or "")
    uses_model = tiers != "emergency"
    if uses_model:
        ensure_model_server()
    await warm_up(tiers)

    runs = [await run_graph(cases, tiers, options.progress)]
    if options.baseline and uses_model:
        runs.append(await run_baseline(cases, options.progress))

    systems = {}
    by_id = {case.id: case for case in cases}
    for run in runs:
        test_cases = [to_test_case(by_id[o["id"]], o) for o in run.outcomes]
        metrics = aggregate(test_cases)
        metrics["ragas_tool_call_accuracy"] = {
            "value": await tool_call_accuracy(cases, run.outcomes),
            "total": len(cases),
        }
        systems[run.name] = {
            "metrics": metrics,
            "seconds": round(run.seconds, 1),
            "model_calls_per_turn": round(
                sum(o.get("model_calls", 0) for o in run.outcomes) / max(1, len(run.outcomes)), 2
            ),
            "tiers": _tier_counts(run.outcomes),
            "outcomes": run.outcomes,
        }
    return {
        "cases_file": str(options.cases),
        "cases": len(cases),
        "tier": options.tier or "configured",
        "endpoint": primary_endpoint()[:2] if uses_model else None,
        "systems": systems,
        "case_index": {case.id: case for case in cases},
    }


def _tier_counts(outcomes: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.get("tier", "?")] = counts.get(outcome.get("tier", "?"), 0) + 1
    return counts
