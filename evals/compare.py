"""Base versus fine-tuned versus rules on the dev set: the proof for ``docs/model.md``.

Each model is served by the same llama.cpp adapter (same grammar-constrained decoding)
on its own port and evaluated alone (``tier=primary``: no fallback hides its misses);
the rule planner is evaluated alone too (``tier=emergency``). Writes the comparison
JSON next to the adapter, the table into ``docs/model.md`` between markers, and the
eval section of the model card.

    python -m evals.compare [--limit N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from evals.metrics import LOWER_IS_BETTER, METRICS
from evals.report import systems_table
from evals.runner import DEV_CASES, EvalOptions, run_suite
from taskagent.settings import reset_settings
from training.card import write_card

ROOT = Path(__file__).resolve().parents[1]
RUN_DIR = ROOT / "training" / "artifacts" / "smollm2-135m-lora-v3"
DOC = ROOT / "docs" / "model.md"
BEGIN, END = "<!-- compare:begin -->", "<!-- compare:end -->"


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(model: Path) -> tuple[subprocess.Popen[bytes], str]:
    from serving.manager import is_up

    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "ui.cli", "serve", "--port", str(port), "--model", str(model)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/v1"
    deadline = time.monotonic() + 120
    while not is_up(url):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the model server for {model} did not start")
        time.sleep(0.5)
    return process, url


async def _evaluate(name: str, options: EvalOptions) -> dict[str, Any]:
    print(f"== {name}", file=sys.stderr, flush=True)
    saved = {k: v for k, v in os.environ.items() if k.startswith("TASKAGENT_PRIMARY_")}
    try:
        report = await run_suite(options)
    finally:
        for key in [k for k in os.environ if k.startswith("TASKAGENT_PRIMARY_")]:
            del os.environ[key]
        os.environ.update(saved)
        reset_settings()
    system = report["systems"]["taskagent"]
    return {
        "metrics": {m: system["metrics"][m] for m in (*METRICS, "ragas_tool_call_accuracy")},
        "model_calls_per_turn": system["model_calls_per_turn"],
        "tiers": system["tiers"],
        "failed": [o["id"] for o in system["outcomes"] if not o["passed"]],
    }


def beats(tuned: dict[str, Any], base: dict[str, Any]) -> dict[str, bool]:
    """Per metric: is the fine-tuned model better than the base?"""
    verdict = {}
    for metric in METRICS:
        ours, theirs = tuned["metrics"][metric]["value"], base["metrics"][metric]["value"]
        if ours is None or theirs is None:
            verdict[metric] = False
        else:
            verdict[metric] = ours < theirs if metric in LOWER_IS_BETTER else ours > theirs
    return verdict


def main() -> None:
    from serving.manager import FINE_TUNED_GGUF, base_model_path

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=Path, default=DEV_CASES)
    parser.add_argument("--limit", type=int, default=None)
    args = parser.parse_args()
    if not FINE_TUNED_GGUF.exists():
        raise SystemExit("run `make model` first: the fine-tuned GGUF is missing")

    results: dict[str, dict[str, Any]] = {}
    for name, gguf in (("base SmolLM2-135M", base_model_path()), ("fine-tuned", FINE_TUNED_GGUF)):
        process, url = _serve(gguf)
        try:
            options = EvalOptions(
                cases=args.cases, tier="primary", base_url=url, model="taskagent",
                limit=args.limit, baseline=False,
            )  # fmt: skip
            results[name] = asyncio.run(_evaluate(name, options))
        finally:
            process.terminate()
            process.wait(timeout=30)
    rules = EvalOptions(cases=args.cases, tier="emergency", limit=args.limit, baseline=False)
    results["rule planner"] = asyncio.run(_evaluate("rule planner", rules))

    verdict = beats(results["fine-tuned"], results["base SmolLM2-135M"])
    summary = {
        "measured": date.today().isoformat(),
        "cases": str(args.cases.relative_to(ROOT) if args.cases.is_absolute() else args.cases),
        "limit": args.limit,
        "machine": f"{os.cpu_count()} CPU cores, llama.cpp, greedy grammar-constrained decoding",
        "results": results,
        "fine_tuned_beats_base": verdict,
    }
    out = RUN_DIR / "eval_summary.json"
    out.write_text(json.dumps(summary, indent=2) + "\n")
    subset = f" (first {args.limit})" if args.limit else ""
    rendered = (
        f"{BEGIN}\nMeasured {summary['measured']} on {summary['machine']}; "
        f"{summary['cases']}{subset}, each system alone.\n\n"
        f"{systems_table(results)}\n\nFine-tuned beats base on: "
        + ", ".join(f"{m} {'yes' if ok else 'NO'}" for m, ok in verdict.items())
        + f".\n{END}"
    )
    if DOC.exists() and BEGIN in DOC.read_text():
        text = DOC.read_text()
        DOC.write_text(text[: text.index(BEGIN)] + rendered + text[text.index(END) + len(END) :])
    print(rendered)
    write_card(RUN_DIR, ROOT / "training" / "recipes" / "smollm2-135m-v3-cpu.yaml", evals=summary)


if __name__ == "__main__":
    main()
