"""The ablation chart is drawn from the report files, one group of bars per split."""

from __future__ import annotations

import json
from pathlib import Path

from evals.ablation_chart import draw


def _report(selection: float) -> dict:
    rate = {"value": selection, "passed": 1, "total": 1}
    metrics = {
        "tool_selection": rate,
        "argument_accuracy": rate,
        "chain_completion": rate,
        "unrequested_writes": {"value": 2},
    }
    return {"systems": {name: {"metrics": metrics} for name in ("rules", "model", "agent")}}


def test_the_chart_is_drawn_from_the_reports(tmp_path: Path) -> None:
    for split, selection in (("dev", 0.9), ("test", 0.7)):
        (tmp_path / f"{split}.json").write_text(json.dumps(_report(selection)))
    out = tmp_path / "out" / "chart.png"
    draw(["dev", "test"], out, reports_dir=tmp_path)
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
