"""The dev eval set: no copies of training data, and every case is valid and playable."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.validate_cases import CATEGORIES, main, validate_file
from taskagent.tools import TOOL_NAMES
from training.data.leakage import (
    DEFAULT_CASES,
    eval_inputs,
    find_leaks,
    normalise,
    training_user_messages,
)

DEV = DEFAULT_CASES
SMOKE = DEV.with_name("smoke.jsonl")


@pytest.fixture(scope="module")
def training() -> list[str]:
    return training_user_messages()


def test_normalise_folds_trivial_differences() -> None:
    assert normalise("  Mark TASK-0007   as DONE!! ") == normalise("mark #3 as done")
    assert normalise("remind me Friday at 9am") == normalise("Remind me monday at 10:30 PM.")
    assert normalise("What’s “on” my list?") == "whats on my list"
    assert normalise("due 2026-03-15") == normalise("due 2027-1-2")


def test_dev_set_has_no_leaks(training: list[str]) -> None:
    inputs = eval_inputs(DEV)
    assert len(training) >= 600
    assert find_leaks(inputs, training) == []


def test_planted_leaks_are_caught(training: list[str]) -> None:
    sentence = next(t for t in training if len(t.split()) >= 8)
    disguised = "  " + sentence.upper().replace(" ", "   ").rstrip(".!?") + "?!  "
    with_id = next(t for t in training if re.search(r"\d", t))
    renumbered = re.sub(r"\d+", "42", with_id)  # another id, date or time
    longer = next(t for t in training if len(t.split()) >= 12)
    words = longer.split()
    reordered = " ".join(words[1:] + words[:1])  # the same words in another order
    inputs = {
        "p1": disguised,
        "p2": renumbered,
        "p3": reordered,
        "ok": "What is a kanban board?",
    }
    leaks = {leak.case_id: leak for leak in find_leaks(inputs, training)}
    assert leaks["p1"].kind == "exact"
    assert leaks["p1"].training_text == sentence
    assert leaks["p2"].kind == "exact"
    assert leaks["p3"].similarity >= 0.9
    assert "ok" not in leaks
    # a plain list works too, ids being positions
    assert [leak.case_id for leak in find_leaks([disguised], [sentence])] == ["0"]


def test_dev_set_is_valid_and_has_the_required_mix() -> None:
    report = validate_file(DEV)
    assert report.ok, "\n".join(report.problems)
    categories = report.per_category()
    assert set(categories) <= set(CATEGORIES)
    assert len(report.cases) >= 170
    assert categories["selection"] >= 55
    assert categories["arguments"] >= 55
    assert categories["chain"] + categories["parallel"] >= 35
    assert categories["no_tool"] >= 18
    per_tool = report.cases_per_tool()
    assert set(per_tool) == set(TOOL_NAMES)
    assert min(per_tool.values()) >= 5
    three_call_chains = [
        c for c in report.cases if c.category == "chain" and len(c.expected_calls) >= 3
    ]
    assert len(three_call_chains) >= 6
    assert report.dependent_chains >= 6


def test_validator_cli_passes_on_smoke_and_fails_on_a_broken_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([str(SMOKE)]) == 0
    broken = tmp_path / "broken.jsonl"
    good = json.loads(SMOKE.read_text().splitlines()[2])  # "mark task 1 as done"
    rows = [
        good | {"setup": []},  # task 1 does not exist on a fresh store
        good | {"id": "x2", "expected_calls": [{"name": "create_task",
                                                "arguments": {"priority": "medium"}}]},
        good | {"id": "x3", "category": "parallel"},  # one call, ordered
    ]  # fmt: skip
    broken.write_text("".join(json.dumps(row) + "\n" for row in rows))
    assert main([str(broken)]) == 1
    out = capsys.readouterr().out
    assert "Task 1 was not found" in out
    assert "not canonical" in out
    assert "parallel case" in out
