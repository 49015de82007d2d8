"""The CI gate: each metric against its target, or against the recorded baseline.

``targets.yaml`` holds the spec's targets. ``baseline.json`` records, per metric, the
best value the embedded model has reached; it only moves up (a ceiling, for latency,
only moves down). A metric at or past its target is gated at the target; one below is
gated at its baseline, and the gap to the target is reported.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from evals.metrics import LOWER_IS_BETTER, METRICS

EVALS_DIR = Path(__file__).resolve().parent
TARGETS_FILE = EVALS_DIR / "targets.yaml"
BASELINE_FILE = EVALS_DIR / "baseline.json"


def load_targets(path: Path = TARGETS_FILE) -> dict[str, float]:
    return {k: float(v) for k, v in yaml.safe_load(path.read_text())["targets"].items()}


def latency_headroom(path: Path = TARGETS_FILE) -> float:
    return float(yaml.safe_load(path.read_text()).get("latency_headroom", 1.0))


def accuracy_slack_share(path: Path = TARGETS_FILE) -> float:
    return float(yaml.safe_load(path.read_text()).get("accuracy_slack_share", 0.0))


def baseline_file(cases_file: Path | str) -> Path:
    """Each case file ratchets on its own: dev in baseline.json, test in baseline.test.json."""
    stem = Path(cases_file).stem
    return BASELINE_FILE if stem == "dev" else EVALS_DIR / f"baseline.{stem}.json"


def load_baseline(path: Path = BASELINE_FILE) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.exists() else {}


def meets(metric: str, value: float | None, bar: float) -> bool:
    if value is None:
        return False
    return value <= bar if metric in LOWER_IS_BETTER else value >= bar


@dataclass
class GateLine:
    metric: str
    value: float | None
    target: float
    gate: float | None  # the bar enforced now
    gated_by: str  # "target" | "baseline" | "none"
    passed: bool
    meets_target: bool

    @property
    def gap(self) -> float | None:
        if self.value is None or self.meets_target:
            return None
        return self.value - self.target


def evaluate(
    values: dict[str, float | None],
    targets: dict[str, float] | None = None,
    baseline: dict[str, Any] | None = None,
    headroom: float | None = None,
    totals: dict[str, int] | None = None,
    slack_share: float | None = None,
) -> list[GateLine]:
    """Each metric against its bar. With ``totals`` (count per metric), an accuracy baseline
    allows floor(slack_share x count) cases of run-to-run noise; without them, none."""
    targets = targets if targets is not None else load_targets()
    recorded = (baseline if baseline is not None else load_baseline()).get("metrics", {})
    headroom = headroom if headroom is not None else latency_headroom()
    slack_share = slack_share if slack_share is not None else accuracy_slack_share()
    totals = totals or {}
    lines = []
    for metric in METRICS:
        value, target = values.get(metric), targets[metric]
        if value is None:  # nothing to measure (JSON validity when no model was asked)
            lines.append(GateLine(metric, None, target, None, "n/a", True, False))
            continue
        best = recorded.get(metric)
        reached = meets(metric, value, target) or (best is not None and meets(metric, best, target))
        if reached:
            gate, by = target, "target"
        elif best is not None:
            if metric == "latency_p95_ms":
                gate = best * headroom
            elif metric in LOWER_IS_BETTER:  # a count of cases: the same per-case noise allowance
                gate = best + math.floor(slack_share * (totals.get(metric) or 0))
            else:
                total = totals.get(metric) or 0
                gate = best - math.floor(slack_share * total) / total if total else best
            by = "baseline"
        else:
            gate, by = None, "none"
        passed = gate is not None and meets(metric, value, gate)
        lines.append(
            GateLine(metric, value, target, gate, by, passed, meets(metric, value, target))
        )
    return lines


def raised_baseline(values: dict[str, float | None], current: dict[str, Any]) -> dict[str, Any]:
    """The baseline after a run: each metric moves only in its better direction."""
    metrics = dict(current.get("metrics", {}))
    for metric in METRICS:
        value = values.get(metric)
        if value is None:
            continue
        best = metrics.get(metric)
        better = best is None or (value < best if metric in LOWER_IS_BETTER else value > best)
        if better:  # rounded towards the bar, so the run that set it still passes it
            metrics[metric] = (
                math.ceil(value * 10) / 10
                if metric in LOWER_IS_BETTER
                else math.floor(value * 10_000) / 10_000
            )
    return {**current, "metrics": metrics}
