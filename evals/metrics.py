"""The five spec metrics as deterministic DeepEval metrics (no LLM judge), plus aggregation.

Each case becomes a DeepEval ``LLMTestCase``: ``tools_called`` carries the calls the
agent really executed (arguments and results), ``expected_tools`` the case's
expected calls, and ``metadata`` the case itself, the raw-output validity checks and
the latency. Per-case metrics score 1 or 0; ``aggregate`` turns them into the rates
the targets are stated in. Latency is a suite-level percentile, not a per-case score.
"""

from __future__ import annotations

import math
from dataclasses import asdict
from typing import Any

from deepeval.metrics import BaseMetric
from deepeval.test_case import LLMTestCase, ToolCall

from evals.cases import (
    Case,
    chain_complete,
    has_expected_arguments,
    is_chain,
    names_match,
    unrequested_writes,
)
from evals.cases import arguments_match as _arguments_match

METRICS = (
    "tool_selection",
    "argument_accuracy",
    "json_validity",
    "chain_completion",
    "latency_p95_ms",
    "unrequested_writes",
)
LOWER_IS_BETTER = {"latency_p95_ms", "unrequested_writes"}


def to_test_case(case: Case, outcome: dict[str, Any]) -> LLMTestCase:
    """One eval case and what the agent did, as a DeepEval test case."""
    return LLMTestCase(
        input=case.input,
        actual_output=str(outcome.get("response") or ""),
        tools_called=[
            ToolCall(
                name=call["name"],
                input_parameters=dict(call.get("arguments") or {}),
                output={"ok": call.get("ok", True), "result": call.get("result")},
            )
            for call in outcome.get("calls") or []
        ],
        expected_tools=[
            ToolCall(name=call["name"], input_parameters=dict(call.get("arguments") or {}))
            for call in case.expected_calls
        ],
        metadata={
            "case": asdict(case),
            "json_checks": list(outcome.get("json_checks") or []),
            "latency_ms": outcome.get("latency_ms"),
            # set when a model was measured alone and the rule planner had to finish the turn
            "rescued_by": outcome.get("rescued_by"),
        },
    )


def _case(test_case: LLMTestCase) -> Case:
    return Case(**(test_case.metadata or {})["case"])


def _calls(test_case: LLMTestCase) -> list[dict[str, Any]]:
    return [
        {
            "name": call.name,
            "arguments": call.input_parameters or {},
            "ok": bool((call.output or {}).get("ok", True)),
        }
        for call in test_case.tools_called or []
    ]


class _CaseMetric(BaseMetric):
    """A 0/1 verdict per case; ``applies`` says whether the case counts for the metric."""

    name = "case_metric"

    def __init__(self, threshold: float = 1.0):
        self.threshold = threshold
        self.async_mode = False
        self.include_reason = True

    def applies(self, test_case: LLMTestCase) -> bool:
        return True

    def verdict(self, test_case: LLMTestCase) -> bool:
        raise NotImplementedError

    def measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        if not self.applies(test_case):
            self.skipped = True
            self.score, self.success, self.reason = None, True, "not applicable to this case"
            return math.nan
        self.skipped = False
        rescued = (test_case.metadata or {}).get("rescued_by")
        ok = not rescued and self.verdict(test_case)
        score = 1.0 if ok else 0.0
        self.score, self.success = score, score >= (self.threshold or 0.0)
        self.reason = (
            "matched"
            if ok
            else f"the {rescued} tier finished the turn"
            if rescued
            else self.explain(test_case)
        )
        return score

    async def a_measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        return self.measure(test_case)

    def is_successful(self) -> bool:
        return bool(self.success)

    def explain(self, test_case: LLMTestCase) -> str:
        got = [c["name"] for c in _calls(test_case)]
        want = [c.name for c in test_case.expected_tools or []]
        return f"expected {want}, called {got}"

    @property
    def __name__(self) -> str:  # DeepEval reports metrics by this name
        return self.name


class ToolSelectionMetric(_CaseMetric):
    """The called tools equal the expected ones (a sequence when ordered); none for no_tool."""

    name = "tool_selection"

    def verdict(self, test_case: LLMTestCase) -> bool:
        return names_match(_case(test_case), _calls(test_case))


class ArgumentAccuracyMetric(_CaseMetric):
    """Every expected call is matched by a call with all the expected argument values."""

    name = "argument_accuracy"

    def applies(self, test_case: LLMTestCase) -> bool:
        return has_expected_arguments(_case(test_case))

    def verdict(self, test_case: LLMTestCase) -> bool:
        return _arguments_match(_case(test_case), _calls(test_case))


class ChainCompletionMetric(_CaseMetric):
    """Chain and parallel cases: every expected call ran, in a valid order, results bound."""

    name = "chain_completion"

    def applies(self, test_case: LLMTestCase) -> bool:
        return is_chain(_case(test_case))

    def verdict(self, test_case: LLMTestCase) -> bool:
        return chain_complete(_case(test_case), _calls(test_case))


class JsonValidityMetric(BaseMetric):
    """The share of this case's raw model tool-call outputs that parsed and validated
    before any repair. The suite rate pools every output of every case."""

    name = "json_validity"

    def __init__(self, threshold: float = 1.0):
        self.threshold = threshold
        self.async_mode = False
        self.include_reason = True

    def measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        checks = list((test_case.metadata or {}).get("json_checks") or [])
        if not checks:
            self.skipped = True
            self.score, self.success, self.reason = None, True, "no model tool-call output"
            return math.nan
        self.skipped = False
        score = sum(checks) / len(checks)
        self.score, self.success = score, score >= (self.threshold or 0.0)
        self.reason = f"{sum(checks)}/{len(checks)} raw outputs valid"
        return score

    async def a_measure(self, test_case: LLMTestCase, *args: Any, **kwargs: Any) -> float:
        return self.measure(test_case)

    def is_successful(self) -> bool:
        return bool(self.success)

    @property
    def __name__(self) -> str:
        return self.name


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100); 0.0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return float(ordered[rank - 1])


def aggregate(test_cases: list[LLMTestCase]) -> dict[str, dict[str, Any]]:
    """Suite metrics: ``{metric: {"value", "passed", "total"}}`` (latency: value in ms)."""
    summary: dict[str, dict[str, Any]] = {}
    for metric in (ToolSelectionMetric(), ArgumentAccuracyMetric(), ChainCompletionMetric()):
        scores = [metric.measure(tc) for tc in test_cases]
        counted = [s for s in scores if not math.isnan(s)]
        summary[metric.name] = {
            "value": sum(counted) / len(counted) if counted else None,
            "passed": int(sum(counted)),
            "total": len(counted),
        }
    checks = [bool(c) for tc in test_cases for c in (tc.metadata or {}).get("json_checks") or []]
    summary["json_validity"] = {
        "value": sum(checks) / len(checks) if checks else None,
        "passed": sum(checks),
        "total": len(checks),
    }
    # Cases with at least one write nobody asked for (target 0), and the writes themselves.
    wrong = [unrequested_writes(_case(tc), _calls(tc)) for tc in test_cases]
    summary["unrequested_writes"] = {
        "value": sum(1 for n in wrong if n),
        "writes": sum(wrong),
        "total": len(wrong),
    }
    latencies = [float((tc.metadata or {}).get("latency_ms") or 0.0) for tc in test_cases]
    summary["latency_p95_ms"] = {
        "value": round(percentile(latencies, 95), 1) if latencies else None,
        "median": round(percentile(latencies, 50), 1) if latencies else None,
        "total": len(latencies),
    }
    return summary
