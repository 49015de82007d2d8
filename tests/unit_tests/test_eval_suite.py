"""The eval suite's scoring, gate and report, on hand-made outcomes (no model, no graph)."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from evals import gate as gates
from evals import report as reports
from evals.cases import Case
from evals.metrics import (
    ArgumentAccuracyMetric,
    ChainCompletionMetric,
    JsonValidityMetric,
    ToolSelectionMetric,
    aggregate,
    percentile,
    to_test_case,
)

CHAIN = Case(
    id="c1",
    category="chain",
    input="Create a project Q1 Goals and add a task for budgeting due Friday",
    now="2026-11-18T10:00:00",
    expected_calls=[
        {"name": "create_project", "arguments": {"name": "Q1 Goals"}},
        {
            "name": "create_task",
            "arguments": {"title": "budgeting", "project_id": 1, "due_date": "2026-11-20"},
        },
    ],
)  # fmt: skip
NO_TOOL = Case(id="n1", category="no_tool", input="tell me a joke", expected_calls=[])
LISTING = Case(
    id="s1",
    category="selection",
    input="what's on my list",
    expected_calls=[{"name": "list_tasks"}],
)


def outcome(case: Case, calls: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"id": case.id, "calls": calls, "response": "ok", "latency_ms": 100.0, **extra}


GOOD_CHAIN = [
    {"name": "create_project", "arguments": {"name": "q1 goals"}, "ok": True},
    {
        "name": "create_task",
        "arguments": {"title": "Budgeting.", "project_id": 1, "due_date": "2026-11-20"},
        "ok": True,
    },
]


def test_a_correct_chain_scores_on_every_metric() -> None:
    case = to_test_case(CHAIN, outcome(CHAIN, GOOD_CHAIN, json_checks=[True, True]))
    assert ToolSelectionMetric().measure(case) == 1.0
    assert ArgumentAccuracyMetric().measure(case) == 1.0
    assert ChainCompletionMetric().measure(case) == 1.0
    assert JsonValidityMetric().measure(case) == 1.0


def test_an_unbound_id_fails_arguments_and_chain_but_not_selection() -> None:
    calls = [
        GOOD_CHAIN[0],
        {**GOOD_CHAIN[1], "arguments": {**GOOD_CHAIN[1]["arguments"], "project_id": 7}},
    ]
    case = to_test_case(CHAIN, outcome(CHAIN, calls))
    assert ToolSelectionMetric().measure(case) == 1.0
    assert ArgumentAccuracyMetric().measure(case) == 0.0
    assert ChainCompletionMetric().measure(case) == 0.0


def test_a_failed_execution_breaks_the_chain_only() -> None:
    calls = [GOOD_CHAIN[0], {**GOOD_CHAIN[1], "ok": False}]
    case = to_test_case(CHAIN, outcome(CHAIN, calls))
    assert ArgumentAccuracyMetric().measure(case) == 1.0
    assert ChainCompletionMetric().measure(case) == 0.0


def test_no_tool_cases_pass_only_without_calls_and_skip_argument_accuracy() -> None:
    quiet = to_test_case(NO_TOOL, outcome(NO_TOOL, []))
    noisy = to_test_case(
        NO_TOOL, outcome(NO_TOOL, [{"name": "create_task", "arguments": {"title": "joke"}}])
    )
    assert ToolSelectionMetric().measure(quiet) == 1.0
    assert ToolSelectionMetric().measure(noisy) == 0.0
    metric = ArgumentAccuracyMetric()
    assert math.isnan(metric.measure(noisy)) and metric.skipped


def test_extra_read_only_lookups_are_ignored_unless_expected() -> None:
    update = Case(
        id="u1", category="selection", input="close the budget one",
        expected_calls=[{"name": "complete_task", "arguments": {"task_id": 2}}],
    )  # fmt: skip
    calls = [
        {"name": "list_tasks", "arguments": {}},
        {"name": "complete_task", "arguments": {"task_id": "#2"}},
    ]
    assert ToolSelectionMetric().measure(to_test_case(update, outcome(update, calls))) == 1.0


def test_aggregate_rates_pool_json_checks_and_take_the_p95() -> None:
    cases = [
        to_test_case(
            CHAIN, outcome(CHAIN, GOOD_CHAIN, json_checks=[True, False], latency_ms=900.0)
        ),
        to_test_case(NO_TOOL, outcome(NO_TOOL, [], latency_ms=10.0)),
        to_test_case(LISTING, outcome(LISTING, [], json_checks=[True], latency_ms=300.0)),
    ]
    summary = aggregate(cases)
    assert summary["tool_selection"] == {"value": 2 / 3, "passed": 2, "total": 3}
    assert summary["argument_accuracy"]["total"] == 1  # only the chain names arguments
    assert summary["chain_completion"] == {"value": 1.0, "passed": 1, "total": 1}
    assert summary["json_validity"] == {"value": 2 / 3, "passed": 2, "total": 3}
    assert summary["latency_p95_ms"]["value"] == 900.0
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50) == 5


TARGETS = {"tool_selection": 0.95, "argument_accuracy": 0.9, "json_validity": 0.99,
           "chain_completion": 0.85, "latency_p95_ms": 500.0,
           "unrequested_writes": 0.0}  # fmt: skip


def test_the_gate_uses_the_target_once_reached_and_the_baseline_below_it() -> None:
    baseline = {"metrics": {"tool_selection": 0.80, "latency_p95_ms": 1000.0}}
    values = {"tool_selection": 0.82, "argument_accuracy": 0.95, "json_validity": 0.995,
              "chain_completion": 0.5, "latency_p95_ms": 1200.0}  # fmt: skip
    lines = {line.metric: line for line in gates.evaluate(values, TARGETS, baseline, headroom=1.25)}
    assert lines["tool_selection"].gated_by == "baseline" and lines["tool_selection"].passed
    assert lines["argument_accuracy"].gated_by == "target" and lines["argument_accuracy"].passed
    assert lines["chain_completion"].gated_by == "none" and not lines["chain_completion"].passed
    assert lines["latency_p95_ms"].gate == 1250.0 and lines["latency_p95_ms"].passed
    worse = gates.evaluate({**values, "tool_selection": 0.79}, TARGETS, baseline, headroom=1.25)
    assert not next(line for line in worse if line.metric == "tool_selection").passed


def test_a_metric_that_once_met_its_target_is_held_to_it() -> None:
    baseline = {"metrics": {"tool_selection": 0.96}}
    line = gates.evaluate({"tool_selection": 0.94}, TARGETS, baseline)[0]
    assert line.gated_by == "target" and not line.passed


def test_the_baseline_only_rises() -> None:
    current = {"metrics": {"tool_selection": 0.8, "latency_p95_ms": 900.0}}
    raised = gates.raised_baseline({"tool_selection": 0.7, "latency_p95_ms": 1200.0}, current)
    assert raised["metrics"] == current["metrics"]
    raised = gates.raised_baseline({"tool_selection": 0.85, "latency_p95_ms": 800.0}, current)
    assert raised["metrics"] == {"tool_selection": 0.85, "latency_p95_ms": 800.0}
    # stored towards the bar: the run that set a baseline passes it
    raised = gates.raised_baseline({"tool_selection": 97 / 202, "latency_p95_ms": 1293.51}, {})
    assert raised["metrics"] == {"tool_selection": 0.4801, "latency_p95_ms": 1293.6}


def test_targets_file_holds_the_spec_targets() -> None:
    assert gates.load_targets() == TARGETS


def _report() -> dict[str, Any]:
    outcomes = [
        {**outcome(CHAIN, GOOD_CHAIN, json_checks=[True, True]), "category": "chain",
         "passed": True, "tier": "primary", "model_calls": 2},
        {**outcome(LISTING, [{"name": "create_task", "arguments": {}}], json_checks=[True]),
         "category": "selection", "passed": False, "tier": "primary", "model_calls": 1},
    ]  # fmt: skip
    test_cases = [to_test_case(c, o) for c, o in zip([CHAIN, LISTING], outcomes, strict=True)]
    metrics = aggregate(test_cases) | {"ragas_tool_call_accuracy": {"value": 0.5, "total": 2}}
    system = {"metrics": metrics, "model_calls_per_turn": 1.5, "tiers": {"primary": 2},
              "outcomes": outcomes, "seconds": 1.0}  # fmt: skip
    return {
        "cases_file": "dev.jsonl", "cases": 2, "tier": "configured", "endpoint": None,
        "systems": {"taskagent": system, "baseline": system},
        "case_index": {"c1": CHAIN, "s1": LISTING},
    }  # fmt: skip


def test_the_confusion_matrix_counts_positions_and_none() -> None:
    labels, matrix = reports.confusion(_report(), "taskagent")
    at = {label: i for i, label in enumerate(labels)}
    assert matrix[at["create_project"]][at["create_project"]] == 1
    assert matrix[at["list_tasks"]][at["create_task"]] == 1


def test_the_report_directory_and_json_shape(tmp_path: Path) -> None:
    report = _report()
    lines = gates.evaluate(reports.metric_values(report["systems"]["taskagent"]), TARGETS, {})
    written = reports.write_dir(report, lines, TARGETS, tmp_path)
    assert {p.name for p in written} == {
        "results.json", "confusion_matrix.png", "latency_histogram.png", "baseline.md"
    }  # fmt: skip
    data = json.loads((tmp_path / "results.json").read_text())
    assert set(data["metrics"]) == set(TARGETS) and data["targets"] == TARGETS
    assert {"id", "passed", "actual_calls", "latency_ms", "tier"} <= set(data["cases"][0])
    assert (tmp_path / "confusion_matrix.png").read_bytes()[:4] == b"\x89PNG"
    table = reports.table(report["systems"]["taskagent"], lines)
    assert "tool_selection" in table and "FAIL" in table
    assert "| tool_selection | 50.0% (1/2) | 50.0% (1/2) |" in reports.side_by_side(report)


def test_a_model_measured_alone_gets_no_credit_for_what_the_rules_did() -> None:
    from evals.runner import model_gave_up

    rescued = model_gave_up(
        {**outcome(CHAIN, GOOD_CHAIN), "tier": "emergency", "tool_selection": True,
         "argument_accuracy": True, "chain_completion": True}
    )  # fmt: skip
    case = to_test_case(CHAIN, rescued)
    assert rescued["passed"] is False and rescued["rescued_by"] == "emergency"
    assert ToolSelectionMetric().measure(case) == 0.0
    assert ChainCompletionMetric().measure(case) == 0.0


def test_an_accuracy_baseline_allows_its_slack_in_cases_and_a_target_none() -> None:
    baseline = {"metrics": {"tool_selection": 0.50}}
    totals = {"tool_selection": 200}
    one_case_down = gates.evaluate(
        {"tool_selection": 0.495}, TARGETS, baseline, totals=totals, slack_share=0.01
    )[0]
    assert one_case_down.passed and one_case_down.gate == 0.49
    three_down = gates.evaluate(
        {"tool_selection": 0.485}, TARGETS, baseline, totals=totals, slack_share=0.01
    )[0]
    assert not three_down.passed
    small = gates.evaluate(
        {"chain_completion": 0.0}, TARGETS, {"metrics": {"chain_completion": 1 / 42}},
        totals={"chain_completion": 42}, slack_share=0.01,
    )[3]  # fmt: skip
    assert small.gate == 1 / 42 and not small.passed  # 1% of 42 is no case at all
    at_target = gates.evaluate(
        {"tool_selection": 0.949}, TARGETS, {"metrics": {"tool_selection": 0.96}},
        totals=totals, slack_share=0.01,
    )[0]  # fmt: skip
    assert at_target.gated_by == "target" and not at_target.passed


def test_unrequested_writes_count_every_write_the_case_did_not_ask_for() -> None:
    from evals.cases import Case, unrequested_writes

    reminder = Case(
        id="u1",
        category="selection",
        input="remind me about task 4 at 5pm",
        expected_calls=[{"name": "create_reminder", "arguments": {"task_id": 4}}],
    )
    # list, then complete task 4 instead of a reminder: one write nobody asked for
    wrong = [
        {"name": "list_tasks", "arguments": {}, "ok": True},
        {"name": "complete_task", "arguments": {"task_id": 4}, "ok": True},
    ]
    assert unrequested_writes(reminder, wrong) == 1
    assert (
        unrequested_writes(reminder, [{"name": "create_reminder", "arguments": {"task_id": 4}}])
        == 0
    )
    complete = Case(
        id="u2",
        category="chain",
        input="complete task 1, then show what's left",
        expected_calls=[
            {"name": "complete_task", "arguments": {"task_id": 1}},
            {"name": "list_tasks", "arguments": {}},
        ],
    )
    other_task = [{"name": "complete_task", "arguments": {"task_id": 3}, "ok": True}]
    assert unrequested_writes(complete, other_task) == 1
    # a write that failed changed nothing; a no_tool case counts any write
    assert (
        unrequested_writes(
            complete, [{"name": "delete_task", "arguments": {"task_id": 1}, "ok": False}]
        )
        == 0
    )
    chat = Case(id="u3", category="no_tool", input="hi", expected_calls=[])
    made = [{"name": "create_task", "arguments": {"title": "hi"}, "ok": True}]
    assert unrequested_writes(chat, made) == 1
    # create and remind: completing and deleting the new task are two unrequested writes
    create = Case(
        id="u4",
        category="chain",
        input="add a task to call mum and remind me at 6pm",
        expected_calls=[
            {"name": "create_task", "arguments": {"title": "call mum"}},
            {"name": "create_reminder", "arguments": {}},
        ],
    )
    extra = [
        {"name": "create_task", "arguments": {"title": "call mum"}, "ok": True},
        {"name": "complete_task", "arguments": {"task_id": 1}, "ok": True},
        {"name": "delete_task", "arguments": {"task_id": 1}, "ok": True},
    ]
    assert unrequested_writes(create, extra) == 2
