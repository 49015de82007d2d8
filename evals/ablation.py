"""The ablation: every planning component alone and combined, side by side, in one run.

For one case file, each system runs every case on a fresh store:

* ``rules`` — the rule planner alone (``tier=emergency``);
* ``model`` — the fine-tuned model alone (``tier=primary``; a turn the rules had to
  finish is the model's miss);
* ``classifier`` — the intent classifier alone, which picks tools but fills no
  arguments, so it is scored on tool selection only;
* ``agent`` — the agent as shipped (arbitration, then fallback), through the graph.

The table has the spec's metrics plus ``unrequested_writes`` (cases where a write ran
that the case did not ask for) and model calls per turn. Written to
``reports/ablation/<split>.json`` and printed as markdown for ``docs/model.md``.

    python -m evals.ablation --cases evals/cases/dev.jsonl [--systems rules,model,agent]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from pathlib import Path
from typing import Any

from evals.cases import CASES_DIR, Case, load_cases
from evals.metrics import aggregate, percentile, to_test_case

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "reports" / "ablation"
SYSTEMS = ("rules", "model", "classifier", "agent")
TIERS = {"rules": "emergency", "model": "primary", "agent": None}


def classifier_outcomes(cases: list[Case]) -> list[dict[str, Any]] | None:
    """The classifier's tool set per case, scored on selection only (no arguments)."""
    from graph.intents import load_classifier

    classifier = load_classifier()
    if classifier is None:
        return None
    outcomes = []
    for case in cases:
        started = time.perf_counter()
        tools = classifier.predict(case.input).tools
        latency = (time.perf_counter() - started) * 1000
        wanted = sorted(c["name"] for c in case.expected_calls)
        outcomes.append(
            {
                "id": case.id,
                "tool_selection": sorted(tools) == sorted(set(wanted))
                and len(set(wanted)) == len(wanted),
                "latency_ms": latency,
            }
        )
    return outcomes


def summarise(cases: list[Case], outcomes: list[dict[str, Any]]) -> dict[str, Any]:
    by_id = {case.id: case for case in cases}
    metrics = aggregate([to_test_case(by_id[o["id"]], o) for o in outcomes])
    metrics["model_calls_per_turn"] = {
        "value": round(sum(o.get("model_calls", 0) for o in outcomes) / max(1, len(outcomes)), 2)
    }
    return metrics


async def run(cases_file: Path, systems: list[str]) -> dict[str, Any]:
    from evals.runner import ensure_model_server, run_graph, warm_up

    cases = load_cases(cases_file)
    if any(TIERS.get(s) != "emergency" for s in systems if s in TIERS):
        ensure_model_server()
        await warm_up(None)
    report: dict[str, Any] = {"cases_file": str(cases_file), "cases": len(cases), "systems": {}}
    for system in systems:
        if system == "classifier":
            outcomes = classifier_outcomes(cases)
            if outcomes is None:
                continue
            selected = sum(o["tool_selection"] for o in outcomes)
            latencies = [o["latency_ms"] for o in outcomes]
            report["systems"]["classifier"] = {
                "metrics": {
                    "tool_selection": {
                        "value": selected / len(outcomes),
                        "passed": selected,
                        "total": len(outcomes),
                    },
                    "latency_p95_ms": {
                        "value": round(percentile(latencies, 95), 1),
                        "median": round(percentile(latencies, 50), 1),
                    },
                    "model_calls_per_turn": {"value": 0},
                },
                "outcomes": outcomes,
            }
            continue
        result = await run_graph(cases, TIERS[system], progress=True, label=system)
        report["systems"][system] = {
            "metrics": summarise(cases, result.outcomes),
            "seconds": round(result.seconds, 1),
            "outcomes": result.outcomes,
        }
    return report


ROWS = (
    ("tool selection", "tool_selection", "rate"),
    ("arguments", "argument_accuracy", "rate"),
    ("chains", "chain_completion", "rate"),
    ("JSON validity", "json_validity", "rate"),
    ("unrequested writes (cases)", "unrequested_writes", "count"),
    ("p95 latency", "latency_p95_ms", "ms"),
    ("median latency", "latency_p95_ms", "median"),
    ("model calls per turn", "model_calls_per_turn", "plain"),
)


def table(report: dict[str, Any]) -> str:
    names = list(report["systems"])
    lines = [
        f"| {Path(report['cases_file']).name} ({report['cases']} cases) | "
        + " | ".join(names)
        + " |",
        "|---|" + "---|" * len(names),
    ]
    for label, key, kind in ROWS:
        cells = []
        for name in names:
            stats = report["systems"][name]["metrics"].get(key) or {}
            value = stats.get("median") if kind == "median" else stats.get("value")
            if value is None:
                cells.append("n/a")
            elif kind == "rate":
                cells.append(f"{value:.1%} ({stats['passed']}/{stats['total']})")
            elif kind in ("ms", "median"):
                cells.append(f"{value:.0f} ms")
            else:
                cells.append(f"{value:g}")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=CASES_DIR / "dev.jsonl")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    args = parser.parse_args()
    report = asyncio.run(run(args.cases, args.systems.split(",")))
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    out = OUT_DIR / f"{args.cases.stem}.json"
    out.write_text(json.dumps(report, indent=1, default=str))
    print(table(report))
    print(f"\nwritten {out}")


if __name__ == "__main__":
    main()
