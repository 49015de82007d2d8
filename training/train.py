"""Supervised fine-tuning of the planner: TRL ``SFTTrainer`` + PEFT LoRA, one YAML recipe per model.

The data are the generated conversations (``training/data``). Each assistant turn
that calls tools (or declines) becomes one prompt/completion pair, rendered with
the exact prompt format the model sees when serving (:mod:`serving.wire`), so
the loss is computed on the assistant's completion only. The final natural-language
answers are not trained: the agent writes those from templates.

    taskagent train --recipe training/recipes/smollm2-135m-cpu.yaml [--max-steps N] [--resume]

The CPU recipe starts from the embedded GGUF, dequantized with transformers' GGUF
loader. The GPU recipe uses Unsloth (4-bit base), imported only where CUDA exists.
Every seed is pinned; checkpoints are saved and resumed; progress shows a bar.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import time
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class TrainArgs:
    engine: str = "trl"  # trl (CPU or GPU) | unsloth (GPU only)
    model: str = "embedded"  # "embedded" (the wheel's GGUF), a local path, or a hub id
    output_dir: str = "training/artifacts/smollm2-135m-lora"
    train_file: str = "training/data/train.jsonl"
    val_file: str | None = "training/data/val.jsonl"
    seed: int = 13
    num_train_epochs: float = 2
    max_steps: int = -1
    learning_rate: float = 2e-4
    lr_scheduler_type: str = "cosine"
    warmup_ratio: float = 0.05
    per_device_train_batch_size: int = 8
    gradient_accumulation_steps: int = 1
    max_length: int = 512
    load_in_4bit: bool = False
    lora_r: int = 16
    lora_alpha: int = 32
    lora_dropout: float = 0.05
    target_modules: Any = "all-linear"
    logging_steps: int = 5
    save_steps: int = 50
    eval_steps: int = 50
    limit_examples: int | None = None  # for smoke runs
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_recipe(cls, path: Path, **overrides: Any) -> TrainArgs:
        raw = yaml.safe_load(path.read_text()) or {}
        known = {f.name for f in fields(cls)}
        unknown = set(raw) - known
        if unknown:
            raise ValueError(f"{path}: unknown recipe keys {sorted(unknown)}")
        raw |= {k: v for k, v in overrides.items() if v is not None}
        return cls(**raw)


def pin_seeds(seed: int) -> None:
    import numpy as np
    import torch
    from transformers import set_seed

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    set_seed(seed)


def to_rows(example: dict[str, Any]) -> list[dict[str, str]]:
    """One prompt/completion pair per planning turn, in the serving prompt format."""
    from serving.wire import calls_to_text, render_chatml, to_chatml_messages
    from taskagent.tools import TOOL_NAMES, openai_tools

    messages = example["messages"]
    tools = openai_tools()
    # Serving offers only the tools a request's intents name (graph.grounding): half the
    # rows show that short list, half all eight, so the model knows both prompts.
    named = set(example.get("tools") or [])
    digest = int(hashlib.sha256(str(example.get("id")).encode()).hexdigest(), 16)
    if not named:
        # an out-of-scope request is offered a short list as often as an in-scope one, so the
        # length of the list is no cue for declining (adapter v3 learned that cue: offered all
        # eight tools, it declined "what's on my plate today?")
        named = {sorted(TOOL_NAMES)[(digest // 2) % len(TOOL_NAMES)]}
    if digest % 2:
        tools = [tool for tool in tools if tool["function"]["name"] in named]
    rows = []
    for index, message in enumerate(messages):
        if message["role"] != "assistant":
            continue
        planning = message.get("tool_calls") or not example["tools"]
        if not planning:
            continue  # the final answer: written by templates at run time, not by the model
        prompt = render_chatml(to_chatml_messages(messages[:index], tools))
        completion = (
            calls_to_text(message["tool_calls"])
            if message.get("tool_calls")
            else message["content"]
        )
        rows.append({"prompt": prompt, "completion": completion + "<|im_end|>"})
    return rows


def load_rows(path: Path, limit: int | None = None) -> list[dict[str, str]]:
    examples = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    rows = [row for example in examples[:limit] for row in to_rows(example)]
    return rows


def load_model_and_tokenizer(args: TrainArgs) -> tuple[Any, Any]:
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if args.model == "embedded":
        from serving.convert import load_dequantized
        from serving.manager import base_model_path

        gguf = base_model_path()
        tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
        return load_dequantized(gguf), tokenizer
    tokenizer = AutoTokenizer.from_pretrained(args.model)
    return AutoModelForCausalLM.from_pretrained(args.model), tokenizer


def tokens_per_second(log_history: list[dict[str, Any]], result: Any) -> float | None:
    """Training tokens (prompt and completion, as TRL counts them) per second of the run."""
    counted = [e["num_tokens"] for e in log_history if "num_tokens" in e]
    runtime = (getattr(result, "metrics", None) or {}).get("train_runtime")
    if not counted or not runtime:
        return None
    return round(float(counted[-1]) / float(runtime), 1)


def save_loss_curve(log_history: list[dict[str, Any]], out: Path) -> Path | None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    train = [(e["step"], e["loss"]) for e in log_history if "loss" in e]
    evals = [(e["step"], e["eval_loss"]) for e in log_history if "eval_loss" in e]
    if not train:
        return None
    figure, axis = plt.subplots(figsize=(6, 3.5))
    axis.plot(*zip(*train, strict=True), label="train loss")
    if evals:
        axis.plot(*zip(*evals, strict=True), marker="o", label="validation loss")
    axis.set_xlabel("step")
    axis.set_ylabel("loss (assistant tokens)")
    axis.legend()
    axis.grid(alpha=0.3)
    figure.tight_layout()
    figure.savefig(out, dpi=120)
    plt.close(figure)
    return out


def output_dir(args: TrainArgs) -> Path:
    path = Path(args.output_dir)
    return path if path.is_absolute() else ROOT / path


def sft_config(args: TrainArgs, output: Path, **device_options: Any) -> Any:
    """The SFT settings both engines share; device-specific options come on top."""
    from trl import SFTConfig

    return SFTConfig(
        output_dir=str(output / "checkpoints"),
        num_train_epochs=args.num_train_epochs,
        max_steps=args.max_steps,
        learning_rate=args.learning_rate,
        lr_scheduler_type=args.lr_scheduler_type,
        warmup_steps=args.warmup_ratio,  # a float < 1 is a ratio of the total steps
        per_device_train_batch_size=args.per_device_train_batch_size,
        gradient_accumulation_steps=args.gradient_accumulation_steps,
        max_length=args.max_length,
        completion_only_loss=True,  # loss on the assistant's turn only
        logging_steps=args.logging_steps,
        save_steps=args.save_steps,
        seed=args.seed,
        report_to=[],
        **device_options,
    )


def main(args: TrainArgs, resume: bool = False) -> dict[str, Any]:
    """Train and save the adapter; returns a summary (also written as train_summary.json)."""
    if args.engine == "unsloth":
        return _main_unsloth(args, resume)
    from datasets import Dataset
    from peft import LoraConfig
    from trl import SFTTrainer

    pin_seeds(args.seed)
    started = time.perf_counter()
    output = output_dir(args)
    output.mkdir(parents=True, exist_ok=True)
    train_rows = load_rows(ROOT / args.train_file, args.limit_examples)
    val_rows = load_rows(ROOT / args.val_file, args.limit_examples) if args.val_file else []
    model, tokenizer = load_model_and_tokenizer(args)
    if tokenizer.pad_token is None:
        tokenizer.pad_token = tokenizer.eos_token
    config = sft_config(
        args,
        output,
        save_total_limit=2,
        eval_strategy="steps" if val_rows else "no",
        eval_steps=args.eval_steps,
        data_seed=args.seed,
        use_cpu=True,
        dataloader_num_workers=0,
        # TRL 0.29 defaults to bf16 and gradient checkpointing: without bf16 instructions
        # a CPU emulates it (a step took 561 s instead of ~10 s here), and a 135M model
        # has the memory to keep its activations
        bf16=False,
        gradient_checkpointing=False,
    )
    lora = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=args.target_modules,
        task_type="CAUSAL_LM",
    )
    trainer = SFTTrainer(
        model=model,
        args=config,
        train_dataset=Dataset.from_list(train_rows),
        eval_dataset=Dataset.from_list(val_rows) if val_rows else None,
        processing_class=tokenizer,
        peft_config=lora,
    )
    checkpoints = sorted(
        (output / "checkpoints").glob("checkpoint-*"), key=lambda p: int(p.name.split("-")[1])
    )
    resume_from = checkpoints[-1] if resume and checkpoints else None
    result = trainer.train(resume_from_checkpoint=str(resume_from) if resume_from else None)
    adapter_dir = output / "adapter"
    trainer.save_model(str(adapter_dir))
    curve = save_loss_curve(trainer.state.log_history, output / "loss_curve.png")
    summary = {
        "base": args.model,
        "train_rows": len(train_rows),
        "val_rows": len(val_rows),
        "global_step": trainer.state.global_step,
        "resumed_from_step": int(resume_from.name.split("-")[1]) if resume_from else 0,
        "train_loss": round(float(result.training_loss), 4),
        "seconds": round(time.perf_counter() - started, 1),
        "device": f"{os.cpu_count()} CPU cores",
        "tokens_per_second": tokens_per_second(trainer.state.log_history, result),
        "adapter": str(adapter_dir),
        "loss_curve": str(curve) if curve else None,
        "log_history": trainer.state.log_history,
    }
    (output / "train_summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def _main_unsloth(args: TrainArgs, resume: bool) -> dict[str, Any]:
    import torch

    if not torch.cuda.is_available():
        raise RuntimeError("The unsloth recipe needs a CUDA GPU; use the CPU recipe here.")
    from unsloth import FastLanguageModel  # imported only on a GPU

    pin_seeds(args.seed)
    model, tokenizer = FastLanguageModel.from_pretrained(
        args.model, max_seq_length=args.max_length, load_in_4bit=args.load_in_4bit
    )
    model = FastLanguageModel.get_peft_model(
        model,
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=args.target_modules,
        random_state=args.seed,
    )
    from datasets import Dataset
    from trl import SFTTrainer

    output = output_dir(args)
    config = sft_config(args, output, bf16=True)
    trainer = SFTTrainer(
        model=model,
        args=config,
        processing_class=tokenizer,
        train_dataset=Dataset.from_list(load_rows(ROOT / args.train_file, args.limit_examples)),
    )
    result = trainer.train(resume_from_checkpoint=resume or None)
    trainer.save_model(str(output / "adapter"))
    return {"global_step": trainer.state.global_step, "train_loss": float(result.training_loss)}
