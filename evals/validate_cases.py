"""Check an eval cases file before anyone trusts a score computed from it.

For every case in a JSONL cases file (see :mod:`evals.cases` for the format) this
checks that:

* the line parses with :func:`evals.cases.load_cases` and has no unknown keys;
* its id is unique, its category is one of the five, its input is not empty and its
  ``now`` (if given) is an ISO datetime;
* the shape fits the category: ``no_tool`` expects nothing, ``parallel`` is
  unordered with two or more calls, ``chain`` is ordered with two or more calls,
  ``selection`` and ``arguments`` expect at least one call;
* on a fresh store with the case's clock, every setup call validates and runs;
* every expected call names a real tool, its arguments validate against the tool's
  argument model, and each expected value is already in the canonical form the
  tools produce (so ``"medium"`` or ``"tomorrow"`` in an expectation, which could
  never match a normalised call, is reported);
* the expected calls, executed in order against that store, all succeed: ids a
  case refers to exist, and ids a chain takes from an earlier call (the project it
  just created, the task it just added) are the ids those calls really produce.

It prints counts per category and per tool and exits non-zero on any problem::

    python -m evals.validate_cases [evals/cases/dev.jsonl ...]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from evals.cases import CASES_DIR, Case, load_cases, values_match
from taskagent.errors import ToolError
from taskagent.tools import TOOL_NAMES, TOOLS, ToolArgumentError, run_tool, validate_call

CATEGORIES = ("selection", "arguments", "chain", "parallel", "no_tool")
CASE_KEYS = {"id", "category", "input", "now", "setup", "expected_calls", "ordered"}
DEFAULT_FILE = CASES_DIR / "dev.jsonl"
# Which result key holds the entity a call creates, for chains that refer back to it.
_CREATED = {"create_task": "task", "create_project": "project", "create_reminder": "reminder"}


@dataclass
class Report:
    """What validating one cases file found."""

    path: Path
    cases: list[Case] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    # chains whose later calls use an id created by an earlier call of the same case
    dependent_chains: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def per_category(self) -> Counter[str]:
        return Counter(case.category for case in self.cases)

    def calls_per_tool(self) -> Counter[str]:
        return Counter(call["name"] for case in self.cases for call in case.expected_calls)

    def cases_per_tool(self) -> Counter[str]:
        return Counter(
            name for case in self.cases for name in {c["name"] for c in case.expected_calls}
        )

    def calls_per_case(self) -> Counter[int]:
        return Counter(len(case.expected_calls) for case in self.cases)


class FreshStores:
    """Empty in-memory stores, built like the real one (same tables and pragmas).

    Creating the schema for every case is most of the cost, so one engine is reused
    and emptied between cases; SQLite reuses ids from 1 once a table is empty (the
    tables have no AUTOINCREMENT), so each case sees exactly what a new store gives.
    """

    def __init__(self) -> None:
        from taskagent.db import make_engine
        from taskagent.store import TaskStore

        self.store = TaskStore(make_engine("sqlite://"))

    def fresh(self) -> Any:
        from taskagent.db import Base

        with self.store.session() as session:
            for table in reversed(Base.metadata.sorted_tables):
                session.execute(table.delete())
        return self.store

    def close(self) -> None:
        self.store.engine.dispose()


# Stand-ins for required arguments an expectation leaves out (it lists a subset).
def _placeholders(name: str, index: int, now: datetime) -> dict[str, Any]:
    return {
        "create_task": {"title": f"(any title {index})"},
        "create_project": {"name": f"(any project {index})"},
        "create_reminder": {"remind_at": (now + timedelta(hours=1)).isoformat()},
    }.get(name, {})


def completed_arguments(name: str, arguments: dict[str, Any], index: int, now: datetime) -> dict:
    """The expected subset plus stand-ins for required fields it omits.

    An ``update_task`` that names only the task gets a harmless description change,
    since the tool refuses an update with nothing to change.
    """
    filled = _placeholders(name, index, now) | dict(arguments)
    if name == "update_task" and set(filled) <= {"task_id"}:
        filled["description"] = "(any change)"
    return filled


def check_shape(case: Case) -> list[str]:
    """Problems with a case that need no store: category, clock, call layout."""
    problems = []
    if case.category not in CATEGORIES:
        problems.append(f"category {case.category!r} is not one of {', '.join(CATEGORIES)}")
    if not isinstance(case.input, str) or not case.input.strip():
        problems.append("input is empty")
    if case.now is not None:
        try:
            datetime.fromisoformat(case.now)
        except (TypeError, ValueError):
            problems.append(f"now {case.now!r} is not an ISO datetime")
    if not isinstance(case.expected_calls, list):
        return [*problems, "expected_calls is not a list"]
    if not isinstance(case.setup, list):
        problems.append("setup is not a list")
    if not isinstance(case.ordered, bool):
        problems.append("ordered is not true/false")
    n = len(case.expected_calls)
    if case.category == "no_tool" and n:
        problems.append("a no_tool case must expect no calls")
    if case.category in ("selection", "arguments") and not n:
        problems.append(f"a {case.category} case must expect at least one call")
    if case.category in ("chain", "parallel") and n < 2:
        problems.append(f"a {case.category} case must expect two or more calls")
    if case.category == "parallel" and case.ordered:
        problems.append('a parallel case must be "ordered": false')
    if case.category == "chain" and not case.ordered:
        problems.append('a chain case must be "ordered": true')
    for index, call in enumerate(case.expected_calls):
        if not isinstance(call, dict) or set(call) - {"name", "arguments"}:
            problems.append(f"expected call {index} must be {{name, arguments}}")
        elif call.get("name") not in TOOL_NAMES:
            problems.append(f"expected call {index}: {call.get('name')!r} is not a tool")
        elif not isinstance(call.get("arguments", {}), dict):
            problems.append(f"expected call {index}: arguments must be an object")
    return problems


def _canonical(name: str, arguments: dict[str, Any], now: datetime) -> list[str]:
    """Expected values must equal their own normalised form, or no call could match them."""
    problems = []
    dumped = validate_call(name, completed_arguments(name, arguments, 0, now), now).model_dump(
        mode="json"
    )
    for key, value in arguments.items():
        if not values_match(key, value, dumped.get(key)):
            problems.append(
                f"{name}.{key}={value!r} is not canonical (the tool normalises it to "
                f"{dumped.get(key)!r}); write the normalised value"
            )
    return problems


def check_execution(case: Case, stores: FreshStores) -> tuple[list[str], bool]:
    """Run setup then the expected calls on a fresh store; return problems and dependency.

    The second value says whether a later call uses an id that an earlier expected
    call of the same case created (a chain that really depends on its first step).
    """
    problems: list[str] = []
    now = datetime.fromisoformat(case.now) if case.now else datetime.now().replace(microsecond=0)
    store = stores.fresh()
    user = store.ensure_user("eval")
    for index, step in enumerate(case.setup):
        if not isinstance(step, dict) or step.get("tool") not in TOOL_NAMES:
            problems.append(f"setup {index}: {step!r} is not a {{tool, arguments}} call")
            return problems, False
        try:
            args = validate_call(step["tool"], step.get("arguments") or {}, now)
            run_tool(store, user, step["tool"], args, now)
        except (ToolArgumentError, ToolError) as exc:
            problems.append(f"setup {index} ({step['tool']}) fails: {exc}")
            return problems, False
    created: set[tuple[str, int]] = set()
    dependent = False
    for index, call in enumerate(case.expected_calls):
        name, arguments = call["name"], call.get("arguments") or {}
        try:
            validated = validate_call(name, completed_arguments(name, arguments, index, now), now)
        except ToolArgumentError as exc:
            problems.append(f"expected call {index} does not validate: {exc}")
            continue
        problems += [f"expected call {index}: {p}" for p in _canonical(name, arguments, now)]
        for key in ("task_id", "project_id"):
            if key in arguments and (key.removesuffix("_id"), int(arguments[key])) in created:
                dependent = True
        try:
            result = run_tool(store, user, name, validated, now)
        except ToolError as exc:
            problems.append(f"expected call {index} ({name}) fails on the store: {exc}")
            continue
        entity = result.get(_CREATED.get(name, ""))
        if isinstance(entity, dict) and not result.get("already_existed"):
            created.add((_CREATED[name], int(entity["id"])))
    return problems, dependent


def _runnable(case: Case) -> bool:
    """Whether the case is well-formed enough to play against a store."""
    try:
        if case.now is not None:
            datetime.fromisoformat(case.now)
    except (TypeError, ValueError):
        return False
    return (
        isinstance(case.setup, list)
        and isinstance(case.expected_calls, list)
        and all(
            isinstance(call, dict)
            and call.get("name") in TOOL_NAMES
            and isinstance(call.get("arguments", {}), dict)
            for call in case.expected_calls
        )
    )


def validate_file(path: Path) -> Report:
    """Every check on one cases file."""
    report = Report(path)
    try:
        report.cases = load_cases(path)
    except (ValueError, json.JSONDecodeError) as exc:
        report.problems.append(f"{path}: does not load: {exc}")
        return report
    for number, line in enumerate(path.read_text().splitlines(), 1):
        if line.strip():
            extra = set(json.loads(line)) - CASE_KEYS
            if extra:
                report.problems.append(f"{path}:{number}: unknown keys {sorted(extra)}")
    seen: Counter[str] = Counter(case.id for case in report.cases)
    report.problems += [f"id {cid!r} is used {n} times" for cid, n in seen.items() if n > 1]
    stores = FreshStores()
    try:
        for case in report.cases:
            shape = check_shape(case)
            report.problems += [f"{case.id}: {p}" for p in shape]
            if not _runnable(case):
                continue
            problems, dependent = check_execution(case, stores)
            report.problems += [f"{case.id}: {p}" for p in problems]
            if case.category == "chain" and dependent:
                report.dependent_chains += 1
    finally:
        stores.close()
    return report


def summary(report: Report) -> str:
    """Counts per category and per tool, as printed by :func:`main`."""
    lines = [f"{report.path}: {len(report.cases)} cases"]
    for category in CATEGORIES:
        lines.append(f"  {category:<10} {report.per_category().get(category, 0):4d}")
    calls, cases = report.calls_per_tool(), report.cases_per_tool()
    lines.append("  tool              calls  cases")
    for name in TOOLS:
        lines.append(f"  {name:<16} {calls.get(name, 0):6d} {cases.get(name, 0):6d}")
    sizes = report.calls_per_case()
    lines.append(
        "  calls per case: "
        + ", ".join(f"{k}: {sizes[k]}" for k in sorted(sizes))
        + f"; chains using an id made earlier in the case: {report.dependent_chains}"
    )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", type=Path, default=[DEFAULT_FILE])
    args = parser.parse_args(argv)
    failed = False
    for path in args.paths:
        report = validate_file(path)
        print(summary(report))
        for problem in report.problems:
            print(f"  PROBLEM {problem}")
        print(f"  {'OK' if report.ok else f'{len(report.problems)} problem(s)'}")
        failed = failed or not report.ok
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
