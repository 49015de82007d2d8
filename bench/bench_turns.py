"""End-to-end turn latency of the agent, with baselines measured in the same run.

Two scenarios, both through the real graph, SQLite store and SQLite checkpointer:

* ``rules``: the emergency tier alone. Baseline: the same rule planner + validation +
  tool execution called directly, without LangGraph, so the ratio is the graph's cost.
* ``embedded``: default tiers with the embedded SmolLM2 server on llama.cpp. Baseline:
  one raw chat completion with the same prompt, so the ratio is the agent's cost per
  model call.

Usage: ``uv run python bench/bench_turns.py [--runs N] [--skip-embedded]``. Prints a
table and writes ``bench/results/turns.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NOW = "2026-11-18T10:00:00"
SINGLE = [
    "Create a high-priority task to review the Q4 budget due Friday",
    "add a task to call the plumber tomorrow",
    "show my tasks",
    "list completed tasks",
    "what's on my calendar tomorrow",
    "remind me tomorrow at 9am to call the dentist",
    "Create a project Website Redesign",
    "I need to renew my passport next month",
    "mark task 1 as done",
    "push task 2 to next monday",
]
CHAINS = [
    "Create a project Q1 Goals and add a high-priority task for budgeting due Friday",
    "Add a task to prepare slides and remind me about it tomorrow at 8am",
]


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": round(statistics.median(values), 2),
        "p95_ms": round(pct(values, 0.95), 2),
        "max_ms": round(max(values), 2),
    }


def direct_baseline(texts: list[str]) -> list[float]:
    """Rule planner + validation + execution, no graph: what the graph wraps."""
    from datetime import datetime

    from taskagent import rules
    from taskagent.errors import ToolError
    from taskagent.store import default_store
    from taskagent.tools import run_tool, validate_call

    store = default_store()
    user = store.ensure_user("bench-direct")
    now = datetime.fromisoformat(NOW)
    timings = []
    for text in texts:
        started = time.perf_counter()
        for call in rules.plan(text, now).calls:
            with contextlib.suppress(ToolError, ValueError):
                run_tool(store, user, call.name, validate_call(call.name, call.arguments, now), now)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


async def agent_turns(
    texts: list[str], tiers: str | None, user: str
) -> tuple[list[float], list[int]]:
    from graph.agent import open_agent

    timings, model_calls = [], []
    async with open_agent() as agent:
        for i, text in enumerate(texts):
            result = await agent.ask(text, thread_id=f"{user}-{i}", user=user, now=NOW, tiers=tiers)
            if result.confirmation_required:
                result = await agent.resume(
                    False, thread_id=result.thread_id, user=user, now=NOW, tiers=tiers
                )
            timings.append(result.latency_ms)
            model_calls.append(result.model_calls)
    return timings, model_calls


async def raw_model_calls(base_url: str, texts: list[str]) -> list[float]:
    """One chat completion per request with the planner's prompt and tools: the model's own cost."""
    from datetime import datetime

    import httpx

    from graph.prompts import system_prompt
    from taskagent.tools import openai_tools

    timings = []
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        for text in texts:
            body = {
                "model": "taskagent",
                "temperature": 0,
                "max_tokens": 128,
                "tools": openai_tools(),
                "tool_choice": "required",
                "messages": [
                    {"role": "system", "content": system_prompt(datetime.fromisoformat(NOW))},
                    {"role": "user", "content": text},
                ],
            }
            started = time.perf_counter()
            (await client.post("/chat/completions", json=body)).raise_for_status()
            timings.append((time.perf_counter() - started) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=6, help="repetitions of the request set")
    parser.add_argument("--skip-embedded", action="store_true")
    args = parser.parse_args()

    workdir = tempfile.mkdtemp(prefix="taskagent-bench-")
    os.environ["TASKAGENT_DATA_DIR"] = workdir
    os.environ.pop("DATABASE_URL", None)
    singles = SINGLE * args.runs
    chains = CHAINS * max(10, args.runs)
    report: dict[str, Any] = {
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
    }

    print(f"rules tier: {len(singles)} single-tool turns, {len(chains)} chains ...", flush=True)
    direct = direct_baseline(singles)
    rule_single, _ = asyncio.run(agent_turns(singles, "emergency", "bench-rules"))
    rule_chain, _ = asyncio.run(agent_turns(chains, "emergency", "bench-rules-chain"))
    report["rules"] = {
        "direct_baseline": summary(direct),
        "agent_single": summary(rule_single),
        "agent_chain": summary(rule_chain),
        "ratio_median_agent_vs_direct": round(
            statistics.median(rule_single) / statistics.median(direct), 1
        ),
    }

    if not args.skip_embedded:
        from serving.manager import ensure_server
        from taskagent.settings import get_settings

        base = get_settings().tiers["primary"].api_base
        print(f"embedded tier at {base} ...", flush=True)
        ensure_server(base)
        subset = (SINGLE * 5)[:50]
        chain_subset = (CHAINS * 10)[:20]
        asyncio.run(raw_model_calls(base, SINGLE[:2]))  # warm the server
        raw = asyncio.run(raw_model_calls(base, subset))
        agent_ms, calls = asyncio.run(agent_turns(subset, None, "bench-embedded"))
        chain_ms, chain_calls = asyncio.run(agent_turns(chain_subset, None, "bench-embedded-chain"))
        report["embedded"] = {
            "raw_model_call": summary(raw),
            "agent_single": summary(agent_ms),
            "agent_chain": summary(chain_ms),
            "model_calls_per_turn_single": round(statistics.mean(calls), 2),
            "model_calls_per_turn_chain": round(statistics.mean(chain_calls), 2),
            "ratio_median_agent_vs_raw_call": round(
                statistics.median(agent_ms) / statistics.median(raw), 2
            ),
        }
    report["peak_rss_mib"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)

    out = ROOT / "bench" / "results" / "turns.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
