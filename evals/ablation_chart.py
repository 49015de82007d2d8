"""One picture of the ablation: each system's selection, arguments and chains per split, and
its unrequested writes, from the ``reports/ablation/<split>.json`` files ``evals.ablation``
writes.

    python -m evals.ablation_chart [--splits dev,dev2,...,test] [--out docs/ablation.png]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evals.ablation import OUT_DIR

SYSTEMS = ("rules", "model", "agent")
RATES: tuple[tuple[str, str], ...] = (
    ("tool_selection", "selection"),
    ("argument_accuracy", "arguments"),
    ("chain_completion", "chains"),
)
COLOURS = {"rules": "#8c8c8c", "model": "#e0a040", "agent": "#2f6db5"}


def draw(splits: list[str], out: Path, reports_dir: Path = OUT_DIR) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    reports = {s: json.loads((reports_dir / f"{s}.json").read_text()) for s in splits}
    fig, axes = plt.subplots(1, len(RATES) + 1, figsize=(4 * (len(RATES) + 1), 3.6))
    width = 0.8 / len(SYSTEMS)
    panels = [*RATES, ("unrequested_writes", "unrequested writes (cases)")]
    for axis, (metric, title) in zip(axes, panels, strict=True):
        for i, system in enumerate(SYSTEMS):
            values = [
                (reports[s]["systems"][system]["metrics"][metric]["value"] or 0)
                * (1 if metric == "unrequested_writes" else 100)
                for s in splits
            ]
            xs = [x + (i - 1) * width for x in range(len(splits))]
            axis.bar(xs, values, width, label=system, color=COLOURS[system])
        axis.set_xticks(range(len(splits)), splits)
        axis.set_title(title)
        if metric != "unrequested_writes":
            axis.set_ylim(0, 100)
            axis.axhline({"tool_selection": 95, "argument_accuracy": 90}.get(metric, 85), ls=":")
    axes[0].set_ylabel("% of cases")
    axes[0].legend(loc="lower left", fontsize=8)
    fig.suptitle("Each part alone and the agent as shipped (dotted: the spec's target)")
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=110)
    plt.close(fig)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--splits", default="dev,dev2,dev3,dev4,dev5,dev6,dev7,dev8,test,test2")
    parser.add_argument("--out", type=Path, default=Path("docs/ablation.png"))
    args = parser.parse_args()
    draw(args.splits.split(","), args.out)
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
