"""The eval report: the spec's table, failed cases, and a report directory.

The directory holds ``results.json`` (everything, per case), ``confusion_matrix.png``
(expected versus called tool, per call position, "none" for no call),
``latency_histogram.png`` and ``baseline.md`` (our graph and the prebuilt agent side
by side, from the same run).
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from evals.cases import Case, relevant_calls
from evals.gate import GateLine
from evals.metrics import LOWER_IS_BETTER, METRICS
from taskagent.tools import TOOL_NAMES

NONE = "none"


def metric_values(system: dict[str, Any]) -> dict[str, float | None]:
    return {name: system["metrics"][name]["value"] for name in METRICS}


def metric_totals(system: dict[str, Any]) -> dict[str, int]:
    return {name: int(system["metrics"][name].get("total") or 0) for name in METRICS}


def _rate(metric: str, value: float | None) -> str:
    if value is None:
        return "n/a"
    if metric == "unrequested_writes":
        return f"{value:.0f}"
    return f"{value:.0f} ms" if metric in LOWER_IS_BETTER else f"{value:.1%}"


def _bar(metric: str, value: float | None) -> str:
    if value is None:
        return "—"
    if metric == "unrequested_writes":
        return f"≤{value:.0f}"
    return f"<{value:.0f} ms" if metric in LOWER_IS_BETTER else f">{value:.0%}"


def table(system: dict[str, Any], gate: list[GateLine]) -> str:
    """The spec's report table: metric, count, rate, target, gate, PASS/FAIL."""
    rows = [("metric", "count", "rate", "target", "enforced", "result")]
    for line in gate:
        stats = system["metrics"][line.metric]
        count = (
            f"{stats['total']} cases (median {stats['median']:.0f} ms)"
            if line.metric in LOWER_IS_BETTER and stats.get("median") is not None
            else f"{stats.get('passed', 0)}/{stats.get('total', 0)}"
        )
        enforced = (
            "—" if line.gate is None else f"{_rate(line.metric, line.gate)} ({line.gated_by})"
        )
        verdict = "PASS" if line.passed else "FAIL"
        if line.gated_by == "n/a":
            verdict = "n/a"
        elif not line.meets_target and line.passed:
            verdict = "PASS (below target)"
        rows.append(
            (line.metric, count, _rate(line.metric, line.value), _bar(line.metric, line.target),
             enforced, verdict)
        )  # fmt: skip
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]))]
    lines = [
        "  ".join(str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    ragas = system["metrics"].get("ragas_tool_call_accuracy", {}).get("value")
    lines.append("")
    lines.append(
        f"ragas ToolCallAccuracy (second opinion): {_rate('x', ragas)}   "
        f"model calls per turn: {system['model_calls_per_turn']}   tiers: {system['tiers']}"
    )
    gaps = [line for line in gate if line.gap is not None]
    for line in gaps:
        gap = line.gap or 0.0
        shown = f"{gap:+.0f} ms" if line.metric in LOWER_IS_BETTER else f"{gap * 100:+.1f} points"
        lines.append(f"gap to target: {line.metric} {shown}")
    return "\n".join(lines)


def failures(report: dict[str, Any], system_name: str, limit: int = 8) -> list[dict[str, Any]]:
    cases: dict[str, Case] = report["case_index"]
    failed = [o for o in report["systems"][system_name]["outcomes"] if not o["passed"]]
    return [
        {
            "id": o["id"],
            "category": o["category"],
            "input": cases[o["id"]].input,
            "expected": [
                {"name": c["name"], "arguments": c.get("arguments", {})}
                for c in cases[o["id"]].expected_calls
            ],
            "actual": [
                {"name": c["name"], "arguments": c.get("arguments", {}), "ok": c.get("ok", True)}
                for c in o.get("calls") or []
            ],
            "tier": o.get("tier"),
        }
        for o in failed[:limit]
    ]


def failures_text(samples: list[dict[str, Any]], total_failed: int) -> str:
    lines = [f"failed cases: {total_failed} (showing {len(samples)})"]
    for sample in samples:
        lines.append(
            f"- {sample['id']} [{sample['category']}] {sample['input']!r} (tier {sample['tier']})"
        )
        lines.append(f"    expected: {json.dumps(sample['expected'], default=str)}")
        lines.append(f"    actual:   {json.dumps(sample['actual'], default=str)}")
    return "\n".join(lines)


def side_by_side(report: dict[str, Any]) -> str:
    """Markdown: every system's metrics and latency in one table."""
    names = list(report["systems"])
    header = "| metric | " + " | ".join(names) + " |"
    lines = [header, "|---|" + "---|" * len(names)]
    for metric in (*METRICS, "ragas_tool_call_accuracy"):
        cells = []
        for name in names:
            stats = report["systems"][name]["metrics"][metric]
            value = stats.get("value")
            cell = _rate(metric, value)
            if "passed" in stats and value is not None:
                cell += f" ({stats['passed']}/{stats['total']})"
            cells.append(cell)
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    for label, key in (("latency median", "median"),):
        cells = [
            _rate("latency_p95_ms", report["systems"][n]["metrics"]["latency_p95_ms"].get(key))
            for n in names
        ]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines.append(
        "| model calls per turn | "
        + " | ".join(str(report["systems"][n]["model_calls_per_turn"]) for n in names)
        + " |"
    )
    return "\n".join(lines)


def confusion(report: dict[str, Any], system_name: str) -> tuple[list[str], list[list[int]]]:
    """Counts of (expected tool, called tool), aligned by position; "none" pads."""
    labels = [*TOOL_NAMES, NONE]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    cases: dict[str, Case] = report["case_index"]
    for outcome in report["systems"][system_name]["outcomes"]:
        case = cases[outcome["id"]]
        want = [c["name"] for c in case.expected_calls]
        got = [c["name"] for c in relevant_calls(case, outcome.get("calls") or [])]
        if not case.ordered:
            want, got = sorted(want), sorted(got)
        for position in range(max(len(want), len(got), 1)):
            expected = want[position] if position < len(want) else NONE
            actual = got[position] if position < len(got) else NONE
            matrix[index.get(expected, index[NONE])][index.get(actual, index[NONE])] += 1
    return labels, matrix


def plot_confusion(labels: list[str], matrix: list[list[int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 7))
    image = ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)), labels, rotation=45, ha="right")
    ax.set_yticks(range(len(labels)), labels)
    ax.set_xlabel("called")
    ax.set_ylabel("expected")
    ax.set_title(title)
    peak = max((max(row) for row in matrix), default=0)
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                color = "white" if count > peak / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", color=color, fontsize=8)
    fig.colorbar(image, ax=ax, shrink=0.8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def plot_latency(report: dict[str, Any], path: Path, target_ms: float) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5))
    for name, system in report["systems"].items():
        values = [o["latency_ms"] for o in system["outcomes"]]
        p95 = system["metrics"]["latency_p95_ms"]["value"]
        ax.hist(values, bins=40, alpha=0.55, label=f"{name} (p95 {p95:.0f} ms)")
    ax.axvline(target_ms, color="red", linestyle="--", label=f"target p95 < {target_ms:.0f} ms")
    ax.set_xlabel("end-to-end latency per case (ms)")
    ax.set_ylabel("cases")
    ax.set_title("Latency per eval case")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def to_json(
    report: dict[str, Any], gate: list[GateLine], targets: dict[str, float]
) -> dict[str, Any]:
    """The ``--json`` shape: metrics, targets and per-case results of our system, plus the rest."""
    ours_name = next(iter(report["systems"]))
    ours = report["systems"][ours_name]
    return {
        "metrics": metric_values(ours),
        "targets": targets,
        "cases": [
            {
                "id": o["id"],
                "passed": o["passed"],
                "actual_calls": [
                    {
                        "name": c["name"],
                        "arguments": c.get("arguments", {}),
                        "ok": c.get("ok", True),
                    }
                    for c in o.get("calls") or []
                ],
                "latency_ms": o["latency_ms"],
                "tier": o["tier"],
            }
            for o in ours["outcomes"]
        ],
        "gate": [asdict(line) for line in gate],
        "systems": {
            name: {k: v for k, v in system.items() if k != "outcomes"}
            for name, system in report["systems"].items()
        },
        "cases_file": report["cases_file"],
        "tier": report["tier"],
        "endpoint": report["endpoint"],
    }


