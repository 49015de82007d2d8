"""Build the safetensors model vLLM serves from the embedded GGUF (run in the vLLM env).

transformers dequantizes the Q4_1 GGUF (``gguf_file=``); we rebuild a plain
``LlamaForCausalLM`` from its config without ``quantization_config``, load the
weights and save a standard Hugging Face folder. About 25 s on two cores.

    .venv-vllm/bin/python -m serving.convert --out models/smollm2-135m-hf
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path
from typing import Any

from serving.manager import embedded_model_path


def load_dequantized(gguf_path: Path) -> Any:
    """The GGUF's weights as a plain float32 ``LlamaForCausalLM`` (no quantization_config),
    which both the vLLM conversion and fine-tuning start from."""
    import torch
    from transformers import AutoModelForCausalLM, LlamaConfig, LlamaForCausalLM

    loaded = AutoModelForCausalLM.from_pretrained(
        gguf_path.parent, gguf_file=gguf_path.name, torch_dtype=torch.float32
    )
    config_dict = loaded.config.to_dict()
    config_dict.pop("quantization_config", None)
    model = LlamaForCausalLM(LlamaConfig.from_dict(config_dict))
    model.load_state_dict(loaded.state_dict(), strict=False)
    model.tie_weights()
    return model


def convert(gguf_path: Path, out: Path) -> Path:
    from transformers import AutoTokenizer

    started = time.perf_counter()
    print(f"[1/4] loading {gguf_path.name} (dequantizing)", flush=True)
    model = load_dequantized(gguf_path)
    print("[2/4] rebuilt LlamaForCausalLM without quantization_config", flush=True)
    print(f"[3/4] saving safetensors to {out}", flush=True)
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    tokenizer = AutoTokenizer.from_pretrained(gguf_path.parent, gguf_file=gguf_path.name)
    tokenizer.chat_template = (
        Path(__file__).parent / "templates" / "taskagent_chatml.jinja"
    ).read_text()
    tokenizer.save_pretrained(out)
    (out / "taskagent_source.json").write_text(json.dumps({"gguf": str(gguf_path)}) + "\n")
    print(f"[4/4] done in {time.perf_counter() - started:.1f}s", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gguf", type=Path, default=None)
    parser.add_argument("--out", type=Path, default=Path("models/smollm2-135m-hf"))
    args = parser.parse_args()
    convert(args.gguf or embedded_model_path(), args.out)


if __name__ == "__main__":
    main()
