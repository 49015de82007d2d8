"""Generate the tool-calling conversations we fine-tune on.

Every example is played out for real: its setup and calls run against a fresh
in-memory task store, so tool results are genuine and every call has passed the
tools' own validation (a call that does not validate stops generation with an
error instead of being written). Arguments are stored normalised (int ids, enum
values), which is what the model learns to emit, except dates: the model copies the
user's words ("Friday", "tomorrow at 3pm") and the tools' resolver turns them into
dates against the ``now`` that the system prompt states. Calendar arithmetic is
deterministic code's job, not a 135M model's.

Quotas: ~8% out of scope (a decline, no call), ~26% multi-call (chains whose later
ids are bound to earlier results, and parallel calls), the rest single calls spread
evenly over the eight tools. Requests are sometimes wrapped in chat ("could you …
please") and sometimes carry a typo. Lookups ("mark the budget task as done") are two
rounds: ``list_tasks``, then, with its results in view, the write with the right id.

    taskagent data [--n 640] [--seed 13] [--stats] [--json]
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from serving.wire import tool_result_text
from taskagent.errors import ToolError
from training.data.templates import FAMILIES, Family, with_typo, with_wrapper

DATA_DIR = Path(__file__).resolve().parent


@dataclass
class DataArgs:
    n: int = 640
    seed: int = 13
    val_fraction: float = 0.1
    no_tool_share: float = 0.08
    multi_share: float = 0.26
    out_dir: Path = field(default=DATA_DIR)


class InvalidExample(ValueError):
    """A template produced a call that the tools reject: fix the template."""


def _store() -> Any:
    from sqlalchemy import create_engine
    from sqlalchemy.pool import StaticPool

    from taskagent.db import Base
    from taskagent.store import TaskStore

    engine = create_engine(
        "sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False}
    )
    Base.metadata.create_all(engine)
    return TaskStore(engine)


DATE_FIELDS = {"due_date", "due_before", "date", "remind_at"}


def play(family: Family, rng: random.Random, now: datetime) -> dict[str, Any]:
    """Fill one template, run it against a fresh store, and return the conversation."""
    from graph.prompts import CONTINUE_PROMPT, system_prompt
    from nodes.classify import DECLINE
    from nodes.respond import describe_result
    from taskagent.tools import run_tool, validate_call

    filled = with_typo(with_wrapper(family.build(rng), rng), rng)
    store = _store()
    user = store.ensure_user("trainer")
    for name, arguments in filled.setup:
        run_tool(store, user, name, validate_call(name, arguments, now), now)
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": system_prompt(now)},
        {"role": "user", "content": filled.text},
    ]
    if not filled.calls:
        messages.append({"role": "assistant", "content": DECLINE})
        return {"family": family.name, "now": now.isoformat(), "messages": messages, "tools": []}

    tool_calls: list[dict[str, Any]] = []
    tool_messages: list[dict[str, Any]] = []
    results: list[dict[str, Any]] = []
    for index, (name, raw) in enumerate(filled.calls):
        references = {
            key: int(value[1:])
            for key, value in raw.items()
            if isinstance(value, str) and value.startswith("$")
        }
        shown = {key: value for key, value in raw.items() if key not in references}
        try:
            checked = validate_call(name, shown | {key: 1 for key in references}, now)
        except ValueError as exc:
            raise InvalidExample(f"{family.name}: {filled.text!r}: {exc}") from exc
        arguments = checked.model_dump(mode="json", exclude_unset=True)
        for key in DATE_FIELDS & shown.keys():  # validated above; kept as written
            arguments[key] = shown[key]
        for key in references:  # the dependent id is bound by execute, so the model omits it
            arguments.pop(key, None)
        executed = dict(arguments)
        for key, source in references.items():
            entity = results[source]["result"].get("project" if key == "project_id" else "task")
            executed[key] = entity["id"]
        result = run_tool(store, user, name, validate_call(name, executed, now), now)
        call_id = f"call_{index}"
        tool_calls.append(
            {
                "id": call_id,
                "type": "function",
                "function": {
                    "name": name,
                    "arguments": json.dumps(arguments, separators=(",", ":")),
                },
            }
        )
        tool_messages.append(
            {"role": "tool", "tool_call_id": call_id, "content": tool_result_text(result)}
        )
        results.append({"name": name, "ok": True, "arguments": executed, "result": result})
        if index + 1 == filled.first_round:
            # End of the lookup round: the graph runs it, then asks the model to go on.
            messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
            messages += tool_messages
            messages.append({"role": "user", "content": CONTINUE_PROMPT})
            tool_calls, tool_messages = [], []
    messages.append({"role": "assistant", "content": None, "tool_calls": tool_calls})
    messages += tool_messages
    messages.append({"role": "assistant", "content": " ".join(describe_result(r) for r in results)})
    return {
        "family": family.name,
        "now": now.isoformat(),
        "messages": messages,
        "tools": [name for name, _ in filled.calls],
    }


def plan_families(args: DataArgs, rng: random.Random) -> list[Family]:
    """Which family each example comes from, meeting the quotas."""
    train = list(FAMILIES)
    no_tool = [f for f in train if not f.tools]
    multi = [f for f in train if f.name.startswith(("chain.", "parallel.", "lookup."))]
    single = [f for f in train if f.tools and f not in multi]
    n_no_tool = round(args.n * args.no_tool_share)
    n_multi = round(args.n * args.multi_share)
    chosen = [rng.choice(no_tool) for _ in range(n_no_tool)] + [
        rng.choice(multi) for _ in range(n_multi)
    ]
    by_tool: dict[str, list[Family]] = {}
    for item in single:
        by_tool.setdefault(item.tools[0], []).append(item)
    tools = sorted(by_tool)
    for index in range(args.n - len(chosen)):  # round-robin over tools, random family within
        chosen.append(rng.choice(by_tool[tools[index % len(tools)]]))
    rng.shuffle(chosen)
    return chosen


def generate(args: DataArgs) -> list[dict[str, Any]]:
    rng = random.Random(args.seed)
    base = datetime(2026, 1, 5, 9, 0)
    examples = []
    try:
        from tqdm import tqdm

        families = tqdm(plan_families(args, rng), desc="generating", unit="example")
    except ImportError:
        families = plan_families(args, rng)
    for index, family in enumerate(families):
        for _attempt in range(20):
            now = base + timedelta(
                days=rng.randint(0, 330),
                hours=rng.randint(0, 9),
                minutes=rng.choice([0, 15, 30, 45]),
            )
            try:
                example = play(family, rng, now)
                break
            except ToolError:  # e.g. "remind me Friday at 8am" drawn on a Friday at 9: redraw
                continue
        else:
            raise InvalidExample(f"{family.name}: no valid example in 20 draws")
        example["id"] = f"ex{index:04d}"
        examples.append(example)
    return examples


def stats(examples: list[dict[str, Any]]) -> dict[str, Any]:
    per_tool: Counter[str] = Counter()
    for example in examples:
        per_tool.update(set(example["tools"]))
    no_tool = sum(1 for e in examples if not e["tools"])
    multi = sum(1 for e in examples if len(e["tools"]) > 1)
    turns = [sum(1 for m in e["messages"] if m["role"] != "system") for e in examples]
    return {
        "total": len(examples),
        "single_tool": len(examples) - multi - no_tool,
        "multi_tool": multi,
        "no_tool": no_tool,
        "per_tool": dict(sorted(per_tool.items())),
        "avg_turns": round(sum(turns) / max(1, len(turns)), 2),
    }


def write(examples: list[dict[str, Any]], args: DataArgs) -> dict[str, Path]:
    rng = random.Random(args.seed + 1)
    shuffled = examples[:]
    rng.shuffle(shuffled)
    n_val = max(1, round(len(shuffled) * args.val_fraction))
    splits = {"val": shuffled[:n_val], "train": shuffled[n_val:]}
    paths = {}
    for split, rows in splits.items():
        path = args.out_dir / f"{split}.jsonl"
        path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows))
        paths[split] = path
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in paths.values())).hexdigest()
    (args.out_dir / "dataset.sha256").write_text(digest + "\n")
    return paths