def write_dir(
    report: dict[str, Any], gate: list[GateLine], targets: dict[str, float], out: Path
) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    ours_name = next(iter(report["systems"]))
    results = to_json(report, gate, targets)
    results["outcomes"] = {n: s["outcomes"] for n, s in report["systems"].items()}
    written = [out / "results.json", out / "confusion_matrix.png", out / "latency_histogram.png"]
    written[0].write_text(json.dumps(results, indent=2, default=str) + "\n")
    labels, matrix = confusion(report, ours_name)
    plot_confusion(
        labels, matrix, written[1], f"Tool confusion: {ours_name} ({report['cases']} cases)"
    )
    plot_latency(report, written[2], targets["latency_p95_ms"])
    baseline_md = out / "baseline.md"
    baseline_md.write_text(
        f"# {report['cases']} cases from {Path(report['cases_file']).name}, tier "
        f"{report['tier']}\n\n{side_by_side(report)}\n"
    )
    written.append(baseline_md)
    return written


def _system_cell(metric: str, stats: dict[str, Any]) -> str:
    value = stats.get("value")
    if value is None:
        return "n/a"
    if metric in LOWER_IS_BETTER:
        return f"{value:.0f} ms (median {stats['median']:.0f})"
    counts = f" ({stats['passed']}/{stats['total']})" if "passed" in stats else ""
    return f"{value:.1%}{counts}"


def systems_table(results: dict[str, dict[str, Any]]) -> str:
    """Several systems' metrics side by side (evals.compare, the model card)."""
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for metric in (*METRICS, "ragas_tool_call_accuracy"):
        cells = [_system_cell(metric, results[n]["metrics"][metric]) for n in names]
        lines.append(f"| {metric} | " + " | ".join(cells) + " |")
    lines.append(
        "| model calls per turn | "
        + " | ".join(str(results[n]["model_calls_per_turn"]) for n in names)
        + " |"
    )
    return "\n".join(lines)
