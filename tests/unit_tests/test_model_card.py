"""The model card says what the recipe and the run were, not what one recipe once was."""

from __future__ import annotations

import json
from pathlib import Path

from training.card import write_card


def test_the_card_names_the_recipes_method_and_the_runs_device(tmp_path: Path) -> None:
    recipe = tmp_path / "gpu.yaml"
    recipe.write_text("engine: unsloth\nmodel: some/model\nlora_r: 64\n")
    summary = {
        "base": "some/model",
        "train_rows": 10,
        "val_rows": 2,
        "global_step": 5,
        "seconds": 120.0,
        "train_loss": 0.5,
        "device": "NVIDIA H100",
        "tokens_per_second": 5123.4,
        "log_history": [{"step": 5, "eval_loss": 0.25}],
    }
    (tmp_path / "train_summary.json").write_text(json.dumps(summary))
    card = write_card(tmp_path, recipe).read_text()
    assert "(LoRA r=64, Unsloth)" in card
    assert "on NVIDIA H100" in card and "5123 training tokens/s" in card
    assert "CPU" not in card


def test_a_full_fine_tune_is_not_called_lora(tmp_path: Path) -> None:
    recipe = tmp_path / "full.yaml"
    recipe.write_text("engine: trl\nmodel: embedded\n")
    summary = {
        "base": "embedded",
        "train_rows": 1,
        "val_rows": 0,
        "global_step": 1,
        "seconds": 60.0,
        "train_loss": 1.0,
        "device": "2 CPU cores",
        "log_history": [],
    }
    (tmp_path / "train_summary.json").write_text(json.dumps(summary))
    card = write_card(tmp_path, recipe).read_text()
    assert "(full fine-tune, TRL + PEFT)" in card and "on 2 CPU cores" in card
