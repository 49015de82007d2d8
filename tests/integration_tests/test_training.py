"""A few real training steps of the CPU path on a tiny random Llama made here,
including checkpoint, resume, saving and loading the LoRA adapter."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from serving.manager import base_model_path

    gguf = base_model_path()
    tokenizer = AutoTokenizer.from_pretrained(
        gguf.parent, gguf_file=gguf.name
    )  # the real tokenizer
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=1024,
        tie_word_embeddings=True,
    )
    model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-llama")
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_train_resume_save_and_load_adapter(tiny_model: Path, tmp_path: Path) -> None:
    import torch
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from training.train import TrainArgs, main

    args = TrainArgs(
        model=str(tiny_model),
        output_dir=str(tmp_path / "run"),
        max_steps=3,
        save_steps=2,
        eval_steps=2,
        logging_steps=1,
        per_device_train_batch_size=2,
        limit_examples=12,
        max_length=384,
    )
    first = main(args)
    assert first["global_step"] == 3 and first["train_rows"] > 0
    losses = [entry["loss"] for entry in first["log_history"] if "loss" in entry]
    assert len(losses) == 3 and all(loss > 0 for loss in losses)
    assert (tmp_path / "run" / "checkpoints" / "checkpoint-2").exists()
    assert Path(first["loss_curve"]).stat().st_size > 1000

    # Resume: two more steps continue from the last checkpoint instead of starting over.
    resumed = main(TrainArgs(**{**args.__dict__, "max_steps": 5}), resume=True)
    # The last checkpoint is the one written when the first run ended, at step 3.
    assert resumed["global_step"] == 5 and resumed["resumed_from_step"] == 3
    history = {e["step"]: e["loss"] for e in resumed["log_history"] if "loss" in e}
    first_history = {e["step"]: e["loss"] for e in first["log_history"] if "loss" in e}
    assert sorted(history) == [1, 2, 3, 4, 5]
    assert all(history[step] == first_history[step] for step in (1, 2, 3))  # restored, not redone

    adapter = tmp_path / "run" / "adapter"
    assert (adapter / "adapter_model.safetensors").exists()
    config = json.loads((adapter / "adapter_config.json").read_text())
    assert config["r"] == 16 and config["peft_type"] == "LORA"
    base = AutoModelForCausalLM.from_pretrained(tiny_model)
    tuned = PeftModel.from_pretrained(base, adapter)
    tokenizer = AutoTokenizer.from_pretrained(tiny_model)
    ids = tokenizer("show my tasks", return_tensors="pt").input_ids
    with torch.no_grad():
        assert tuned(ids).logits.shape[-1] == len(tokenizer)


def test_rows_use_the_serving_prompt_and_train_only_planning_turns() -> None:
    from training.train import to_rows

    example = json.loads(
        (Path(__file__).resolve().parents[2] / "training/data/train.jsonl")
        .read_text()
        .splitlines()[0]
    )
    rows = to_rows(example)
    assert rows and all(row["completion"].endswith("<|im_end|>") for row in rows)
    # the tool line lists all eight, or (as grounded serving does) only the request's tools
    used = example["tools"]
    for row in rows:
        line = next(ln for ln in row["prompt"].splitlines() if ln.startswith("Tools: "))
        offered = line.removeprefix("Tools: ").split(". ")[0].split(", ")
        assert offered in (
            ["create_task", "list_tasks", "update_task", "complete_task", "delete_task",
             "create_project", "get_calendar", "create_reminder"],
            [name for name in offered if name in used],
        )  # fmt: skip
        assert set(used) <= set(offered)
    assert all(row["prompt"].endswith("<|im_start|>assistant\n") for row in rows)


def test_the_length_of_the_tool_list_is_no_cue_for_declining() -> None:
    """Out-of-scope rows are offered a short list about as often as in-scope rows are."""
    from training.train import to_rows

    lines = (Path(__file__).resolve().parents[2] / "training/data/train.jsonl").read_text()
    examples = [json.loads(line) for line in lines.splitlines()[:800]]

    def short_share(chosen: list[dict]) -> float:
        rows = [row for example in chosen for row in to_rows(example)]
        tool_lines = [
            next(ln for ln in row["prompt"].splitlines() if ln.startswith("Tools: "))
            for row in rows
        ]
        return sum(ln.count(",") < 7 for ln in tool_lines) / len(tool_lines)

    declined = [e for e in examples if not e["tools"]]
    planned = [e for e in examples if e["tools"]]
    assert declined and planned
    assert abs(short_share(declined) - short_share(planned)) < 0.2
